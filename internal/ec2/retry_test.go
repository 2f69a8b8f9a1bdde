package ec2

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"gameday/internal/fleet"
	"gameday/internal/sim"
	"gameday/internal/sim/ec2api"
)

// fastRetries keeps backoff to milliseconds so fault tests stay fast.
func fastRetries(opts Options) Options {
	opts.RetryBaseDelay, opts.RetryMaxDelay = time.Millisecond, 4*time.Millisecond
	return opts
}

// TestThrottledCallsAreRetriedAndActOnce: half the calls are refused with
// RequestLimitExceeded (seeded). Every batch gets through, every instance
// is acted on exactly once, and each retry is logged with its reason.
func TestThrottledCallsAreRetriedAndActOnce(t *testing.T) {
	e := newSimEnv(t, appFleet(20))
	e.setFaults(ec2api.Faults{ThrottleRate: 0.5, Seed: 11})
	logger, logs := observed()
	p := e.provider(fastRetries(Options{BatchSize: 2, MaxAttempts: 10, Logger: logger}))
	ids := e.ids()
	if err := p.Reboot(t.Context(), ids); err != nil {
		t.Fatalf("Reboot under 50%% throttling: %v", err)
	}
	if err := p.Tag(t.Context(), ids, map[string]string{"k": "v"}); err != nil {
		t.Fatalf("Tag under 50%% throttling: %v", err)
	}
	for _, action := range []string{sim.ActionRebootInstances, sim.ActionCreateTags} {
		counts := e.sim.CallCounts(action)
		for _, id := range ids {
			if counts[id] != 1 {
				t.Errorf("%s acted on %s %d times, want exactly once", action, id, counts[id])
			}
		}
	}
	throttled := e.codes(sim.ActionRebootInstances)["RequestLimitExceeded"] + e.codes(sim.ActionCreateTags)["RequestLimitExceeded"]
	retries := logs.FilterMessage("not acted on; retrying").All()
	if throttled == 0 || len(retries) != throttled {
		t.Errorf("%d throttled calls audited, %d retries logged; want one logged retry per throttled call, and some", throttled, len(retries))
	}
	for _, entry := range retries {
		fields := entry.ContextMap()
		if reason, _ := fields["reason"].(string); !strings.Contains(reason, "RequestLimitExceeded") || fields["attempt"] == nil {
			t.Errorf("retry logged with fields %v, want the reason and the attempt", fields)
		}
	}
}

// TestLostAnswerIsNeverResent: the reboot acts, then the connection is
// reset. The provider does not re-send (the SDK would: see the
// simulator's TestSDKRetryAfterALostResponseActsTwice); it reports the
// batch as uncertain and sends no later batch.
func TestLostAnswerIsNeverResent(t *testing.T) {
	e := newSimEnv(t, appFleet(3))
	e.setFaults(ec2api.Faults{ResetAfterRate: 1})
	logger, logs := observed()
	p := e.provider(fastRetries(Options{BatchSize: 2, Logger: logger}))
	ids := e.ids()
	err := p.Reboot(t.Context(), ids)
	uncertain, batch := wantUncertain(t, err, fleet.ActionReboot, ids[:2])
	if len(batch.Done) != 0 || !slices.Equal(batch.NotSent, ids[2:]) {
		t.Errorf("BatchError done %v, not sent %v; want nothing done and the last id not sent", batch.Done, batch.NotSent)
	}
	if got := e.sim.RebootCounts(); len(got) != 2 || got[ids[0]] != 1 || got[ids[1]] != 1 {
		t.Errorf("RebootCounts %v, want the first batch rebooted exactly once and nothing else", got)
	}
	if got := e.codes(sim.ActionRebootInstances); got[""] != 1 || got[ec2api.AuditInjectedResponseLost] != 1 || len(got) != 2 {
		t.Errorf("RebootInstances audit %v, want one call, served, its answer lost", got)
	}
	if !strings.Contains(uncertain.Error(), "outcome unknown") || !strings.Contains(err.Error(), "1 not sent") {
		t.Errorf("message %q: want it to say the outcome is unknown and what was not sent", err)
	}
	if n := len(logs.FilterMessageSnippet("outcome unknown").All()); n != 1 {
		t.Errorf("%d uncertain outcomes logged, want 1", n)
	}
}

