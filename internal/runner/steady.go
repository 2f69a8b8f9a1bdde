package runner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"gameday/internal/execute"
	"gameday/internal/journal"
	"gameday/internal/report"
	"gameday/internal/verify"
)

// checkSteadyState refuses to start when a selected instance is unhealthy:
// its recovery could not be told apart from the outage that was already
// there. With verify.steady_state, the selected instances must also stay
// healthy for that long. Unhealthy instances not selected are only logged.
func (r *recorder) checkSteadyState(ctx context.Context, mon *verify.Monitor) (string, error) {
	v := r.opts.Scenario.Verify
	wait := r.steadyWait()
	fmt.Fprintf(r.opts.Out, "steady state: probing the eligible instances before the first wave\n")
	bad, err := mon.WaitSteady(ctx, wait)
	if err != nil {
		return "", err
	}
	if reason := r.blocking(bad, "before the first wave"); reason != "" {
		return reason, nil
	}
	hold := v.SteadyState.Duration
	if hold <= 0 {
		return "", nil
	}
	fmt.Fprintf(r.opts.Out, "steady state: holding %s before the first wave\n", hold)
	since := map[string]int{}
	for _, h := range mon.Snapshot() {
		since[h.InstanceID] = h.Failures
	}
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

// blocking logs every unhealthy instance and returns the abort reason if
// any of them is selected.
func (r *recorder) blocking(bad []verify.InstanceHealth, when string) string {
	selected := map[string]bool{}
	for _, inst := range r.plan.Selected() {
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
// instance has recovered, or the objective's deadline (else the longest
// gate timeout) has passed: the score needs every recovery time it can
// get. Then it keeps watching for verify.observe_after.
func (r *recorder) observeRecovery(ctx context.Context, mons monitors, acted []string) {
	scn := r.opts.Scenario
	if mons.instances != nil && len(acted) > 0 {
		limit := r.longestGate()
		if o := scn.Objectives; o.RecoverAllWithin != nil {
			limit = o.RecoverAllWithin.Duration
		} else if o.RecoveryMax != nil {
			limit = o.RecoveryMax.Duration
		}
		r.log.Info("observing recovery after the last wave", zap.Int("instances", len(acted)), zap.Duration("up_to", limit))
		res, err := mons.instances.WaitRecovered(ctx, acted, limit)
		if err == nil && res.TimedOut {
			r.log.Warn("instances not recovered when observation ended", zap.Strings("instance_ids", res.Pending))
		}
	}
	if after := scn.Verify.ObserveAfter.Duration; after > 0 && ctx.Err() == nil {
		fmt.Fprintf(r.opts.Out, "observing for %s after the last wave (verify.observe_after)\n", after)
		_ = execute.Sleep(ctx, after)
	}
}

func (r *recorder) longestGate() (d time.Duration) {
	for _, ph := range r.plan.Phases {
		d = max(d, ph.Step.Waves.GateTimeout.Duration)
	}
	return d
}

// finish writes the final report and the journal's end record, prints the
// summary and returns err.
func (r *recorder) finish(status, reason string, st runState, err error) (*Result, error) {
	if st.restored != "" {
		reason += "; " + st.restored
	}
	if werr := r.write(status, reason, st.results, st); werr != nil {
		r.log.Error("could not write the report", zap.Error(werr))
		if err == nil {
			err = werr
		}
	}
	rep := r.last
	end := journal.End{Status: rep.Status, Reason: rep.Reason}
	if jerr := r.journal.Append(journal.Record{End: &end}); jerr != nil {
		r.log.Error("could not close the journal", zap.Error(jerr))
	}
	if serr := report.WriteSummaryArtifacts(r.opts.Out, rep, r.artifacts); serr != nil && err == nil {
		err = serr
	}
	r.log.Info("run end", zap.String("status", rep.Status), zap.String("reason", rep.Reason), zap.Float64("score", rep.Score.Value))
	return &Result{Report: rep, ReportPath: r.path, Artifacts: r.artifacts}, err
}
