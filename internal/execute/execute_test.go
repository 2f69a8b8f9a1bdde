package execute

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/scenario"
)

// waves builds waves of the given sizes over instances i-1, i-2, ... in r1.
func waves(sizes ...int) ([]plan.Wave, []string) {
	var out []plan.Wave
	var ids []string
	for i, size := range sizes {
		w := plan.Wave{Index: i + 1}
		for range size {
			id := fmt.Sprintf("i-%d", len(ids)+1)
			ids = append(ids, id)
			w.Instances = append(w.Instances, fleet.Instance{ID: id, Region: "r1", State: fleet.StateRunning})
		}
		out = append(out, w)
	}
	return out, ids
}

type harness struct {
	op  *fakeOp
	j   *memJournal
	obs *recordingObserver
	g   *fakeGate
}

func newHarness(ids []string, gate *fakeGate) (*harness, Deps) {
	h := &harness{op: newFakeOp(ids...), j: &memJournal{}, obs: &recordingObserver{}, g: gate}
	return h, Deps{Operators: map[string]fleet.Operator{"r1": h.op}, Gate: gate, Observer: h.obs, Journal: h.j,
		Log: zap.NewNop(), RunID: "run-1"}
}

func rebootCfg() Config {
	return Config{Phase: "main", Action: scenario.Action{Type: scenario.ActionReboot}, WaitForHealthy: true,
		GateTimeout: time.Minute, StateTimeout: time.Minute, PollInterval: time.Second}
}

func TestRebootWavesRunInOrderWithTheIntervalAfterTheGate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ws, ids := waves(3, 3, 2)
		h, deps := newHarness(ids, &fakeGate{recoverAfter: 5 * time.Second})
		cfg := rebootCfg()
		cfg.Interval = 10 * time.Second
		res, err := Run(t.Context(), ws, cfg, deps)
		if err != nil || res.Aborted {
			t.Fatalf("Run = %+v, %v", res, err)
		}
		calls := h.op.calls
		if len(calls) != 3 {
			t.Fatalf("%d calls, want 3 reboots", len(calls))
		}
		for i := 1; i < len(calls); i++ {
			if got := calls[i].at.Sub(calls[i-1].at); got != 15*time.Second {
				t.Errorf("wave %d started %v after wave %d, want 15s (5s gate + 10s interval)", i+1, got, i)
			}
		}
		if !slices.Equal(res.Acted, ids) {
			t.Errorf("acted %v, want %v", res.Acted, ids)
		}
		want := []string{"state", "intent RebootInstances", "outcome ok"}
		if got := h.j.kinds(); !slices.Equal(got[:3], want) || len(got) != 9 {
			t.Errorf("journal %v, want a re-check state, an intent and an outcome per wave", got)
		}
	})
}

func TestStopStartTagsStopsHoldsStartsAndUntags(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ws, ids := waves(2)
		h, deps := newHarness(ids, &fakeGate{recoverAfter: time.Second})
		cfg := rebootCfg()
		cfg.Action = scenario.Action{Type: scenario.ActionStopStart, StoppedFor: scenario.Duration{Duration: time.Minute}}
		res, err := Run(t.Context(), ws, cfg, deps)
		if err != nil || res.Aborted {
			t.Fatalf("Run = %+v, %v", res, err)
		}
		want := []string{"CreateTags[i-1 i-2]", "StopInstances[i-1 i-2]", "StartInstances[i-1 i-2]", "DeleteTags[i-1 i-2]"}
		if got := h.op.actions(); !slices.Equal(got, want) {
			t.Errorf("calls %v, want %v", got, want)
		}
		stop, start := h.op.calls[1].at, h.op.calls[2].at
		// 1 s stopping, polled every second, then held 60 s.
		if held := start.Sub(stop); held < time.Minute || held > time.Minute+2*time.Second {
			t.Errorf("held stopped %v, want stopped_for 1m plus the stop itself", held)
		}
		if h.g.marked["i-1"] != start {
			t.Errorf("recovery measured from %v, want the start call %v", h.g.marked["i-1"], start)
		}
		if s := h.op.state("i-1"); s != fleet.StateRunning || len(h.op.instances["i-1"].tags) != 0 {
			t.Errorf("i-1 ends %s with tags %v, want running and untagged", s, h.op.instances["i-1"].tags)
		}
		kinds := strings.Join(h.j.kinds(), ",")
		for _, wantSeq := range []string{"intent CreateTags,outcome ok,intent StopInstances,outcome ok,state", "intent StartInstances,outcome ok,state,intent DeleteTags"} {
			if !strings.Contains(kinds, wantSeq) {
				t.Errorf("journal %s lacks %s", kinds, wantSeq)
			}
		}
	})
}

