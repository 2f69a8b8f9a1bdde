package execute

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"gameday/internal/plan"
	"gameday/internal/scenario"
)

func phase(name string, after *time.Duration, afterPhase string, ws []plan.Wave) *plan.Phase {
	ph := &plan.Phase{Name: name, Waves: ws, Step: scenario.Step{Name: name, After: after, AfterPhase: afterPhase}}
	for _, w := range ws {
		ph.Selected = append(ph.Selected, w.Instances...)
	}
	return ph
}

func TestPhasesStartWhenDue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		all, ids := waves(1, 1, 1)
		h, deps := newHarness(ids, &fakeGate{recoverAfter: 4 * time.Minute})
		zero, tenMin := time.Duration(0), 10*time.Minute
		cfg := rebootCfg()
		cfg.GateTimeout = time.Hour
		start := time.Now()
		runs := []PhaseRun{
			{phase("a", &zero, "", all[0:1]), cfg},
			{phase("b", nil, "a", all[1:2]), cfg},    // when a ends: at 4 m
			{phase("c", &tenMin, "", all[2:3]), cfg}, // at 10 m, whatever a and b do
		}
		for i := range runs {
			runs[i].Config.Phase = runs[i].Phase.Name
		}
		results, err := RunPhases(t.Context(), start, runs, deps)
		if err != nil {
			t.Fatal(err)
		}
		var at []time.Duration
		for _, c := range h.op.calls {
			at = append(at, c.at.Sub(start))
		}
		if len(at) != 3 || at[0] != 0 || at[1] != 4*time.Minute || at[2] != 10*time.Minute {
			t.Errorf("phases acted at %v, want [0 4m 10m]", at)
		}
		for _, r := range results {
			if r.Aborted || len(r.Acted) != 1 {
				t.Errorf("phase %s: %+v", r.Phase, r)
			}
		}
	})
}

func TestAnAbortedPhaseEndsTheOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		all, ids := waves(1, 1, 1)
		h, deps := newHarness(ids, &fakeGate{recoverAfter: time.Second, never: map[string]bool{ids[0]: true}})
		zero, later := time.Duration(0), 5*time.Minute
		cfg := rebootCfg()
		runs := []PhaseRun{
			{phase("a", &zero, "", all[0:1]), cfg},  // its gate times out after 1 m
			{phase("b", nil, "a", all[1:2]), cfg},   // never starts
			{phase("c", &later, "", all[2:3]), cfg}, // would start at 5 m
		}
		for i := range runs {
			runs[i].Config.Phase = runs[i].Phase.Name
		}
		results, err := RunPhases(t.Context(), time.Now(), runs, deps)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.op.calls) != 1 {
			t.Errorf("%d calls, want only phase a's", len(h.op.calls))
		}
		for _, r := range results {
			if !r.Aborted {
				t.Errorf("phase %s not aborted", r.Phase)
			}
		}
		if !strings.Contains(results[2].AbortReason, "phase a aborted") {
			t.Errorf("phase c reason %q, want the cause", results[2].AbortReason)
		}
	})
}
