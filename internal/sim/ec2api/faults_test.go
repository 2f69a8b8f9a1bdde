package ec2api_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"gameday/internal/sim/ec2api"
)

// newFaultEnv is newEnv with rate limits off (fault tests make many calls)
// and f injected.
func newFaultEnv(t *testing.T, f ec2api.Faults) *env {
	t.Helper()
	e := newEnv(t, false)
	e.server.SetRateLimits(false)
	if err := e.server.SetFaults(f); err != nil {
		t.Fatal(err)
	}
	return e
}

// outcome is what a client saw of one call: "ok", an EC2 error code with
// its HTTP status, "reset", or the unexpected error.
func outcome(err error) string {
	var apiErr smithy.APIError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &apiErr):
		var status string
		if code := httpStatus(err); code != 0 {
			status = " " + http.StatusText(code)
		}
		return apiErr.ErrorCode() + status
	case strings.Contains(err.Error(), "connection reset by peer"):
		return "reset"
	}
	return "unexpected: " + err.Error()
}

func httpStatus(err error) int {
	var resp interface{ HTTPStatusCode() int }
	if errors.As(err, &resp) {
		return resp.HTTPStatusCode()
	}
	return 0
}

// rebootOutcomes reboots id n times in a row and returns what each call saw.
func (e *env) rebootOutcomes(t *testing.T, id string, n int) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		out[i] = outcome(e.reboot(t, id))
	}
	return out
}

func count(outcomes []string, want string) int {
	n := 0
	for _, o := range outcomes {
		if o == want {
			n++
		}
	}
	return n
}

func TestFaultsAtFullRateDoNotAct(t *testing.T) {
	tests := []struct {
		name   string
		faults ec2api.Faults
		seen   []string // every outcome is one of these, and each is seen
		audit  []string // error codes audited
	}{
		{"server errors", ec2api.Faults{ServerErrorRate: 1},
			[]string{"InternalError Internal Server Error", "Unavailable Service Unavailable"},
			[]string{"InternalError", "Unavailable"}},
		{"throttling", ec2api.Faults{ThrottleRate: 1},
			[]string{"RequestLimitExceeded Service Unavailable"}, []string{"RequestLimitExceeded"}},
		{"resets", ec2api.Faults{ResetRate: 1},
			[]string{"reset"}, []string{ec2api.AuditInjectedReset}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newFaultEnv(t, tt.faults)
			id := e.idsOfGroup("web")[0]
			got := e.rebootOutcomes(t, id, 20)
			for _, want := range tt.seen {
				if count(got, want) == 0 {
					t.Errorf("never saw %q in %v", want, got)
				}
			}
			for _, o := range got {
				if !slices.Contains(tt.seen, o) {
					t.Errorf("saw %q, want only %v", o, tt.seen)
				}
			}
			if counts := e.sim.RebootCounts(); len(counts) != 0 {
				t.Errorf("RebootCounts() = %v: a call acted despite the fault", counts)
			}
			for _, rec := range e.sim.Audit() {
				if !slices.Contains(tt.audit, rec.ErrorCode) || rec.Action != "RebootInstances" || rec.InstanceIDs[0] != id {
					t.Errorf("audit record %+v, want a RebootInstances of %s failed with one of %v", rec, id, tt.audit)
				}
			}
			if n := len(e.sim.Audit()); n != 20 {
				t.Errorf("%d audit records, want one per call (20)", n)
			}
		})
	}
}

func TestInjectedServerErrorMessage(t *testing.T) {
	e := newFaultEnv(t, ec2api.Faults{ServerErrorRate: 1, Seed: 3})
	for range 10 {
		err := e.reboot(t, e.idsOfGroup("web")[0])
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode() == "InternalError" {
			wantAPIError(t, err, "InternalError", "An internal error has occurred")
			wantStatus(t, err, http.StatusInternalServerError)
			return
		}
	}
	t.Fatal("no InternalError in 10 calls at server_error_rate 1")
}

func TestInjectedLatency(t *testing.T) {
	const delay = 80 * time.Millisecond
	e := newFaultEnv(t, ec2api.Faults{LatencyRate: 1, LatencyMin: delay, LatencyMax: delay})
	id := e.idsOfGroup("web")[0]
	start := time.Now()
	if err := e.reboot(t, id); err != nil {
		t.Fatalf("latency alone must not fail the call: %v", err)
	}
	if took := time.Since(start); took < delay {
		t.Errorf("call took %v, want at least the injected %v", took, delay)
	}
	codes := auditCodes(e.sim, "RebootInstances")
	if codes[ec2api.AuditInjectedLatency] != 1 || codes[""] != 1 {
		t.Errorf("audit codes %v, want one latency record and the served call", codes)
	}
	if got := e.sim.RebootCounts()[id]; got != 1 {
		t.Errorf("rebooted %d times, want 1", got)
	}
}

// TestResetAfterActingLosesTheAnswer: the call acts, the client sees a
// reset. Only the audit log tells the two apart from a reset before acting.
func TestResetAfterActingLosesTheAnswer(t *testing.T) {
	e := newFaultEnv(t, ec2api.Faults{ResetAfterRate: 1})
	id := e.idsOfGroup("web")[0]
	if got := outcome(e.reboot(t, id)); got != "reset" {
		t.Fatalf("client saw %q, want a connection reset", got)
	}
	if got := e.sim.RebootCounts()[id]; got != 1 {
		t.Errorf("rebooted %d times, want 1: the call acted before the reset", got)
	}
	audit := e.sim.Audit()
	if len(audit) != 2 || audit[0].ErrorCode != "" || audit[1].ErrorCode != ec2api.AuditInjectedResponseLost ||
		audit[0].RequestID != audit[1].RequestID || audit[0].RequestID == "" {
		t.Errorf("audit %+v, want the served call then its lost response, under one request id", audit)
	}
}

