package execute

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"gameday/internal/fleet"
	"gameday/internal/scenario"
)

// pacedStartOp is a fakeOp whose Start first waits for tokens, as the EC2
// operator does: after the StartInstances burst of 1,000 is spent, 500
// starts wait 250 s (2 instances a second).
type pacedStartOp struct {
	*fakeOp
	wait time.Duration
}

func (p *pacedStartOp) Start(ctx context.Context, ids []string) error {
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-time.After(p.wait):
	}
	return p.fakeOp.Start(ctx, ids)
}

// TestAStartThatWaitsMinutesForTokensIsNotCutShort: the mutating call's
// context bounds nothing but interrupts; a start that waits 250 s for
// EC2's tokens completes and the wave passes (issue 8's benchmark found
// waves of 500 stop-starts aborted after 2 minutes).
func TestAStartThatWaitsMinutesForTokensIsNotCutShort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ws, ids := waves(3)
		h, deps := newHarness(ids, &fakeGate{recoverAfter: time.Second})
		deps.Operators = map[string]fleet.Operator{"r1": &pacedStartOp{fakeOp: h.op, wait: 250 * time.Second}}
		cfg := rebootCfg()
		cfg.Action = scenario.Action{Type: scenario.ActionStopStart}
		cfg.StateTimeout = 10 * time.Minute
		res, err := Run(t.Context(), ws, cfg, deps)
		if err != nil || res.Aborted {
			t.Fatalf("Run = %+v, %v; want the paced start to complete", res, err)
		}
		for _, id := range ids {
			if s := h.op.state(id); s != fleet.StateRunning {
				t.Errorf("%s ends %s, want running", id, s)
			}
		}
	})
}
