package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"gameday/internal/execute"
	"gameday/internal/journal"
	"gameday/internal/plan"
	"gameday/internal/report"
	"gameday/internal/scenario"
	"gameday/internal/schedule"
	"gameday/internal/verify"
)

// recorder holds one run from its journal to its report.
type recorder struct {
	opts    Options
	runID   string
	dir     string
	plan    *plan.Plan
	started time.Time
	log     *zap.Logger
	journal *journal.Writer
	logFile *runLog
	// last and path are the most recent report written and its file.
	last      *report.Report
	path      string
	artifacts report.Artifacts
	// progress feeds the live status line (nil without one).
	progress *runProgress
}

// runState is what the run produced, for the report.
type runState struct {
	results  []execute.Result
	health   []verify.InstanceHealth
	services map[string][]verify.Sample
	restored string // what the restoration after an abort did
}

func (r *recorder) close() {
	if err := r.journal.Close(); err != nil {
		r.log.Error("closing the journal", zap.Error(err))
	}
	r.logFile.close()
}

// execute runs the phases under the monitors and writes the final report.
func (r *recorder) execute(ctx context.Context) (*Result, error) {
	gate, mons, err := r.startMonitors(ctx)
	if err != nil {
		return r.finish(report.StatusError, err.Error(), runState{}, err)
	}
	defer mons.stop()
	gate, stopProgress := r.showProgress(mons, gate)
	defer stopProgress()
	if reason, err := r.beforeFirstWave(ctx, mons); reason != "" || err != nil {
		if err != nil && ctx.Err() != nil {
			reason = fmt.Sprintf("interrupted before the first wave: %v", context.Cause(ctx))
		} else if err != nil {
			reason = err.Error()
		}
		stopProgress()
		mons.stop()
		return r.finish(report.StatusAborted, reason, r.observed(mons, runState{}), ErrAborted)
	}

	runCtx, abort := context.WithCancelCause(ctx)
	watch := guardrails{g: r.opts.Scenario.Guardrails, mons: mons, interval: r.checkInterval(), log: r.log}
	stopWatching := watch.watch(runCtx, abort)
	results, execErr := execute.RunPhases(runCtx, time.Now(), r.phaseRuns(), r.deps(gate))
	stopWatching()
	abort(nil)
	st := runState{results: results}
	reason := abortReason(results)
	switch {
	case execErr != nil || reason != "":
		st.restored = r.restore(ctx)
	case !r.opts.DryRun:
		r.releaseLeftStopped(ctx)
		r.observeRecovery(ctx, mons, r.expectedToRecover(results))
	}
	stopProgress()
	mons.stop()
	st = r.observed(mons, st)
	switch {
	case execErr != nil:
		return r.finish(report.StatusError, execErr.Error(), st, execErr)
	case reason != "":
		return r.finish(report.StatusAborted, reason, st, ErrAborted)
	case r.opts.DryRun:
		return r.finish(report.StatusDryRun, "dry run: no instance was changed", st, nil)
	}
	return r.finish("", "", st, nil)
}

// beforeFirstWave checks steady state, then waits for the schedule.
func (r *recorder) beforeFirstWave(ctx context.Context, mons monitors) (string, error) {
	if mons.instances != nil {
		if reason, err := r.checkSteadyState(ctx, mons.instances); reason != "" || err != nil {
			return reason, err
		}
	}
	g, err := schedule.FromScenario(r.opts.Scenario.Schedule, r.opts.Out, r.log)
	if err != nil || g == nil {
		return "", err
	}
	if err := g.WaitStart(ctx); err != nil {
		if errors.Is(err, schedule.ErrDeadline) {
			return "schedule: " + err.Error() + "; nothing was touched", nil
		}
		return "", err
	}
	return "", nil
}

// phaseRuns gives every phase its settings.
func (r *recorder) phaseRuns() []execute.PhaseRun {
	var runs []execute.PhaseRun
	for _, ph := range r.plan.Phases {
		w := ph.Step.Waves
		runs = append(runs, execute.PhaseRun{Phase: ph, Config: execute.Config{
			Phase: ph.Name, Action: ph.Step.Action, Interval: w.Interval.Duration,
			WaitForHealthy: w.WaitsForHealthy(), GateTimeout: w.GateTimeout.Duration,
			ContinueOnGateTimeout: w.OnGateTimeout == "continue", MaxInFlight: w.MaxInFlight,
			StateTimeout: r.opts.StateTimeout, PollInterval: r.opts.PollInterval, DryRun: r.opts.DryRun,
		}})
	}
	return runs
}

func (r *recorder) deps(gate execute.Gate) execute.Deps {
	obs := &lineObserver{out: r.opts.Out, phases: len(r.plan.Phases), actions: map[string]string{}}
	for _, ph := range r.plan.Phases {
		obs.actions[ph.Name] = ph.Step.Action.Type
	}
	deps := execute.Deps{
		Operators: r.opts.Operators, Gate: gate, Journal: r.journal, Log: r.log, RunID: r.runID, Observer: r.progress.observer(obs),
	}
	if g, err := schedule.FromScenario(r.opts.Scenario.Schedule, r.opts.Out, r.log); err == nil && g != nil {
		deps.Waves = g
	}
	return deps
}

// checkInterval paces the guardrails: as often as the instances (or the
// services) are probed.
func (r *recorder) checkInterval() time.Duration {
	v := r.opts.Scenario.Verify
	switch {
	case v.Instance != nil:
		return v.Instance.Interval.Duration
	case len(v.Services) > 0:
		return v.Services[0].Interval.Duration
	}
	return time.Second
}

func abortReason(results []execute.Result) string {
	for _, res := range results {
		if res.Aborted {
			return res.AbortReason
		}
	}
	return ""
}

func actedIn(results []execute.Result) []string {
	var ids []string
	for _, res := range results {
		ids = append(ids, res.Acted...)
	}
	return ids
}

// expectedToRecover lists the acted-on instances that should come back:
// all but those of `stop` phases, which stay stopped on purpose and would
// only make the observation wait out its whole limit.
func (r *recorder) expectedToRecover(results []execute.Result) []string {
	leftStopped := map[string]bool{}
	for _, ph := range r.plan.Phases {
		leftStopped[ph.Name] = ph.Step.Action.Type == scenario.ActionStop
	}
	var ids []string
	for _, res := range results {
		if !leftStopped[res.Phase] {
			ids = append(ids, res.Acted...)
		}
	}
	return ids
}

// observed adds what the monitors saw to the state.
func (r *recorder) observed(mons monitors, st runState) runState {
	if mons.instances != nil {
		st.health = mons.instances.Snapshot()
	}
	if mons.services != nil {
		st.services = mons.services.Samples()
	}
	return st
}

// noGate stands in for the monitor when nothing is probed.
type noGate struct{}

func (noGate) MarkActed([]string, time.Time) {}

func (noGate) WaitRecovered(context.Context, []string, time.Duration) (verify.GateResult, error) {
	return verify.GateResult{}, nil
}

var _ execute.Gate = noGate{}
