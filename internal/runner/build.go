package runner

import (
	"sort"
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
func (r *recorder) write(status, reason string, results []execute.Result, st runState) error {
	rep := r.build(status, reason, results, st)
	// The summary shows this report even if the file cannot be written.
	r.last = rep
	if rep.Status == report.StatusRunning {
		// The early write before the first mutation: report.json alone.
		path, err := report.WriteJSON(r.dir, rep)
		if err != nil {
			return err
		}
		r.path = path
		return nil
	}
	arts, err := report.WriteArtifacts(r.dir, rep)
	r.artifacts = arts
	if arts.JSON != "" {
		r.path = arts.JSON
	}
	return err
}

func (r *recorder) build(status, reason string, results []execute.Result, st runState) *report.Report {
	scn := r.opts.Scenario
	ended := time.Now()
	rep := &report.Report{
		SchemaVersion:  report.SchemaVersion,
		RunID:          r.runID,
		GamedayVersion: version.Version,
		Scenario:       report.Scenario{Name: scn.Name, Description: scn.Description, File: scn.Source, Action: r.actionLabel()},
		Seed:           r.opts.Seed,
		Region:         r.opts.Regions[0],
		Account:        r.opts.Account,
		Endpoint:       r.opts.Endpoint,
		Reason:         reason,
		StartedAt:      r.started.UTC(),
		EndedAt:        ended.UTC(),
		Seconds:        report.Seconds(ended.Sub(r.started)),
		Fleet:          r.fleetSection(),
		Phases:         r.phasesSection(results),
		Waves:          wavesSection(results),
	}
	if len(r.opts.Regions) > 1 {
		rep.Regions = r.opts.Regions
	}
	outcomes := r.instancesSection(rep, actedIn(results), st.health, ended)
	waveOutcomes(rep.Waves, rep.Instances, outcomes)
	services := r.servicesSection(rep, st.services, ended)
	rep.Score = score.Compute(outcomes, services, scn.Objectives)
	rep.Recovery = recoveryRecord(outcomes)
	rep.Status = status
	if status == "" {
		rep.Status = report.StatusFailed
		if rep.Score.Met {
			rep.Status = report.StatusPassed
		}
		// Only a completed run measured what its baseline measured.
		rep.Baseline = baselineSection(rep.Score, r.opts.Baseline)
	}
	return rep
}

// actionLabel names the run's action: the one action, or "phases".
func (r *recorder) actionLabel() string {
	action := r.plan.Phases[0].Step.Action.Type
	for _, ph := range r.plan.Phases[1:] {
		if ph.Step.Action.Type != action {
			return "phases"
		}
	}
	return action
}

// fleetSection totals the phases: how the targets resolved.
func (r *recorder) fleetSection() report.Fleet {
	f := report.Fleet{Excluded: []report.Exclusion{}}
	for _, ph := range r.plan.Phases {
		f.Matched = max(f.Matched, ph.Matched)
		f.Eligible = max(f.Eligible, len(ph.Eligible))
		f.Selected += len(ph.Selected)
		if f.SelectionRule != "" {
			f.SelectionRule += "; "
		}
		if len(r.plan.Phases) > 1 {
			f.SelectionRule += ph.Name + ": "
		}
		f.SelectionRule += ph.SelectionRule
		for _, ex := range ph.Excluded {
			f.Excluded = append(f.Excluded, report.Exclusion{Phase: phaseLabel(r, ph.Name), InstanceID: ex.Instance.ID,
				AZ: ex.Instance.AZ, Reason: ex.Reason})
		}
	}
	return f
}

func (r *recorder) phasesSection(results []execute.Result) []report.Phase {
	if len(r.plan.Phases) < 2 {
		return nil
	}
	out := make([]report.Phase, len(r.plan.Phases))
	for i, ph := range r.plan.Phases {
		out[i] = report.Phase{Name: ph.Name, Action: ph.Step.Action.Type, Start: ph.Start(), Matched: ph.Matched,
			Eligible: len(ph.Eligible), Selected: len(ph.Selected), SelectionRule: ph.SelectionRule}
		if i < len(results) {
			out[i].Acted, out[i].Aborted = len(results[i].Acted), results[i].Aborted
		}
	}
	return out
}

func wavesSection(results []execute.Result) []report.Wave {
	out := []report.Wave{}
	for _, res := range results {
		for _, w := range res.Waves {
			rw := report.Wave{
				Index: w.Index, InstanceIDs: w.InstanceIDs, StartedAt: w.StartedAt.UTC(), EndedAt: w.EndedAt.UTC(),
				Gate: w.Gate, GateSeconds: report.Seconds(w.GateElapsed), Pending: w.Pending,
			}
			if len(results) > 1 {
				rw.Phase = res.Phase
			}
			for _, s := range w.Skipped {
				rw.Skipped = append(rw.Skipped, report.Skip{InstanceID: s.ID, Reason: s.Reason})
			}
			out = append(out, rw)
		}
	}
	return out
}

// instancesSection fills the per-instance and per-AZ parts of rep and
// returns the outcomes of the acted-on instances for scoring.
func (r *recorder) instancesSection(rep *report.Report, acted []string, health []verify.InstanceHealth, ended time.Time) []score.Outcome {
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
	azOutcomes := map[string][]score.Outcome{}
	for _, ph := range r.plan.Phases {
		for _, w := range ph.Waves {
			for _, inst := range w.Instances {
				h, observed := byID[inst.ID]
				ri := instanceRecord(inst, w.Index, wasActed[inst.ID], h, ended)
				ri.Phase = phaseLabel(r, ph.Name)
				rep.Instances = append(rep.Instances, ri)
				if !ri.Acted || ph.Step.Action.Type == "stop" {
					continue // an instance left stopped on purpose has no recovery
				}
				o := score.Outcome{InstanceID: inst.ID, AZ: inst.AZ, Wave: w.Index,
					Observed: observed, Recovered: ri.Recovered, Recovery: h.RecoveryTime()}
				outcomes = append(outcomes, o)
				azOutcomes[inst.AZ] = append(azOutcomes[inst.AZ], o)
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
	}
	rep.PerAZ = []report.AZSummary{}
	for _, c := range fleet.CountByAZ(r.plan.Selected()) {
		if az := perAZ[c.AZ]; az != nil {
			az.Recovery = recoveryRecord(azOutcomes[c.AZ])
			rep.PerAZ = append(rep.PerAZ, *az)
		}
	}
	return outcomes
}

func (r *recorder) servicesSection(rep *report.Report, samples map[string][]verify.Sample, ended time.Time) []score.ServiceOutcome {
	urls := map[string]string{}
	for _, p := range r.opts.Scenario.Verify.Services {
		urls[p.Name] = p.URL
	}
	var out []score.ServiceOutcome
	for _, name := range sortedNames(samples) {
		svc := serviceRecord(name, urls[name], samples[name], r.started, ended)
		out = append(out, score.ServiceOutcome{Name: name, OK: svc.Probes - svc.Failures, Total: svc.Probes})
		rep.Services = append(rep.Services, svc)
	}
	return out
}

func instanceRecord(inst fleet.Instance, wave int, acted bool, h verify.InstanceHealth, ended time.Time) report.Instance {
	ri := report.Instance{
		InstanceID: inst.ID, Region: inst.Region, AZ: inst.AZ, Wave: wave, Acted: acted,
		Probes: h.Probes, FailedProbes: h.Failures, LastProbe: h.LastDetail, Transitions: transitions(h.Transitions),
	}
	if !acted {
		return ri
	}
	ri.ActedAt = timePtr(h.ActedAt)
	ri.DownAt = timePtr(h.DownAt)
	if !h.ActedAt.IsZero() && h.Seen {
		if !h.DownAt.IsZero() {
			first := report.Seconds(h.DownAt.Sub(h.ActedAt))
			ri.FirstFailureSeconds = &first
		}
		down := report.Seconds(downtime(h, ended))
		ri.DowntimeSeconds = &down
	}
	if h.Recovered() {
		secs := report.Seconds(h.RecoveryTime())
		ri.Recovered, ri.RecoveredAt, ri.RecoverySeconds = true, timePtr(h.RecoveredAt), &secs
		ri.NoDowntimeObserved = h.NoDowntimeObserved
	}
	return ri
}

func phaseLabel(r *recorder, name string) string {
	if len(r.plan.Phases) > 1 {
		return name
	}
	return ""
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