// TestResetBeforeActingIsUncertainToo: the client cannot tell a reset
// before acting from one after, so it reports the same; nothing happened.
func TestResetBeforeActingIsUncertainToo(t *testing.T) {
	e := newSimEnv(t, appFleet(2))
	e.setFaults(ec2api.Faults{ResetRate: 1})
	p := e.provider(fastRetries(Options{}))
	ids := e.ids()
	wantUncertain(t, p.Stop(t.Context(), ids, false), fleet.ActionStop, ids)
	if got := e.sim.CallCounts(sim.ActionStopInstances); len(got) != 0 {
		t.Errorf("stopped %v, want nothing", got)
	}
	if got := len(e.calls(sim.ActionStopInstances)); got != 1 {
		t.Errorf("%d StopInstances calls, want 1: no re-send", got)
	}
}

// TestServerErrorsSplitByWhetherTheyActed: 503 Unavailable is retried,
// 500 InternalError is uncertain and never re-sent.
func TestServerErrorsSplitByWhetherTheyActed(t *testing.T) {
	e := newSimEnv(t, appFleet(1))
	e.setFaults(ec2api.Faults{ServerErrorRate: 1, Seed: 5})
	p := e.provider(fastRetries(Options{MaxAttempts: 20}))
	wantUncertain(t, p.Reboot(t.Context(), e.ids()), fleet.ActionReboot, e.ids())
	calls := e.calls(sim.ActionRebootInstances)
	if len(calls) < 2 {
		t.Errorf("%d calls: the seed should give an Unavailable (retried) before the InternalError", len(calls))
	}
	for i, rec := range calls {
		last := i == len(calls)-1
		if (rec.ErrorCode == "InternalError") != last || (!last && rec.ErrorCode != "Unavailable") {
			t.Errorf("call %d of %d answered %s: want Unavailable retried until the first InternalError, then nothing", i+1, len(calls), rec.ErrorCode)
		}
	}
}

func TestSustainedThrottlingGivesUpWithTheCode(t *testing.T) {
	e := newSimEnv(t, appFleet(1))
	e.setFaults(ec2api.Faults{ThrottleRate: 1})
	p := e.provider(fastRetries(Options{MaxAttempts: 3}))
	err := p.Reboot(t.Context(), e.ids())
	var apiErr *APIError
	var uncertain *fleet.UncertainError
	if !errors.As(err, &apiErr) || apiErr.Code != "RequestLimitExceeded" || errors.As(err, &uncertain) {
		t.Fatalf("Reboot = %v, want RequestLimitExceeded, not uncertain (a throttled call did nothing)", err)
	}
	if !strings.Contains(err.Error(), "3 attempts") || apiErr.Hint == "" {
		t.Errorf("message %q: want the attempts spent and a hint", err)
	}
	if got := e.codes(sim.ActionRebootInstances); got["RequestLimitExceeded"] != 3 || len(got) != 1 {
		t.Errorf("audit %v, want 3 throttled attempts", got)
	}
}

func TestCancelledContextSendsNothing(t *testing.T) {
	e := newSimEnv(t, appFleet(2))
	p := e.provider(Options{})
	ctx, cancel := context.WithCancelCause(t.Context())
	cause := errors.New("operator pressed Ctrl-C")
	cancel(cause)
	err := p.Reboot(ctx, e.ids())
	var uncertain *fleet.UncertainError
	var batch *BatchError
	if !errors.Is(err, cause) || errors.As(err, &uncertain) || !errors.As(err, &batch) || len(batch.Batch) != 2 {
		t.Fatalf("Reboot = %v, want the cause, the batch named, and no uncertainty", err)
	}
	if n := len(e.sim.Audit()); n != 0 {
		t.Errorf("%d calls reached the simulator, want none", n)
	}
}

