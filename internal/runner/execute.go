package runner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"gameday/internal/execute"
	"gameday/internal/plan"
	"gameday/internal/report"
	"gameday/internal/verify"
)

// recorder holds one run between its plan and its report.
type recorder struct {
	opts    Options
	runID   string
	dir     string
	plan    *plan.Plan
	phase   *plan.Phase // the one phase `run` executes today
	started time.Time
	log     *zap.Logger
	// last and path are the most recent report written and its file.
	last *report.Report
	path string
}

// execute runs the waves under the monitor and writes the final report.
func (r *recorder) execute(ctx context.Context) (*Result, error) {
	gate, mon, err := r.startMonitor(ctx)
	if err != nil {
		return r.finish(report.StatusError, err.Error(), execute.Result{}, nil, err)
	}
	if mon != nil {
		defer mon.Stop()
		if reason, err := r.checkSteadyState(ctx, mon); reason != "" || err != nil {
			if err != nil {
				reason = fmt.Sprintf("interrupted before the first wave: %v", context.Cause(ctx))
			}
			mon.Stop()
			return r.finish(report.StatusAborted, reason, execute.Result{}, mon.Snapshot(), ErrAborted)
		}
	}

	w := r.phase.Step.Waves
	cfg := execute.Config{
		Interval: w.Interval.Duration, WaitForHealthy: w.WaitsForHealthy(), GateTimeout: w.GateTimeout.Duration,
		ContinueOnGateTimeout: w.OnGateTimeout == "continue", MaxInFlight: w.MaxInFlight,
	}
	deps := execute.Deps{Provider: r.opts.Provider, Gate: gate, Observer: &lineObserver{out: r.opts.Out}, Log: r.log}
	res, execErr := execute.Run(ctx, r.phase.Waves, cfg, deps)
	var health []verify.InstanceHealth
	if mon != nil {
		if execErr == nil && !res.Aborted {
			r.observeRecovery(ctx, mon, res.Acted)
		}
		mon.Stop()
		health = mon.Snapshot()
	}
	switch {
	case execErr != nil:
		return r.finish(report.StatusError, execErr.Error(), res, health, execErr)
	case res.Aborted:
		return r.finish(report.StatusAborted, res.AbortReason, res, health, ErrAborted)
	}
	return r.finish("", "", res, health, nil)
}

// startMonitor starts probing every eligible instance. A scenario without
// verify.instance (only valid with wait_for_healthy: false) gets no monitor
// and a gate that never waits; its report says recovery was not measured.
func (r *recorder) startMonitor(ctx context.Context) (execute.Gate, *verify.Monitor, error) {
	probe := r.opts.Scenario.Verify.Instance
	if probe == nil {
		r.log.Warn("no health probe: recovery will not be measured", zap.String("reason", "the scenario has no verify.instance"))
		return noGate{}, nil, nil
	}
	targets, err := monitorTargets(probe, r.phase, r.opts.Region)
	if err != nil {
		return nil, nil, err
	}
	mon := verify.NewMonitor(verify.Config{Interval: probe.Interval.Duration}, targets, newProber(probe, r.opts.LoopbackOnly), r.log)
	mon.Start(ctx)
	return mon, mon, nil
}

// noGate stands in for the monitor when nothing is probed.
type noGate struct{}

func (noGate) MarkActed([]string, time.Time) {}

func (noGate) WaitRecovered(context.Context, []string, time.Duration) (verify.GateResult, error) {
	return verify.GateResult{}, nil
}

