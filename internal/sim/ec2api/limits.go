package ec2api

import (
	"bytes"
	"encoding/xml"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"gameday/internal/ratelimit"
	"gameday/internal/sim"
)

// rateLimits throttles calls with EC2's token buckets before the API
// handler sees them, so a throttled call has no side effect. Tokens are
// taken before any validation: EC2 counts every request, and throttles a
// DryRun like the real call.
type rateLimits struct {
	next    http.Handler
	sim     *sim.Sim
	log     *zap.Logger
	off     atomic.Bool // the zero value is on: limits are the default
	limiter atomic.Pointer[ratelimit.Limiter]
}

func newRateLimits(next http.Handler, s *sim.Sim, logger *zap.Logger) *rateLimits {
	m := &rateLimits{next: next, sim: s, log: logger}
	m.limiter.Store(ratelimit.NewLimiter())
	return m
}

// SetRateLimits turns EC2's throttling on (the default) or off. Buckets
// keep refilling while off.
func (s *Server) SetRateLimits(on bool) {
	s.limits.off.Store(!on)
}

// setClock restarts the buckets, full, on the clock now (for tests).
func (m *rateLimits) setClock(now func() time.Time) {
	m.limiter.Store(ratelimit.NewLimiterWithClock(now))
}

func (m *rateLimits) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if m.off.Load() {
		m.next.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	req := peekRequest(r)
	if m.limiter.Load().TryTake(req.needs()) {
		m.next.ServeHTTP(w, r)
		return
	}
	m.log.Debug("throttled", zap.String("action", req.action), zap.Int("ids", len(req.ids)), zap.Bool("dry_run", req.dryRun))
	reject(w, m.sim, req, errRequestLimitExceeded(), start)
}

// errRequestLimitExceeded is EC2's throttling answer. It must be HTTP 503:
// boto3's legacy retry mode retries it only then.
func errRequestLimitExceeded() *apiError {
	return &apiError{Status: http.StatusServiceUnavailable, Code: "RequestLimitExceeded", Message: "Request limit exceeded."}
}

// apiRequest is what the middleware reads of a call before the handler.
type apiRequest struct {
	action  string
	version string
	ids     []string // InstanceId.N, then ResourceId.N
	dryRun  bool
	// filteredOrPaginated: a Filter.N, MaxResults or NextToken is present.
	filteredOrPaginated bool
}

// needs prices the call. Only EC2 calls (by API version) are limited: STS
// and ELB calls are not, and a call of no known version is left to the
// handler to refuse. A DryRun takes request tokens only: it launches,
// stops or starts nothing.
func (q apiRequest) needs() []ratelimit.Need {
	if q.version != ec2Version || q.action == "" {
		return nil
	}
	ids := len(q.ids)
	if q.dryRun {
		ids = 0
	}
	return ratelimit.NeedsFor(q.action, ids, q.filteredOrPaginated)
}

// proto is the error envelope the call expects.
func (q apiRequest) proto() protocol {
	if act, ok := lookupAction(q.action, q.version); ok {
		return act.proto
	}
	return protoEC2
}

// auditRecord is the call as the audit log shows it, failed with code.
func (q apiRequest) auditRecord(start time.Time, code, requestID string) sim.AuditRecord {
	return sim.AuditRecord{Time: start.UTC(), Action: q.action, InstanceIDs: q.ids, DryRun: q.dryRun,
		ErrorCode: code, RequestID: requestID}
}

// peekRequest reads r's parameters and puts the body back for the handler.
// Parsing mirrors readForm loosely: anything it cannot read leaves fields
// empty, and the handler gives the real error. A body over maxBodyBytes is
// not parsed but is still passed on whole, for the handler to refuse.
func peekRequest(r *http.Request) apiRequest {
	form := url.Values{}
	if r.Method == http.MethodPost && r.Body != nil && isForm(r) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
		if err == nil && len(body) <= maxBodyBytes {
			form, _ = url.ParseQuery(string(body))
		}
	}
	for key, values := range r.URL.Query() {
		form[key] = append(form[key], values...) // body first, as ParseForm
	}
	return classify(form)
}

func isForm(r *http.Request) bool {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mediaType == "application/x-www-form-urlencoded"
}

// classify reads the fields that price a call. Malformed ids or booleans
// are ignored here; the handler refuses them with the proper code.
func classify(form url.Values) apiRequest {
	q := apiRequest{action: form.Get("Action"), version: form.Get("Version")}
	instances, _ := parseIndexed(form, "InstanceId")
	resources, _ := parseIndexed(form, "ResourceId")
	q.ids = append(instances, resources...)
	q.dryRun, _ = parseBool(form, "DryRun")
	for key := range form {
		if key == "MaxResults" || key == "NextToken" || strings.HasPrefix(key, "Filter.") {
			q.filteredOrPaginated = true
		}
	}
	return q
}

// reject answers a call that middleware stops before the handler: audited
// like a handled call, then answered in the action's error envelope.
func reject(w http.ResponseWriter, s *sim.Sim, q apiRequest, apiErr *apiError, start time.Time) {
	requestID := newRequestID()
	s.RecordAudit(q.auditRecord(start, apiErr.Code, requestID))
	writeError(w, q.proto(), apiErr, requestID)
}

// writeError sends an error envelope with the headers handler.write sends.
func writeError(w http.ResponseWriter, proto protocol, apiErr *apiError, requestID string) {
	// The envelope types hold only strings: marshalling cannot fail.
	out, _ := xml.Marshal(errorEnvelope(proto, apiErr, requestID))
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(apiErr.Status)
	_, _ = io.WriteString(w, xml.Header)
	_, _ = w.Write(out)
}