// TestSDKRetryAfterALostResponseActsTwice documents why the executor must
// not leave mutating calls to the SDK's retryer: a connection reset is
// retryable, so a call whose answer was lost is made again.
func TestSDKRetryAfterALostResponseActsTwice(t *testing.T) {
	e := newFaultEnv(t, ec2api.Faults{ResetAfterRate: 1})
	client := e.retryingClient(func(int) {
		if err := e.server.SetFaults(ec2api.Faults{}); err != nil {
			t.Error(err)
		}
	})
	id := e.idsOfGroup("web")[0]
	if _, err := client.RebootInstances(ctx(t), &ec2.RebootInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatalf("retried call: %v", err)
	}
	if got := e.sim.RebootCounts()[id]; got != 2 {
		t.Errorf("rebooted %d times, want 2: the SDK retried a call that had acted", got)
	}
}

func TestSDKRetriesInjectedServerErrors(t *testing.T) {
	e := newFaultEnv(t, ec2api.Faults{ServerErrorRate: 1})
	client := e.retryingClient(func(int) {
		if err := e.server.SetFaults(ec2api.Faults{}); err != nil {
			t.Error(err)
		}
	})
	id := e.idsOfGroup("web")[0]
	if _, err := client.RebootInstances(ctx(t), &ec2.RebootInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatalf("a 5xx then a healthy endpoint: %v, want success after a retry", err)
	}
	if got := e.sim.RebootCounts()[id]; got != 1 {
		t.Errorf("rebooted %d times, want 1 (the 5xx did not act)", got)
	}
}

// TestFaultsSpeakEachServicesEnvelope: faults hit STS too, answered in
// STS's error envelope so its client reads the code.
func TestFaultsSpeakEachServicesEnvelope(t *testing.T) {
	e := newFaultEnv(t, ec2api.Faults{ThrottleRate: 1})
	client := sts.NewFromConfig(awsConfig(), func(o *sts.Options) { o.BaseEndpoint = aws.String(e.server.URL()) })
	_, err := client.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	wantThrottled(t, err)
}

var mixed = ec2api.Faults{
	ServerErrorRate: 0.05, ThrottleRate: 0.05, ResetRate: 0.05, ResetAfterRate: 0.05,
	LatencyRate: 0.05, LatencyMin: time.Millisecond, LatencyMax: 2 * time.Millisecond,
}

func TestFaultSequenceIsReproducible(t *testing.T) {
	run := func(seed uint64) []string {
		f := mixed
		f.Seed = seed
		e := newFaultEnv(t, f)
		return e.rebootOutcomes(t, e.idsOfGroup("web")[0], 60)
	}
	first, again, other := run(7), run(7), run(8)
	if !slices.Equal(first, again) {
		t.Errorf("seed 7 gave two sequences:\n%v\n%v", first, again)
	}
	if slices.Equal(first, other) {
		t.Errorf("seeds 7 and 8 gave the same sequence %v", first)
	}
	if count(first, "ok") == len(first) {
		t.Errorf("no fault in 60 calls at 20%%: %v", first)
	}
}

func TestMixedFaultRate(t *testing.T) {
	const n = 400
	f := mixed
	f.Seed = 42
	e := newFaultEnv(t, f)
	id := e.idsOfGroup("web")[0]
	got := e.rebootOutcomes(t, id, n)
	failed := n - count(got, "ok")
	// 20% of 400 is 80; the binomial's standard deviation is 8.
	if failed < 56 || failed > 104 {
		t.Errorf("%d of %d calls failed, want about 20%% (56..104)", failed, n)
	}
	for _, kind := range []string{"InternalError Internal Server Error", "Unavailable Service Unavailable",
		"RequestLimitExceeded Service Unavailable", "reset"} {
		if count(got, kind) == 0 {
			t.Errorf("no %q in %d calls", kind, n)
		}
	}
	// The server's side: calls that acted are those that succeeded plus
	// those whose response was lost.
	codes := auditCodes(e.sim, "RebootInstances")
	if acted := e.sim.RebootCounts()[id]; acted != count(got, "ok")+codes[ec2api.AuditInjectedResponseLost] {
		t.Errorf("rebooted %d times; %d ok + %d lost responses", acted, count(got, "ok"), codes[ec2api.AuditInjectedResponseLost])
	}
	if codes[ec2api.AuditInjectedLatency] == 0 {
		t.Errorf("no latency injected in %d calls at 5%%", n)
	}
}

func TestFaultsValidate(t *testing.T) {
	tests := []struct {
		name string
		f    ec2api.Faults
		want string // "" valid, else a substring of the error
	}{
		{"zero", ec2api.Faults{}, ""},
		{"mixed", mixed, ""},
		{"all server errors", ec2api.Faults{ServerErrorRate: 1}, ""},
		{"negative", ec2api.Faults{ThrottleRate: -0.1}, "throttle_rate -0.1 is not between 0 and 1"},
		{"above one", ec2api.Faults{LatencyRate: 1.5, LatencyMax: time.Second}, "latency_rate 1.5"},
		{"sum above one", ec2api.Faults{ResetRate: 0.6, ResetAfterRate: 0.6}, "add up to 1.2"},
		{"inverted range", ec2api.Faults{LatencyRate: 1, LatencyMin: time.Second, LatencyMax: time.Millisecond}, "latency range"},
		{"latency without range", ec2api.Faults{LatencyRate: 0.5}, "needs a latency max"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.f.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want valid", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	e := newEnv(t, false)
	if err := e.server.SetFaults(ec2api.Faults{ThrottleRate: 2}); err == nil {
		t.Error("SetFaults accepted a rate of 2")
	}
}