func TestRecheckSkipsInstancesThatChangedSinceThePlan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ws, ids := waves(3)
		h, deps := newHarness(ids, &fakeGate{recoverAfter: time.Second})
		delete(h.op.instances, "i-2")
		h.op.instances["i-3"].state = fleet.StateStopped
		res, err := Run(t.Context(), ws, rebootCfg(), deps)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(res.Acted, []string{"i-1"}) || len(res.Waves[0].Skipped) != 2 {
			t.Errorf("acted %v skipped %+v; want only i-1, the vanished and the stopped one skipped", res.Acted, res.Waves[0].Skipped)
		}
	})
}

func TestAnUncertainRebootIsNeverResent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ws, ids := waves(2, 2)
		h, deps := newHarness(ids, &fakeGate{recoverAfter: time.Second})
		h.op.failOn, h.op.failErr = 1, &fleet.UncertainError{Action: fleet.ActionReboot, IDs: ids[:2], Err: errors.New("connection reset")}
		res, err := Run(t.Context(), ws, rebootCfg(), deps)
		if err != nil || res.Aborted {
			t.Fatalf("Run = %+v, %v", res, err)
		}
		if got := h.op.actions(); len(got) != 2 || got[0] != "RebootInstances[i-1 i-2]" || got[1] != "RebootInstances[i-3 i-4]" {
			t.Errorf("calls %v; want each wave's reboot once, the uncertain one not re-sent", got)
		}
		if len(res.Acted) != 4 {
			t.Errorf("acted %v: an uncertain reboot counts as acted", res.Acted)
		}
	})
}

func TestAStopWhoseAnswerWasLostGoesOnWithWhatStopped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ws, ids := waves(2)
		h, deps := newHarness(ids, &fakeGate{recoverAfter: time.Second})
		// Call 2 is the stop: it acts, then its answer is lost.
		h.op.failOn = 2
		h.op.failErr = &uncertainAfter{fleet.UncertainError{Action: fleet.ActionStop, IDs: ids, Err: errors.New("EOF")}}
		cfg := rebootCfg()
		cfg.Action = scenario.Action{Type: scenario.ActionStopStart}
		if _, err := Run(t.Context(), ws, cfg, deps); err != nil {
			t.Fatal(err)
		}
		if got := h.op.actions(); !slices.Equal(got, []string{"CreateTags[i-1 i-2]", "StopInstances[i-1 i-2]", "StartInstances[i-1 i-2]", "DeleteTags[i-1 i-2]"}) {
			t.Errorf("calls %v; want one stop (read back, not re-sent) and the cycle completed", got)
		}
	})
}