// TestRefusedConnectionIsRetriedThenReported: nothing was sent, so it is
// safe to retry, and it is no uncertain outcome.
func TestRefusedConnectionIsRetriedThenReported(t *testing.T) {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "http://" + l.Addr().String()
	_ = l.Close()
	cfg, err := LoadConfig(t.Context(), Session{Region: "us-east-1", EndpointURL: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	logger, logs := observed()
	p := New(cfg, fastRetries(Options{MaxAttempts: 2, Logger: logger}))
	err = p.Reboot(t.Context(), []string{"i-0123456789abcdef0"})
	var apiErr *APIError
	var uncertain *fleet.UncertainError
	if !errors.As(err, &apiErr) || errors.As(err, &uncertain) || !strings.Contains(apiErr.Hint, "nothing listens") {
		t.Fatalf("Reboot = %v, want a classified refusal with a hint, not uncertain", err)
	}
	if n := len(logs.FilterMessage("not acted on; retrying").All()); n != 1 {
		t.Errorf("%d retries logged, want 1", n)
	}
}

// wantUncertain checks err is a BatchError over an UncertainError naming
// batch, and returns both.
func wantUncertain(t *testing.T, err error, action fleet.Action, batch []string) (*fleet.UncertainError, *BatchError) {
	t.Helper()
	var uncertain *fleet.UncertainError
	var batchErr *BatchError
	if !errors.As(err, &uncertain) || !errors.As(err, &batchErr) {
		t.Fatalf("err = %v, want a *BatchError over a *fleet.UncertainError", err)
	}
	if uncertain.Action != action || !slices.Equal(uncertain.IDs, batch) || !slices.Equal(batchErr.Batch, batch) {
		t.Errorf("uncertain %s on %v (batch %v), want %s on %v", uncertain.Action, uncertain.IDs, batchErr.Batch, action, batch)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !strings.Contains(apiErr.Hint, "may have acted") {
		t.Errorf("err %v: want a hint that the call may have acted", err)
	}
	return uncertain, batchErr
}

// TestLostTagAnswersAreSentAgain: CreateTags and DeleteTags do the same
// thing twice as once, so an answer lost after acting is no reason to end
// a run: they are sent again, up to MaxAttempts, and only then uncertain.
func TestLostTagAnswersAreSentAgain(t *testing.T) {
	e := newSimEnv(t, appFleet(2))
	e.setFaults(ec2api.Faults{ResetAfterRate: 1})
	p := e.provider(fastRetries(Options{MaxAttempts: 3}))
	ids := e.ids()
	wantUncertain(t, p.Tag(t.Context(), ids, map[string]string{"gameday:run-id": "r1"}), fleet.ActionTag, ids)
	// Each served call is audited twice: served, then its answer lost.
	if got := e.codes(sim.ActionCreateTags); got[""] != 3 || got[ec2api.AuditInjectedResponseLost] != 3 {
		t.Errorf("CreateTags audit %v, want 3 calls, each served and its answer lost", got)
	}
	for _, v := range e.sim.Describe() {
		if v.Tags["gameday:run-id"] != "r1" {
			t.Errorf("%s tags %v, want the tag set (the calls acted, their answers were lost)", v.ID, v.Tags)
		}
	}
	wantUncertain(t, p.Untag(t.Context(), ids, []string{"gameday:run-id"}), fleet.ActionUntag, ids)
	if got := e.codes(sim.ActionDeleteTags); got[""] != 3 {
		t.Errorf("DeleteTags audit %v, want 3 calls", got)
	}
	// A reboot is not idempotent: one call, never re-sent (TestLostAnswerIsNeverResent).
}