// checkSteadyState refuses to start when a selected instance is unhealthy:
// its recovery could not be told apart from the outage that was already
// there. With verify.steady_state, the selected instances must also stay
// healthy for that long. Unhealthy instances not selected are only logged.
func (r *recorder) checkSteadyState(ctx context.Context, mon *verify.Monitor) (string, error) {
	v := r.opts.Scenario.Verify
	wait := 2*v.Instance.Interval.Duration + v.Instance.Timeout.Duration
	fmt.Fprintf(r.opts.Out, "steady state: probing %d instances before the first wave\n", len(r.phase.Eligible))
	bad, err := mon.WaitSteady(ctx, wait)
	if err != nil {
		return "", err
	}
	if reason := r.blocking(bad, "before the first wave"); reason != "" {
		return reason, nil
	}
	if hold := v.SteadyState.Duration; hold > 0 {
		fmt.Fprintf(r.opts.Out, "steady state: holding %s before the first wave\n", hold)
		since := failureCounts(mon.Snapshot())
		if err := execute.Sleep(ctx, hold); err != nil {
			return "", err
		}
		var flapped []verify.InstanceHealth
		for _, h := range mon.Snapshot() {
			if !h.Healthy || h.Failures > since[h.InstanceID] {
				flapped = append(flapped, h)
			}
		}
		return r.blocking(flapped, fmt.Sprintf("during the %s steady-state period", hold)), nil
	}
	return "", nil
}

// blocking logs every unhealthy instance and returns the abort reason if
// any of them is selected.
func (r *recorder) blocking(bad []verify.InstanceHealth, when string) string {
	selected := map[string]bool{}
	for _, inst := range r.phase.Selected {
		selected[inst.ID] = true
	}
	var blocking []string
	for _, h := range bad {
		detail := h.LastDetail
		if !h.Seen {
			detail = "no answer yet"
		}
		r.log.Warn("unhealthy "+when, zap.String("instance_id", h.InstanceID),
			zap.String("detail", detail), zap.Bool("selected", selected[h.InstanceID]))
		if selected[h.InstanceID] {
			blocking = append(blocking, fmt.Sprintf("%s (%s)", h.InstanceID, detail))
		}
	}
	if len(blocking) == 0 {
		return ""
	}
	return fmt.Sprintf("steady state not met: %d selected instances unhealthy %s, nothing was touched: %s",
		len(blocking), when, strings.Join(blocking, ", "))
}

// observeRecovery keeps probing after the last wave until every acted-on
// instance has recovered, or the objective's deadline (else the gate
// timeout) has passed: the score needs every recovery time it can get.
// Then it keeps watching for verify.observe_after.
func (r *recorder) observeRecovery(ctx context.Context, mon *verify.Monitor, acted []string) {
	scn := r.opts.Scenario
	limit := r.phase.Step.Waves.GateTimeout.Duration
	if o := scn.Objectives; o.RecoverAllWithin != nil {
		limit = o.RecoverAllWithin.Duration
	} else if o.RecoveryMax != nil {
		limit = o.RecoveryMax.Duration
	}
	r.log.Info("observing recovery after the last wave", zap.Int("instances", len(acted)), zap.Duration("up_to", limit))
	res, err := mon.WaitRecovered(ctx, acted, limit)
	if err == nil && res.TimedOut {
		r.log.Warn("instances not recovered when observation ended", zap.Strings("instance_ids", res.Pending))
	}
	if after := scn.Verify.ObserveAfter.Duration; after > 0 && err == nil {
		fmt.Fprintf(r.opts.Out, "observing for %s after the last wave (verify.observe_after)\n", after)
		_ = execute.Sleep(ctx, after)
	}
}

// finish writes the final report, prints the summary and returns err.
func (r *recorder) finish(status, reason string, res execute.Result, health []verify.InstanceHealth, err error) (*Result, error) {
	if werr := r.write(status, reason, res, health); werr != nil {
		r.log.Error("could not write the report", zap.Error(werr))
		if err == nil {
			err = werr
		}
	}
	rep := r.last
	if serr := report.WriteSummary(r.opts.Out, rep, r.path); serr != nil && err == nil {
		err = serr
	}
	r.log.Info("run end", zap.String("status", rep.Status), zap.String("reason", rep.Reason), zap.Float64("score", rep.Score.Value))
	return &Result{Report: rep, ReportPath: r.path}, err
}

func failureCounts(health []verify.InstanceHealth) map[string]int {
	out := make(map[string]int, len(health))
	for _, h := range health {
		out[h.InstanceID] = h.Failures
	}
	return out
}
