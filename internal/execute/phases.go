package execute

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"gameday/internal/plan"
)

// PhaseRun is one phase of a plan and its settings.
type PhaseRun struct {
	Phase  *plan.Phase
	Config Config
}

// RunPhases runs every phase when it is due: its After offset from start,
// or once the phase it follows has finished. Phases may overlap. The first
// phase to abort or fail ends the others (they stop launching waves), and a
// phase waiting on one that did not finish never starts.
func RunPhases(ctx context.Context, start time.Time, runs []PhaseRun, deps Deps) ([]Result, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if deps.Acted == nil {
		deps.Acted = NewActedSet()
	}
	finished := make(map[string]chan struct{}, len(runs))
	for _, r := range runs {
		finished[r.Phase.Name] = make(chan struct{})
	}
	results := make([]Result, len(runs))
	errs := make([]error, len(runs))
	var wg sync.WaitGroup
	for i, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = runPhase(ctx, start, r, finished, deps)
			switch {
			case errs[i] != nil:
				cancel(fmt.Errorf("phase %s failed: %w", r.Phase.Name, errs[i]))
			case results[i].Aborted:
				cancel(fmt.Errorf("phase %s aborted", r.Phase.Name))
			default:
				close(finished[r.Phase.Name])
			}
		}()
	}
	wg.Wait()
	return results, errors.Join(errs...)
}

// runPhase waits until the phase is due, then runs its waves.
func runPhase(ctx context.Context, start time.Time, r PhaseRun, finished map[string]chan struct{}, deps Deps) (Result, error) {
	ph := r.Phase
	res := Result{Phase: ph.Name}
	if err := waitDue(ctx, start, ph, finished); err != nil {
		res.Aborted = true
		res.AbortReason = fmt.Sprintf("phase %s not started: %v", ph.Name, context.Cause(ctx))
		return res, nil
	}
	if len(ph.Waves) == 0 {
		deps.Log.Info("phase has nothing to do", zap.String("phase", ph.Name), zap.String("reason", ph.SelectionRule))
		return res, nil
	}
	deps.Log.Info("phase start", zap.String("phase", ph.Name), zap.String("action", r.Config.Action.Type),
		zap.Int("instances", len(ph.Selected)), zap.Int("waves", len(ph.Waves)))
	return Run(ctx, ph.Waves, r.Config, deps)
}

// waitDue blocks until the phase may start, or ctx ends.
func waitDue(ctx context.Context, start time.Time, ph *plan.Phase, finished map[string]chan struct{}) error {
	if ph.Step.After != nil {
		return Sleep(ctx, time.Until(start.Add(*ph.Step.After)))
	}
	done, ok := finished[ph.Step.AfterPhase]
	if !ok {
		return fmt.Errorf("execute: phase %s follows unknown phase %q", ph.Name, ph.Step.AfterPhase)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-done:
		return nil
	}
}
