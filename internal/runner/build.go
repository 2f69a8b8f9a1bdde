package runner

import (
	"time"

	"gameday/internal/execute"
	"gameday/internal/fleet"
	"gameday/internal/report"
	"gameday/internal/score"
	"gameday/internal/verify"
	"gameday/internal/version"
)

// write builds the report for the run so far and writes it. An empty status
// means the run completed and the score decides passed or failed.
func (r *recorder) write(status, reason string, res execute.Result, health []verify.InstanceHealth) error {
	rep := r.build(status, reason, res, health)
	// The summary shows this report even if the file cannot be written.
	r.last = rep
	path, err := report.WriteJSON(r.dir, rep)
	if err != nil {
		return err
	}
	r.path = path
	return nil
}

func (r *recorder) build(status, reason string, res execute.Result, health []verify.InstanceHealth) *report.Report {
	scn := r.opts.Scenario
	ended := time.Now()
	rep := &report.Report{
		SchemaVersion:  report.SchemaVersion,
		RunID:          r.runID,
		GamedayVersion: version.Version,
		Scenario:       report.Scenario{Name: scn.Name, Description: scn.Description, File: scn.Source, Action: scn.Action.Type},
		Seed:           r.opts.Seed,
		Region:         r.opts.Region,
		Account:        r.opts.Account,
		Endpoint:       r.opts.Endpoint,
		Reason:         reason,
		StartedAt:      r.started.UTC(),
		EndedAt:        ended.UTC(),
		Seconds:        report.Seconds(ended.Sub(r.started)),
		Fleet:          r.fleetSection(),
		Waves:          wavesSection(res.Waves),
	}
	outcomes := r.instancesSection(rep, res.Acted, health)
	rep.Score = score.Compute(outcomes, scn.Objectives)
	stats := score.RecoveryStats(outcomes)
	rep.Recovery = report.Recovery{
		Count: stats.Count, MinSeconds: report.Seconds(stats.Min), P50Seconds: report.Seconds(stats.P50),
		P95Seconds: report.Seconds(stats.P95), MaxSeconds: report.Seconds(stats.Max),
	}
	rep.Status = status
	if status == "" {
		rep.Status = report.StatusFailed
		if rep.Score.Met {
			rep.Status = report.StatusPassed
		}
	}
	return rep
}

func (r *recorder) fleetSection() report.Fleet {
	f := report.Fleet{
		Matched: r.phase.Matched, Eligible: len(r.phase.Eligible), Selected: len(r.phase.Selected),
		SelectionRule: r.phase.SelectionRule, Excluded: []report.Exclusion{},
	}
	for _, ex := range r.phase.Excluded {
		f.Excluded = append(f.Excluded, report.Exclusion{InstanceID: ex.Instance.ID, AZ: ex.Instance.AZ, Reason: ex.Reason})
	}
	return f
}

func wavesSection(waves []execute.WaveResult) []report.Wave {
	out := []report.Wave{}
	for _, w := range waves {
		out = append(out, report.Wave{
			Index: w.Index, InstanceIDs: w.InstanceIDs, StartedAt: w.StartedAt.UTC(), EndedAt: w.EndedAt.UTC(),
			Gate: w.Gate, GateSeconds: report.Seconds(w.GateElapsed), Pending: w.Pending,
		})
	}
	return out
}

// instancesSection fills the per-instance and per-AZ parts of rep and
// returns the outcomes of the acted-on instances for scoring.
func (r *recorder) instancesSection(rep *report.Report, acted []string, health []verify.InstanceHealth) []score.Outcome {
	byID := make(map[string]verify.InstanceHealth, len(health))
	for _, h := range health {
		byID[h.InstanceID] = h
	}
	wasActed := make(map[string]bool, len(acted))
	for _, id := range acted {
		wasActed[id] = true
	}
	rep.Instances = []report.Instance{}
	var outcomes []score.Outcome
	perAZ := map[string]*report.AZSummary{}
	for _, w := range r.phase.Waves {
		for _, inst := range w.Instances {
			h, observed := byID[inst.ID]
			ri := instanceRecord(inst, w.Index, wasActed[inst.ID], h)
			rep.Instances = append(rep.Instances, ri)
			if !ri.Acted {
				continue
			}
			outcomes = append(outcomes, score.Outcome{InstanceID: inst.ID, AZ: inst.AZ, Wave: w.Index,
				Observed: observed, Recovered: ri.Recovered, Recovery: h.RecoveryTime()})
			az := perAZ[inst.AZ]
			if az == nil {
				az = &report.AZSummary{AZ: inst.AZ}
				perAZ[inst.AZ] = az
			}
			az.Acted++
			if ri.Recovered {
				az.Recovered++
			}
		}
	}
	rep.PerAZ = []report.AZSummary{}
	for _, c := range fleet.CountByAZ(r.phase.Selected) {
		if az := perAZ[c.AZ]; az != nil {
			rep.PerAZ = append(rep.PerAZ, *az)
		}
	}
	return outcomes
}

func instanceRecord(inst fleet.Instance, wave int, acted bool, h verify.InstanceHealth) report.Instance {
	ri := report.Instance{
		InstanceID: inst.ID, AZ: inst.AZ, Wave: wave, Acted: acted,
		Probes: h.Probes, FailedProbes: h.Failures, LastProbe: h.LastDetail,
	}
	if !acted {
		return ri
	}
	ri.ActedAt = timePtr(h.ActedAt)
	ri.DownAt = timePtr(h.DownAt)
	if h.Recovered() {
		secs := report.Seconds(h.RecoveryTime())
		ri.Recovered, ri.RecoveredAt, ri.RecoverySeconds = true, timePtr(h.RecoveredAt), &secs
		ri.NoDowntimeObserved = h.NoDowntimeObserved
	}
	return ri
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
