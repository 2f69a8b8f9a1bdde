package execute

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
	"gameday/internal/journal"
	"gameday/internal/scenario"
)

// waitFor reads ids back every PollInterval until all are in state want,
// then journals what it saw (a stop-start is only known to be undone once
// a state record says running). An instance that vanished or fell into a
// state from which want cannot follow ends the wait with an error, as does
// StateTimeout.
func (x *wave1) waitFor(ctx context.Context, op fleet.Operator, region string, ids []string, want string) error {
	deadline := time.Now().Add(x.cfg.StateTimeout)
	for {
		states, err := x.states(ctx, op, ids)
		if err != nil {
			return err
		}
		var pending, wrong []string
		for _, id := range ids {
			switch st := states[id]; {
			case st == want:
			case st == "" || st == fleet.StateTerminated || st == fleet.StateShuttingDown:
				wrong = append(wrong, fmt.Sprintf("%s (%s)", id, orAbsent(st)))
			default:
				pending = append(pending, id)
			}
		}
		if len(wrong) > 0 {
			return fmt.Errorf("execute: waiting for %s: %s will never be %s", want, strings.Join(wrong, ", "), want)
		}
		if len(pending) == 0 {
			x.note(journal.Record{State: &journal.State{Region: region, Instances: states, Phase: x.cfg.Phase, Wave: x.wave}})
			x.deps.Log.Info("instances reached state", zap.String("state", want), zap.Int("instances", len(ids)))
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("execute: %d instances not %s after %s: %s", len(pending), want, x.cfg.StateTimeout,
				strings.Join(pending, ", "))
		}
		if err := Sleep(ctx, x.cfg.PollInterval); err != nil {
			return err
		}
	}
}

// states reads the current state of ids; an absent instance has no entry.
func (x *wave1) states(ctx context.Context, op fleet.Operator, ids []string) (map[string]string, error) {
	found, err := op.Describe(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("execute: read back %d instances: %w", len(ids), err)
	}
	out := make(map[string]string, len(found))
	for _, inst := range found {
		out[inst.ID] = inst.State
	}
	return out, nil
}

// inState lists the ids whose current state is want.
func (x *wave1) inState(ctx context.Context, op fleet.Operator, ids []string, want string) ([]string, error) {
	states, err := x.states(ctx, op, ids)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return states[id] != want }), nil
}

// whichStopped reads back ids after a stop that failed or whose outcome is
// unknown: those stopping or stopped were stopped by this call (they were
// running when the wave re-checked them). It journals what it saw.
func (x *wave1) whichStopped(ctx context.Context, op fleet.Operator, region string, ids []string) ([]string, error) {
	states, err := x.states(ctx, op, ids)
	if err != nil {
		return nil, err
	}
	x.note(journal.Record{State: &journal.State{Region: region, Instances: states, Phase: x.cfg.Phase, Wave: x.wave}})
	var stopped []string
	for _, id := range ids {
		if st := states[id]; st == fleet.StateStopping || st == fleet.StateStopped {
			stopped = append(stopped, id)
		}
	}
	return stopped, nil
}

// holdsStopped reports whether the action leaves instances stopped, so
// that no health gate applies to it.
func (x *wave1) holdsStopped() bool { return x.cfg.Action.Type == scenario.ActionStop }

func orAbsent(state string) string {
	if state == "" {
		return "absent"
	}
	return state
}
