package ec2api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"gameday/internal/sim"
)

func newTestHandler(t *testing.T, logger *zap.Logger) (http.Handler, *sim.Sim) {
	t.Helper()
	s, err := sim.New(sim.DemoFleet(), sim.Options{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return NewHandler(s, logger), s
}

func post(h http.Handler, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDSECRETSECRET/20250101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=abc")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

const formType = "application/x-www-form-urlencoded; charset=utf-8"

var errorEnvelopeRE = regexp.MustCompile(`^<\?xml version="1.0" encoding="UTF-8"\?>\n<Response><Errors><Error><Code>([^<]+)</Code><Message>[^<]+</Message></Error></Errors><RequestID>([0-9a-f-]{36})</RequestID></Response>$`)

func TestErrorEnvelope(t *testing.T) {
	h, _ := newTestHandler(t, nil)
	tests := []struct {
		name, contentType, body string
		status                  int
		code                    string
	}{
		{"missing action", formType, "Version=2016-11-15", 400, "MissingAction"},
		{"unknown action", formType, "Action=TerminateEverything&Version=2016-11-15", 400, "InvalidAction"},
		{"wrong version", formType, "Action=DescribeInstances&Version=2014-01-01", 400, "NoSuchVersion"},
		{"not a form", "application/json", `{"Action":"DescribeInstances"}`, 400, "InvalidRequest"},
		{"too large", formType, "Action=DescribeInstances&Version=2016-11-15&X=" + strings.Repeat("a", maxBodyBytes), 413, "RequestEntityTooLarge"},
		{"bad boolean", formType, "Action=RebootInstances&Version=2016-11-15&InstanceId.1=i-12345678&DryRun=maybe", 400, "InvalidParameterValue"},
		{"reboot without ids", formType, "Action=RebootInstances&Version=2016-11-15", 400, "MissingParameter"},
		{"stop without ids", formType, "Action=StopInstances&Version=2016-11-15", 400, "MissingParameter"},
		{"start without ids", formType, "Action=StartInstances&Version=2016-11-15", 400, "MissingParameter"},
		{"tags without resources", formType, "Action=CreateTags&Version=2016-11-15&Tag.1.Key=a", 400, "MissingParameter"},
		{"tags without tags", formType, "Action=CreateTags&Version=2016-11-15&ResourceId.1=i-12345678", 400, "MissingParameter"},
		{"tag field unknown", formType, "Action=DeleteTags&Version=2016-11-15&ResourceId.1=i-12345678&Tag.1.Name=a", 400, "UnknownParameter"},
		{"force not boolean", formType, "Action=StopInstances&Version=2016-11-15&InstanceId.1=i-12345678&Force=yes", 400, "InvalidParameterValue"},
		{"dry run", formType, "Action=DescribeInstances&Version=2016-11-15&DryRun=true", 412, "DryRunOperation"},
		{"bad escape", formType, "Action=DescribeInstances&Version=2016-11-15&X=%zz", 400, "MalformedQueryString"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(h, tt.contentType, tt.body)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			m := errorEnvelopeRE.FindStringSubmatch(rec.Body.String())
			if m == nil {
				t.Fatalf("body is not EC2's error envelope:\n%s", rec.Body)
			}
			if m[1] != tt.code {
				t.Errorf("code %q, want %q", m[1], tt.code)
			}
			if got := rec.Header().Get("X-Amzn-Requestid"); got != m[2] {
				t.Errorf("X-Amzn-Requestid %q, body RequestID %q", got, m[2])
			}
		})
	}
}

func TestSuccessShape(t *testing.T) {
	h, s := newTestHandler(t, nil)
	id := s.Instances()[0].ID
	rec := post(h, formType, "Action=RebootInstances&Version=2016-11-15&InstanceId.1="+id)
	want := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<RebootInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>%s</requestId><return>true</return></RebootInstancesResponse>`,
		rec.Header().Get("X-Amzn-Requestid"))
	if rec.Code != http.StatusOK || rec.Body.String() != want {
		t.Errorf("got %d\n%s\nwant 200\n%s", rec.Code, rec.Body, want)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestDescribeInstancesTimestampAndEmptyPage(t *testing.T) {
	h, _ := newTestHandler(t, nil)
	rec := post(h, formType, "Action=DescribeInstances&Version=2016-11-15&MaxResults=5&Filter.1.Name=tag%3Aapp&Filter.1.Value.1=web")
	body := rec.Body.String()
	if !regexp.MustCompile(`<launchTime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z</launchTime>`).MatchString(body) {
		t.Errorf("no launchTime in EC2's form in\n%s", body)
	}
	if !strings.Contains(body, "<nextToken>") {
		t.Error("first page of 48 has no nextToken")
	}
	rec = post(h, formType, "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=tag%3Aapp&Filter.1.Value.1=none")
	if body := rec.Body.String(); !strings.Contains(body, "<reservationSet></reservationSet>") || strings.Contains(body, "nextToken") {
		t.Errorf("empty result should have an empty reservationSet and no nextToken:\n%s", body)
	}
}

func TestGetIsAccepted(t *testing.T) {
	h, _ := newTestHandler(t, nil)
	req := httptest.NewRequest(http.MethodGet, "/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "<Account>123456789012</Account>") {
		t.Errorf("GET GetCallerIdentity: %d\n%s", rec.Code, rec.Body)
	}
}

func TestDebugLogOmitsAuthorization(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	h, s := newTestHandler(t, zap.New(core))
	post(h, formType, "Action=RebootInstances&Version=2016-11-15&InstanceId.1="+s.Instances()[0].ID+"&DryRun=true")
	entries := logs.FilterMessage("api call").All()
	if len(entries) != 1 {
		t.Fatalf("got %d request logs, want 1", len(entries))
	}
	fields := entries[0].ContextMap()
	if fields["action"] != "RebootInstances" || fields["code"] != "DryRunOperation" || fields["ids"] != int64(1) {
		t.Errorf("log fields %v", fields)
	}
	for _, e := range logs.All() {
		if strings.Contains(fmt.Sprint(e.ContextMap()), "SECRET") {
			t.Errorf("a log carries the Authorization header: %v", e.ContextMap())
		}
	}
}

func TestRequestIDsAreUUIDs(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		id := newRequestID()
		if !uuid.MatchString(id) || seen[id] {
			t.Fatalf("request id %q is not a fresh UUID", id)
		}
		seen[id] = true
	}
}

func TestStartRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "localhost:0", "[::1]:0", "10.0.0.1:0", "128.0.0.1:0", "nonsense"} {
		if srv, err := Start(nil, addr, nil); err == nil {
			_ = srv.Close()
			t.Errorf("Start(%q) succeeded, want refusal", addr)
		}
	}
	s, err := sim.New(sim.DemoFleet(), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(s, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(srv.URL()) {
		t.Errorf("URL() = %q", srv.URL())
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestSignedRegion(t *testing.T) {
	for _, tt := range []struct{ header, want string }{
		{"AWS4-HMAC-SHA256 Credential=AKID/20261122/us-west-2/ec2/aws4_request, SignedHeaders=host, Signature=abc", "us-west-2"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20261122/ec2/aws4_request", ""},
		{"", ""},
	} {
		if got := signedRegion(tt.header); got != tt.want {
			t.Errorf("signedRegion(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

// TestEveryDeniableActionIsServed keeps the fleet file's api.deny list and
// the handler's actions in step.
func TestEveryDeniableActionIsServed(t *testing.T) {
	served := ec2Actions()
	for _, name := range sim.DeniableActions() {
		if served[name] == nil {
			t.Errorf("fleet files may deny %s, which the handler does not serve", name)
		}
	}
	if len(served) != len(sim.DeniableActions()) {
		t.Errorf("the handler serves %d EC2 actions, fleet files may deny %d", len(served), len(sim.DeniableActions()))
	}
}
