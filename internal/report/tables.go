package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// tables is the report cut into the rows that summary.md and report.html
// both show, formatted once so that the two always agree.
type tables struct {
	Objectives     []objectiveRow
	Parts          []partRow
	AZs            []azRow
	Waves          []waveRow
	Phases         []phaseRow
	Services       []serviceRow
	Regressions    []regressionRow
	Excluded       []reasonCount
	Skipped        []skipRow
	NeverRecovered []problemRow
	NoDowntime     []string
	Acted          int
	Recovered      int
}

type objectiveRow struct {
	Met                    bool
	Icon                   string
	Name, Target, Measured string
}

type partRow struct {
	Name, Weight, Value, Detail string
	// Percent is Value clamped to 0..100, for bars.
	Percent float64
}

type azRow struct {
	AZ                 string
	Acted, Recovered   int
	Min, P50, P95, Max string
}

type waveRow struct {
	Label                            string
	Instances, Acted, Recovered      int
	Start, Duration, Gate            string
	Min, P50, P95, Max               string
	GateOK                           bool
	Skipped                          int
	Pending                          []string
	RecoveredAll, HasRecoveryNumbers bool
}

type phaseRow struct {
	Name, Action, Start, SelectionRule string
	Matched, Eligible, Selected, Acted int
	Aborted                            bool
}

type serviceRow struct {
	Name, URL, Availability, LongestOutage string
	Probes, Failures                       int
	P50, P95, P99                          string
}

type regressionRow struct{ Objective, Baseline, Current, Detail string }

type skipRow struct{ Wave, InstanceID, Reason string }

type problemRow struct {
	InstanceID, AZ, Wave, ActedAt, FirstFailure, Downtime, LastProbe string
}

func buildTables(r *Report) tables {
	t := tables{}
	for _, o := range r.Score.Objectives {
		icon := "✅"
		if !o.Met {
			icon = "❌"
		}
		t.Objectives = append(t.Objectives, objectiveRow{Met: o.Met, Icon: icon, Name: o.Name, Target: o.Target, Measured: o.Measured})
	}
	for _, p := range r.Score.Parts {
		t.Parts = append(t.Parts, partRow{Name: p.Name, Weight: formatScore(p.Weight), Value: formatScore(p.Value),
			Detail: p.Detail, Percent: math.Max(0, math.Min(100, p.Value))})
	}
	derived := derivedRecovery(r)
	for _, az := range r.PerAZ {
		rec := az.Recovery
		if rec.Count == 0 && az.Recovered > 0 {
			rec = derived.az[az.AZ]
		}
		row := azRow{AZ: az.AZ, Acted: az.Acted, Recovered: az.Recovered}
		row.Min, row.P50, row.P95, row.Max = recoveryCells(rec)
		t.AZs = append(t.AZs, row)
		t.Acted += az.Acted
		t.Recovered += az.Recovered
	}
	for _, w := range r.Waves {
		row := waveRow{Label: waveLabel(w.Phase, w.Index), Instances: len(w.InstanceIDs), Acted: w.Acted, Recovered: w.Recovered,
			Start: offset(r.StartedAt, w.StartedAt), Gate: gateText(w), GateOK: w.Gate == "passed",
			Skipped: len(w.Skipped), Pending: w.Pending}
		if !w.EndedAt.IsZero() && !w.EndedAt.Before(w.StartedAt) {
			row.Duration = clock(w.EndedAt.Sub(w.StartedAt))
		} else {
			row.Duration = "-"
		}
		rec := w.Recovery
		if w.Acted == 0 && rec.Count == 0 {
			// A report from before per-wave numbers: count from the instances.
			d := derived.wave[waveKey{w.Phase, w.Index}]
			row.Acted, row.Recovered, rec = d.acted, d.recovered, d.rec
		}
		row.Min, row.P50, row.P95, row.Max = recoveryCells(rec)
		row.RecoveredAll = row.Recovered == row.Acted
		for _, s := range w.Skipped {
			t.Skipped = append(t.Skipped, skipRow{Wave: row.Label, InstanceID: s.InstanceID, Reason: s.Reason})
		}
		t.Waves = append(t.Waves, row)
	}
	for _, p := range r.Phases {
		t.Phases = append(t.Phases, phaseRow{Name: p.Name, Action: p.Action, Start: p.Start, SelectionRule: p.SelectionRule,
			Matched: p.Matched, Eligible: p.Eligible, Selected: p.Selected, Acted: p.Acted, Aborted: p.Aborted})
	}
	for _, s := range r.Services {
		row := serviceRow{Name: s.Name, URL: s.URL, Availability: percent(s.Availability), Probes: s.Probes, Failures: s.Failures,
			LongestOutage: "none", P50: "-", P95: "-", P99: "-"}
		if s.LongestOutageSeconds > 0 {
			row.LongestOutage = dur(s.LongestOutageSeconds)
		}
		if s.LatencyP50Ms > 0 || s.LatencyP99Ms > 0 {
			row.P50, row.P95, row.P99 = ms(s.LatencyP50Ms), ms(s.LatencyP95Ms), ms(s.LatencyP99Ms)
		}
		t.Services = append(t.Services, row)
	}
	if r.Baseline != nil {
		for _, g := range r.Baseline.Regressions {
			t.Regressions = append(t.Regressions, regressionRow{Objective: g.Objective, Baseline: g.Baseline, Current: g.Current, Detail: g.Detail})
		}
	}
	reasons := make([]string, 0, len(r.Fleet.Excluded))
	for _, e := range r.Fleet.Excluded {
		reasons = append(reasons, e.Reason)
	}
	t.Excluded = countReasons(reasons)
	for _, in := range r.Instances {
		switch {
		case in.Acted && !in.Recovered && instanceAction(r, in) != "stop" && in.Probes > 0:
			row := problemRow{InstanceID: in.InstanceID, AZ: in.AZ, Wave: waveLabel(in.Phase, in.Wave), ActedAt: "-",
				FirstFailure: durPtr(in.FirstFailureSeconds), Downtime: durPtr(in.DowntimeSeconds), LastProbe: in.LastProbe}
			if in.ActedAt != nil {
				row.ActedAt = offset(r.StartedAt, *in.ActedAt)
			}
			t.NeverRecovered = append(t.NeverRecovered, row)
		case in.NoDowntimeObserved:
			t.NoDowntime = append(t.NoDowntime, in.InstanceID)
		}
	}
	return t
}

