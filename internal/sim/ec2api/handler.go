// Package ec2api serves the EC2 Query API (and STS GetCallerIdentity and
// AssumeRole, and the ELBv2 calls that describe the fleet's services as
// target groups) over a simulated fleet, in the wire format aws-sdk-go-v2,
// the AWS CLI and boto3 accept, so gameday's real EC2 client can be pointed
// at the simulator with BaseEndpoint. Signatures are accepted unverified.
package ec2api

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"gameday/internal/sim"
)

// maxBodyBytes bounds a request body; real EC2 requests are a few KiB.
const maxBodyBytes = 1 << 20

// API versions and XML namespaces of the services served.
const (
	ec2Version   = "2016-11-15"
	ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"
	stsVersion   = "2011-06-15"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
	elbVersion   = "2015-12-01"
	elbNamespace = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
)

// protocol picks the error envelope of an action.
type protocol int

const (
	protoEC2 protocol = iota
	protoSTS
	protoELB
)

// call is one request being served; handlers fill ids and dryRun so that
// the audit log shows what was asked even when the call fails.
type call struct {
	form      url.Values
	action    string
	proto     protocol
	requestID string
	ids       []string
	dryRun    bool
	// authorization is the request's Authorization header, for STS to
	// tell who signed it; it is never logged.
	authorization string
}

type actionFunc func(h *handler, c *call) (any, *apiError)

type action struct {
	version string
	proto   protocol
	run     actionFunc
}

// service names the API an action belongs to, as AWS error messages do.
func (a action) service() string {
	switch a.proto {
	case protoSTS:
		return "AWSSecurityTokenService"
	case protoELB:
		return "ElasticLoadBalancing"
	}
	return "AmazonEC2"
}

// lookupAction maps an Action parameter to its implementation. ELBv2 calls
// are told apart by their API version: the one endpoint serves several
// services, and an action name alone need not say which.
func lookupAction(name, version string) (action, bool) {
	if version == elbVersion {
		run, ok := elbActions()[name]
		return action{elbVersion, protoELB, run}, ok
	}
	if run, ok := stsActions()[name]; ok {
		return action{stsVersion, protoSTS, run}, true
	}
	run, ok := ec2Actions()[name]
	return action{ec2Version, protoEC2, run}, ok
}

// ec2Actions are the EC2 actions served; sim.DeniableActions lists the same.
func ec2Actions() map[string]actionFunc {
	return map[string]actionFunc{
		sim.ActionDescribeInstances:         (*handler).describeInstances,
		sim.ActionDescribeInstanceStatus:    (*handler).describeInstanceStatus,
		sim.ActionDescribeAvailabilityZones: (*handler).describeAvailabilityZones,
		sim.ActionRebootInstances:           (*handler).rebootInstances,
		sim.ActionStopInstances:             (*handler).stopInstances,
		sim.ActionStartInstances:            (*handler).startInstances,
		sim.ActionCreateTags:                (*handler).createTags,
		sim.ActionDeleteTags:                (*handler).deleteTags,
	}
}

type handler struct {
	sim   *sim.Sim
	log   *zap.Logger
	roles *roleSessions // credentials STS AssumeRole issued
	fails *callFailures // the fleet file's api.fail
}

// NewHandler returns the API handler for s. A nil logger logs nothing.
func NewHandler(s *sim.Sim, logger *zap.Logger) http.Handler {
	if logger == nil {
		logger = zap.NewNop()
	}
	return &handler{sim: s, log: logger.Named("ec2api"), roles: newRoleSessions(), fails: newCallFailures(s.API().Fail)}
}

