package ec2api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// stsUserName is the IAM user the simulator claims callers are.
const stsUserName = "gameday-sim"

// stsActions are the STS actions served.
func stsActions() map[string]actionFunc {
	return map[string]actionFunc{
		"GetCallerIdentity": (*handler).getCallerIdentity,
		"AssumeRole":        (*handler).assumeRole,
	}
}

type getCallerIdentityResponse struct {
	XMLName xml.Name `xml:"GetCallerIdentityResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	} `xml:"GetCallerIdentityResult"`
	Metadata stsMetadata `xml:"ResponseMetadata"`
}

type stsMetadata struct {
	RequestID string `xml:"RequestId"`
}

// getCallerIdentity answers STS GetCallerIdentity with the fleet's account,
// so account allow-lists can be exercised against the simulator. A request
// signed with credentials AssumeRole issued is the assumed role; any other
// is the simulator's IAM user (signatures are not checked).
func (h *handler) getCallerIdentity(c *call) (any, *apiError) {
	var resp getCallerIdentityResponse
	resp.Xmlns = stsNamespace
	p := h.caller(c)
	resp.Result.Arn, resp.Result.UserID, resp.Result.Account = p.arn, p.userID, h.sim.AccountID()
	resp.Metadata.RequestID = c.requestID
	return resp, nil
}

// principal is who signed a request.
type principal struct{ arn, userID string }

// caller is the principal behind c's access key.
func (h *handler) caller(c *call) principal {
	if p, ok := h.roles.lookup(signedAccessKey(c.authorization)); ok {
		return p
	}
	account := h.sim.AccountID()
	return principal{arn: "arn:aws:iam::" + account + ":user/" + stsUserName, userID: stableID("AIDA", account+"/"+stsUserName)}
}

// signedAccessKey returns the access key of a SigV4 credential scope
// ("Credential=AKID/20261122/us-east-1/sts/aws4_request, ..."), or "".
func signedAccessKey(authorization string) string {
	_, rest, ok := strings.Cut(authorization, "Credential=")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(rest, "/")
	return key
}

// roleSessions maps the access keys AssumeRole issued to their role
// session. It lives as long as the server; a key is never reused.
type roleSessions struct {
	mu    sync.Mutex
	byKey map[string]principal
}

func newRoleSessions() *roleSessions { return &roleSessions{byKey: map[string]principal{}} }

func (r *roleSessions) add(key string, p principal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byKey[key] = p
}

func (r *roleSessions) lookup(key string) (principal, bool) {
	if key == "" {
		return principal{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.byKey[key]
	return p, ok
}

type assumeRoleResponse struct {
	XMLName xml.Name `xml:"AssumeRoleResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		User struct {
			Arn           string `xml:"Arn"`
			AssumedRoleID string `xml:"AssumedRoleId"`
		} `xml:"AssumedRoleUser"`
		Credentials struct {
			AccessKeyID     string `xml:"AccessKeyId"`
			SecretAccessKey string `xml:"SecretAccessKey"`
			SessionToken    string `xml:"SessionToken"`
			Expiration      string `xml:"Expiration"`
		} `xml:"Credentials"`
	} `xml:"AssumeRoleResult"`
	Metadata stsMetadata `xml:"ResponseMetadata"`
}

// roleARN is arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME; the assumed-role
// ARN names the role without its path.
var roleARN = regexp.MustCompile(`^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$`)

var sessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// Bounds of DurationSeconds, and its default, as STS documents them.
const (
	minRoleSeconds     = 900
	maxRoleSeconds     = 43200
	defaultRoleSeconds = 3600
)

// roleRequest is a checked AssumeRole request.
type roleRequest struct {
	arn, partition, account, role, session string
	seconds                                int
}

// assumeRole issues temporary credentials for a role of the fleet's
// account. Decision: any caller may assume any role of that account (the
// simulator has no IAM policies); a role of another account is refused as
// STS refuses a role whose trust policy does not name the caller.
func (h *handler) assumeRole(c *call) (any, *apiError) {
	req, apiErr := parseAssumeRole(c)
	if apiErr != nil {
		return nil, apiErr
	}
	if req.account != h.sim.AccountID() {
		return nil, &apiError{Status: http.StatusForbidden, Code: "AccessDenied",
			Message: "User: " + h.caller(c).arn + " is not authorized to perform: sts:AssumeRole on resource: " + req.arn}
	}
	assumed := principal{
		arn:    "arn:" + req.partition + ":sts::" + req.account + ":assumed-role/" + req.role + "/" + req.session,
		userID: stableID("AROA", req.arn) + ":" + req.session,
	}
	var resp assumeRoleResponse
	resp.Xmlns = stsNamespace
	resp.Result.User.Arn, resp.Result.User.AssumedRoleID = assumed.arn, assumed.userID
	creds := &resp.Result.Credentials
	creds.AccessKeyID = "ASIA" + randomText(16)
	creds.SecretAccessKey = randomText(40)
	creds.SessionToken = base64.StdEncoding.EncodeToString(randomBytes(96))
	creds.Expiration = time.Now().Add(time.Duration(req.seconds) * time.Second).UTC().Format("2006-01-02T15:04:05Z")
	resp.Metadata.RequestID = c.requestID
	h.roles.add(creds.AccessKeyID, assumed)
	return resp, nil
}

// parseAssumeRole reads and checks RoleArn, RoleSessionName and
// DurationSeconds. Decision: messages follow STS's "1 validation error
// detected" form; their exact wording is not recorded in ec2-api.md.
func parseAssumeRole(c *call) (roleRequest, *apiError) {
	req := roleRequest{arn: c.form.Get("RoleArn"), session: c.form.Get("RoleSessionName"), seconds: defaultRoleSeconds}
	m := roleARN.FindStringSubmatch(req.arn)
	switch {
	case req.arn == "":
		return req, stsValidation("Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	case m == nil:
		return req, stsValidation(req.arn + " is not a valid role ARN")
	case req.session == "":
		return req, stsValidation("Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
	case !sessionName.MatchString(req.session):
		return req, stsValidation("Value '" + req.session + "' at 'roleSessionName' failed to satisfy constraint: " +
			"Member must have length between 2 and 64 and satisfy regular expression pattern: [\\w+=,.@-]*")
	}
	req.partition, req.account, req.role = m[1], m[2], m[3]
	if v := c.form.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < minRoleSeconds || n > maxRoleSeconds {
			return req, stsValidation("Value '" + v + "' at 'durationSeconds' failed to satisfy constraint: " +
				"Member must have value between 900 and 43200")
		}
		req.seconds = n
	}
	return req, nil
}

func stsValidation(detail string) *apiError {
	return badRequest("ValidationError", "1 validation error detected: %s", detail)
}

// stableID derives an IAM-style unique id (prefix + 17 of [A-Z2-7]) from
// seed, so repeated calls agree.
func stableID(prefix, seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return prefix + base32Text(sum[:17])
}

// randomText is n random characters of [A-Z2-7], the alphabet of AWS keys.
func randomText(n int) string { return base32Text(randomBytes(n)) }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// base32Text maps each byte to one character of [A-Z2-7].
func base32Text(b []byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var s strings.Builder
	for _, x := range b {
		s.WriteByte(alphabet[x%32])
	}
	return s.String()
}
