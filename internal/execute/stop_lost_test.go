package execute

import (
	"context"
	"errors"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"gameday/internal/fleet"
	"gameday/internal/journal"
	"gameday/internal/scenario"
)

// A stop whose connection was reset before EC2 acted (the fault soak's
// reset_rate) is uncertain to the executor, yet stopped nothing. The run
// used to go on with no instance of the wave, leaving them running but
// tagged with its dead-man tags, and its journal counting them as possibly
// stopped: the next run refused them (exit 3) and `gameday runs` listed a
// passed run as having left instances stopped. Found by TestFaultSoak.
func TestAStopLostBeforeItActedIsSentOnceMoreAndTheCycleCompletes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ws, ids := waves(2)
		h, deps := newHarness(ids, &fakeGate{})
		// Call 2 is the stop: its connection is reset before it acts.
		h.op.failOn = 2
		h.op.failErr = &fleet.UncertainError{Action: fleet.ActionStop, IDs: ids, Err: errors.New("connection reset by peer")}
		cfg := rebootCfg()
		cfg.Action = scenario.Action{Type: scenario.ActionStopStart}
		res, err := Run(t.Context(), ws, cfg, deps)
		if err != nil || res.Aborted {
			t.Fatalf("Run = %+v, %v", res, err)
		}
		want := []string{"CreateTags[i-1 i-2]", "StopInstances[i-1 i-2]", "StopInstances[i-1 i-2]", "StartInstances[i-1 i-2]", "DeleteTags[i-1 i-2]"}
		if got := h.op.actions(); !slices.Equal(got, want) {
			t.Errorf("calls %v, want %v: the lost stop sent once more, then the cycle", got, want)
		}
		for _, id := range ids {
			if s, tags := h.op.state(id), h.op.instances[id].tags; s != fleet.StateRunning || len(tags) != 0 {
				t.Errorf("%s ends %s with tags %v, want running and untagged", id, s, tags)
			}
		}
		if !slices.Equal(res.Acted, ids) {
			t.Errorf("acted %v, want %v", res.Acted, ids)
		}
		sum := journal.Summarize(h.j.records)
		if len(sum.MayBeStopped) != 0 || len(sum.Tagged) != 0 {
			t.Errorf("journal: may be stopped %v, tagged %v; want nothing left behind", sum.MayBeStopped, sum.Tagged)
		}
	})
}

// Only the instances the read-back shows running are stopped again: one
// that the lost call did stop (an earlier batch of it) gets no second stop.
func TestAPartlyLostStopIsSentAgainOnlyToTheInstancesStillRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ws, ids := waves(3)
		h, deps := newHarness(ids, &fakeGate{})
		deps.Operators["r1"] = &firstStopHalfDone{fakeOp: h.op}
		cfg := rebootCfg()
		cfg.Action = scenario.Action{Type: scenario.ActionStopStart}
		if _, err := Run(t.Context(), ws, cfg, deps); err != nil {
			t.Fatal(err)
		}
		want := []string{"CreateTags[i-1 i-2 i-3]", "StopInstances[i-1 i-2 i-3]", "StopInstances[i-2 i-3]", "StartInstances[i-1 i-2 i-3]", "DeleteTags[i-1 i-2 i-3]"}
		if got := h.op.actions(); !slices.Equal(got, want) {
			t.Errorf("calls %v, want %v", got, want)
		}
	})
}

// firstStopHalfDone stops only the first instance of its first Stop (its
// first batch acted) and reports the rest uncertain (the next batch's
// connection was reset before it acted).
type firstStopHalfDone struct {
	*fakeOp
	done bool
}

func (o *firstStopHalfDone) Stop(ctx context.Context, ids []string, force bool) error {
	if o.done {
		return o.fakeOp.Stop(ctx, ids, force)
	}
	o.done = true
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, fakeCall{fleet.ActionStop, slices.Clone(ids), time.Now()})
	o.transition(ids[:1], fleet.StateRunning, fleet.StateStopping, fleet.StateStopped)
	return &fleet.UncertainError{Action: fleet.ActionStop, IDs: ids[1:], Err: errors.New("connection reset by peer")}
}

// A reboot call in batches stops at a batch whose outcome is unknown; the
// batches after it were never sent. The wave goes on (an uncertain reboot
// is not re-sent, the gate tells), so the never-sent ones are sent then:
// before, they were the only planned instances a passing run skipped.
// Found by TestFaultSoak (a 500 InternalError on the first of two batches).
func TestRebootBatchesNeverSentAfterAnUncertainOneAreSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ws, ids := waves(4)
		h, deps := newHarness(ids, &fakeGate{})
		h.op.failOn = 1
		h.op.failErr = &batchStopped{notSent: ids[2:],
			err: &fleet.UncertainError{Action: fleet.ActionReboot, IDs: ids[:2], Err: errors.New("InternalError")}}
		res, err := Run(t.Context(), ws, rebootCfg(), deps)
		if err != nil || res.Aborted {
			t.Fatalf("Run = %+v, %v", res, err)
		}
		want := []string{"RebootInstances[i-1 i-2 i-3 i-4]", "RebootInstances[i-3 i-4]"}
		if got := h.op.actions(); !slices.Equal(got, want) {
			t.Errorf("calls %v, want %v: the uncertain batch not re-sent, the unsent one sent", got, want)
		}
		if !slices.Equal(res.Acted, ids) {
			t.Errorf("acted %v, want %v", res.Acted, ids)
		}
	})
}

// batchStopped is the shape of ec2.BatchError the executor relies on.
type batchStopped struct {
	done, notSent []string
	err           error
}

func (e *batchStopped) Error() string        { return e.err.Error() }
func (e *batchStopped) Unwrap() error        { return e.err }
func (e *batchStopped) DoneIDs() []string    { return e.done }
func (e *batchStopped) NotSentIDs() []string { return e.notSent }