// instanceAction is what was done to an instance: its phase's action, or
// the scenario's. An instance stopped on purpose is not expected back.
func instanceAction(r *Report, in Instance) string {
	for _, p := range r.Phases {
		if p.Name == in.Phase {
			return p.Action
		}
	}
	return r.Scenario.Action
}

func recoveryCells(rec Recovery) (lo, p50, p95, hi string) {
	if rec.Count == 0 {
		return "-", "-", "-", "-"
	}
	return dur(rec.MinSeconds), dur(rec.P50Seconds), dur(rec.P95Seconds), dur(rec.MaxSeconds)
}

func gateText(w Wave) string {
	var s string
	switch w.Gate {
	case "passed":
		s = "passed after " + dur(w.GateSeconds)
	case "timed-out":
		s = "timed out after " + dur(w.GateSeconds)
	case "not-waited":
		s = "not waited"
	case "":
		s = "-"
	default:
		s = w.Gate
	}
	if len(w.Pending) > 0 {
		s += fmt.Sprintf(" (%d pending)", len(w.Pending))
	}
	return s
}

type waveKey struct {
	phase string
	index int
}

type waveCount struct {
	acted, recovered int
	rec              Recovery
}

type derivedStats struct {
	az   map[string]Recovery
	wave map[waveKey]waveCount
}

// derivedRecovery recomputes per-AZ and per-wave recovery from the
// instances, for reports written before those numbers were recorded.
func derivedRecovery(r *Report) derivedStats {
	byAZ := map[string][]float64{}
	byWave := map[waveKey][]float64{}
	counts := map[waveKey]waveCount{}
	for _, in := range r.Instances {
		if !in.Acted {
			continue
		}
		k := waveKey{in.Phase, in.Wave}
		c := counts[k]
		c.acted++
		if in.Recovered && in.RecoverySeconds != nil {
			c.recovered++
			byAZ[in.AZ] = append(byAZ[in.AZ], *in.RecoverySeconds)
			byWave[k] = append(byWave[k], *in.RecoverySeconds)
		}
		counts[k] = c
	}
	d := derivedStats{az: map[string]Recovery{}, wave: map[waveKey]waveCount{}}
	for az, v := range byAZ {
		d.az[az] = recoveryOf(v)
	}
	for k, c := range counts {
		c.rec = recoveryOf(byWave[k])
		d.wave[k] = c
	}
	return d
}

// recoveryOf summarises seconds with score's nearest-rank percentiles.
func recoveryOf(v []float64) Recovery {
	if len(v) == 0 {
		return Recovery{}
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p / 100 * float64(len(s))))
		return s[max(1, min(i, len(s)))-1]
	}
	return Recovery{Count: len(s), MinSeconds: s[0], P50Seconds: rank(50), P95Seconds: rank(95), MaxSeconds: s[len(s)-1]}
}

// idList shortens a list of instance ids for one line of text.
func idList(ids []string, limit int) string {
	if len(ids) <= limit {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:limit], ", ") + ", and " + strconv.Itoa(len(ids)-limit) + " more"
}