// ServeHTTP serves one API call. The audit record is written before the
// response, so a client that has its answer always finds the call audited.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := &call{requestID: newRequestID()}
	body, apiErr := h.serve(w, r, c)
	h.sim.RecordAudit(sim.AuditRecord{
		Time:        start.UTC(),
		Action:      c.action,
		InstanceIDs: c.ids,
		DryRun:      c.dryRun,
		ErrorCode:   errorCode(apiErr),
		RequestID:   c.requestID,
	})
	status := h.write(w, c, body, apiErr)
	// Only these fields: the Authorization header and body are never logged.
	h.log.Debug("api call",
		zap.String("action", c.action),
		zap.Int("ids", len(c.ids)),
		zap.Bool("dry_run", c.dryRun),
		zap.String("code", errorCode(apiErr)),
		zap.Int("status", status),
		zap.String("request_id", c.requestID),
		zap.Duration("took", time.Since(start)))
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, c *call) (any, *apiError) {
	form, apiErr := readForm(w, r)
	if apiErr != nil {
		return nil, apiErr
	}
	c.form = form
	c.authorization = r.Header.Get("Authorization")
	c.action = form.Get("Action")
	if c.action == "" {
		return nil, badRequest("MissingAction", "The request must contain the parameter Action")
	}
	act, ok := lookupAction(c.action, form.Get("Version"))
	c.proto = act.proto // an unknown action is refused in its version's envelope
	if !ok {
		return nil, badRequest("InvalidAction", "The action %s is not valid for this web service.", c.action)
	}
	if v := form.Get("Version"); v != act.version {
		return nil, badRequest("NoSuchVersion", "The requested version (%s) of service %s does not exist", v, act.service())
	}
	if region := signedRegion(r.Header.Get("Authorization")); act.proto != protoSTS && region != "" && region != h.sim.Region() {
		// A regional endpoint refuses a request signed for another region;
		// answering it would show this fleet as that region's.
		return nil, errWrongRegion(act.proto, region, h.sim.Region())
	}
	return act.run(h, c)
}

// errWrongRegion is EC2's AuthFailure. Decision: for ELB, whose answer to
// this is not recorded, the awsquery services' SignatureDoesNotMatch.
func errWrongRegion(proto protocol, signed, served string) *apiError {
	msg := fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. This endpoint serves %s.", signed, served)
	if proto == protoELB {
		return &apiError{Status: http.StatusForbidden, Code: "SignatureDoesNotMatch", Message: msg}
	}
	return &apiError{Status: http.StatusUnauthorized, Code: "AuthFailure", Message: msg}
}

// signedRegion returns the region of a SigV4 credential scope
// ("Credential=AKID/20261122/us-east-1/ec2/aws4_request"), or "".
func signedRegion(authorization string) string {
	_, rest, ok := strings.Cut(authorization, "Credential=")
	if !ok {
		return ""
	}
	scope, _, _ := strings.Cut(rest, ",")
	parts := strings.Split(scope, "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[2]
}

// readForm reads the query string and a form-encoded body of at most
// maxBodyBytes. GET with a query string is accepted as EC2 does.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *apiError) {
	switch r.Method {
	case http.MethodPost:
		mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mediaType != "application/x-www-form-urlencoded" {
			return nil, badRequest("InvalidRequest", "unsupported Content-Type %q: want application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
		}
	case http.MethodGet:
	default:
		return nil, &apiError{Status: http.StatusMethodNotAllowed, Code: "InvalidRequest", Message: "method " + r.Method + " is not supported: use POST"}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			return nil, &apiError{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLarge", Message: fmt.Sprintf("request body exceeds %d bytes", maxBodyBytes)}
		}
		return nil, badRequest("MalformedQueryString", "%v", err)
	}
	return r.Form, nil
}

// write sends the XML body or error envelope and returns the status sent.
func (h *handler) write(w http.ResponseWriter, c *call, body any, apiErr *apiError) int {
	status := http.StatusOK
	if apiErr != nil {
		status, body = apiErr.Status, errorEnvelope(c.proto, apiErr, c.requestID)
	}
	out, err := xml.Marshal(body)
	if err != nil {
		h.log.Error("encode response", zap.String("action", c.action), zap.Error(err))
		status = http.StatusInternalServerError
		out, _ = xml.Marshal(errorEnvelope(c.proto, errInternal(err), c.requestID))
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("X-Amzn-Requestid", c.requestID)
	w.WriteHeader(status)
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	buf.Write(out)
	_, _ = w.Write(buf.Bytes())
	return status
}

// newRequestID returns a random UUID (version 4), the shape of AWS ids.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ec2Header opens every EC2 success response.
type ec2Header struct {
	Xmlns     string `xml:"xmlns,attr"`
	RequestID string `xml:"requestId"`
}

func (c *call) ec2Header() ec2Header {
	return ec2Header{Xmlns: ec2Namespace, RequestID: c.requestID}
}

// set renders an EC2 list: <xxxSet><item>..</item></xxxSet>, present even
// when empty, as EC2 sends it.
type set[T any] struct {
	Items []T `xml:"item"`
}