func TestGateTimeoutAbortsOrContinues(t *testing.T) {
	for _, cont := range []bool{false, true} {
		t.Run(fmt.Sprint("continue=", cont), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ws, ids := waves(2, 2)
				h, deps := newHarness(ids, &fakeGate{recoverAfter: time.Second, never: map[string]bool{"i-2": true}})
				cfg := rebootCfg()
				cfg.ContinueOnGateTimeout = cont
				res, err := Run(t.Context(), ws, cfg, deps)
				if err != nil {
					t.Fatal(err)
				}
				wantCalls := map[bool]int{false: 1, true: 2}[cont]
				if len(h.op.calls) != wantCalls || res.Aborted == cont {
					t.Errorf("calls %d aborted %v, want %d calls and aborted=%v", len(h.op.calls), res.Aborted, wantCalls, !cont)
				}
				if !cont && !strings.Contains(res.AbortReason, "i-2") {
					t.Errorf("abort reason %q does not name the pending instance", res.AbortReason)
				}
			})
		})
	}
}

func TestInterruptLetsTheCallInFlightFinishAndLaunchesNothingMore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ws, ids := waves(2, 2)
		h, deps := newHarness(ids, &fakeGate{recoverAfter: time.Second})
		h.op.entered, h.op.release = make(chan struct{}), make(chan struct{})
		ctx, cancel := context.WithCancelCause(t.Context())
		go func() {
			<-h.op.entered
			cancel(errors.New("received interrupt"))
			close(h.op.release)
		}()
		res, err := Run(ctx, ws, rebootCfg(), deps)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.op.calls) != 1 || len(res.Acted) != 2 || !strings.Contains(res.AbortReason, "received interrupt") {
			t.Errorf("calls %d acted %v reason %q; want the first wave's call completed, nothing after", len(h.op.calls), res.Acted, res.AbortReason)
		}
	})
}

func TestMaxInFlightActsInGroupsThatEachWaitForHealth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ws, ids := waves(5)
		h, deps := newHarness(ids, &fakeGate{recoverAfter: 10 * time.Second})
		cfg := rebootCfg()
		cfg.MaxInFlight = 2
		res, err := Run(t.Context(), ws, cfg, deps)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.op.actions(); !slices.Equal(got, []string{"RebootInstances[i-1 i-2]", "RebootInstances[i-3 i-4]", "RebootInstances[i-5]"}) {
			t.Errorf("calls %v", got)
		}
		if res.Waves[0].GateElapsed != 30*time.Second {
			t.Errorf("gate elapsed %v, want 30s over three groups", res.Waves[0].GateElapsed)
		}
	})
}

func TestDryRunCallsNothingThatMutates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ws, ids := waves(2, 2)
		h, deps := newHarness(ids, &fakeGate{recoverAfter: time.Second})
		cfg := rebootCfg()
		cfg.Action = scenario.Action{Type: scenario.ActionStopStart}
		cfg.DryRun = true
		res, err := Run(t.Context(), ws, cfg, deps)
		if err != nil || len(h.op.calls) != 0 || len(res.Acted) != 0 || len(res.Waves) != 2 {
			t.Errorf("dry run: calls %v acted %v waves %d err %v", h.op.actions(), res.Acted, len(res.Waves), err)
		}
	})
}

func TestAJournalThatCannotRecordAnIntentStopsTheRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ws, ids := waves(2)
		h, deps := newHarness(ids, &fakeGate{recoverAfter: time.Second})
		h.j.failAt = 2 // the re-check state is record 1, the intent record 2
		if _, err := Run(t.Context(), ws, rebootCfg(), deps); err == nil || len(h.op.calls) != 0 {
			t.Errorf("err %v calls %v; want a refusal to act without a journal", err, h.op.actions())
		}
	})
}

func TestAnInstancePlannedTwiceIsRefused(t *testing.T) {
	ws, ids := waves(2, 1)
	ws[1].Instances[0] = ws[0].Instances[0]
	h, deps := newHarness(ids, &fakeGate{})
	_, err := Run(t.Context(), ws, Config{Phase: "main", Action: scenario.Action{Type: scenario.ActionReboot}}, deps)
	if err == nil || !strings.Contains(err.Error(), "planned twice") || len(h.op.calls) != 1 {
		t.Fatalf("err %v calls %d; want a refusal before the second wave acts", err, len(h.op.calls))
	}
}
