// Package score turns what was observed during a run into a 0-100 score and
// a pass/fail verdict per objective. It is pure: give it the same outcomes
// and objectives and it gives the same score. docs/scoring.md explains the
// formula; the tests check it on hand-computed cases.
package score

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"gameday/internal/scenario"
)

// Outcome is what happened to one instance the run acted on.
type Outcome struct {
	InstanceID string
	AZ         string
	Wave       int
	// Observed: a health probe watched the instance. Unobserved outcomes
	// cannot be scored.
	Observed  bool
	Recovered bool
	// Recovery is the time from action to first healthy probe (if Recovered).
	Recovery time.Duration
}

// Part is one component of the score.
type Part struct {
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
	// Value is 0..100, rounded to one decimal.
	Value float64 `json:"value"`
	// Detail says in one line what was measured against what, for example
	// "p95 42.1s vs objective 1m0s".
	Detail string `json:"detail"`
	// Target is the objective the part is measured against, absent when
	// the scenario sets none for it.
	Target string `json:"target,omitempty"`
	// Measured is what the part measured, for example "2 of 3 within 5s".
	Measured string `json:"measured,omitempty"`
}

// ObjectiveResult is one objective's verdict.
type ObjectiveResult struct {
	Name     string `json:"name"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
	// MeasuredValue is Measured as a number in Unit, for comparing runs:
	// seconds for recovery times, percent for availability (the lowest
	// service), points for min_score (the score). Absent when nothing
	// could be measured, such as when an instance never recovered.
	MeasuredValue *float64 `json:"measured_value,omitempty"`
	// Unit of MeasuredValue: UnitSeconds, UnitPercent or UnitPoints.
	Unit string `json:"unit,omitempty"`
}

// Units of ObjectiveResult.MeasuredValue.
const (
	UnitSeconds = "s"
	UnitPercent = "%"
	UnitPoints  = "points"
)

// Score is the verdict of a run.
type Score struct {
	// Value is 0..100, rounded to one decimal.
	Value      float64           `json:"value"`
	Parts      []Part            `json:"parts"`
	Objectives []ObjectiveResult `json:"objectives"`
	// NoObjectives: the scenario set none, so Met is vacuously true. The
	// parts and the score are still computed; they are informational, and
	// each part's Detail says which objective it lacked.
	NoObjectives bool `json:"no_objectives"`
	// NotScored: nothing was measured (no probe), so Value means nothing.
	NotScored bool `json:"not_scored,omitempty"`
	Met       bool `json:"met"`
}

// Compute scores outcomes against objectives.
//
// The score is the weighted mean of up to three parts, each 0..100 and
// rounded to one decimal (docs/scoring.md has the formulas):
//
//   - recovery: the share of acted-on instances that recovered within the
//     recovery limit (recover_all_within, else recovery_max, else at all);
//   - recovery_time, when recovery_p95 or recovery_max is set: 100 while
//     the recovery time is within the objective, else 100 x objective /
//     measured, 0 when an instance never recovered;
//   - availability, when services were probed: the lowest service
//     availability in percent.
//
// Objectives are judged apart; min_score last, against the score. Without
// objectives the parts are still computed and NoObjectives is set.
func Compute(outcomes []Outcome, services []ServiceOutcome, obj scenario.Objectives) Score {
	s := Score{Met: true, Objectives: []ObjectiveResult{}}
	stats := RecoveryStats(outcomes)
	s.Parts = append(s.Parts, recoveryPart(outcomes, recoveryLimit(obj)))
	if p, ok := recoveryTimePart(outcomes, stats, obj); ok {
		s.Parts = append(s.Parts, p)
	}
	if len(services) > 0 {
		s.Parts = append(s.Parts, availabilityPart(services, obj.Availability))
	}
	if obj.Availability != nil {
		s.add(availabilityObjective(services, obj.Availability.Value))
	}
	if obj.RecoverAllWithin != nil {
		s.add(recoverAllWithin(outcomes, obj.RecoverAllWithin.Duration))
	}
	if obj.RecoveryP95 != nil {
		s.add(recoveryBound("recovery_p95", obj.RecoveryP95.Duration, stats.P95, outcomes))
	}
	if obj.RecoveryMax != nil {
		s.add(recoveryBound("recovery_max", obj.RecoveryMax.Duration, stats.Max, outcomes))
	}
	// The mean is taken in tenths, the parts' precision, so that a half
	// tenth rounds up whatever floating point makes of it.
	var sum, weights float64
	for _, p := range s.Parts {
		sum += p.Weight * math.Round(p.Value*10)
		weights += p.Weight
	}
	if weights > 0 {
		s.Value = clamp(math.Round(sum/weights) / 10)
	} else {
		s.NotScored = len(outcomes) > 0
	}
	if obj.MinScore != nil {
		r := ObjectiveResult{Name: "min_score", Target: formatNumber(*obj.MinScore), Unit: UnitPoints}
		if s.NotScored {
			r.Measured = "not scored: nothing was measured"
		} else {
			r.Measured, r.MeasuredValue, r.Met = "score "+formatNumber(s.Value), ptr(s.Value), s.Value >= *obj.MinScore
		}
		s.add(r)
	}
	s.NoObjectives = len(s.Objectives) == 0
	return s
}

func (s *Score) add(r ObjectiveResult) {
	s.Objectives = append(s.Objectives, r)
	s.Met = s.Met && r.Met
}

// limitSource is a recovery limit and the objective that set it.
type limitSource struct {
	name string
	d    time.Duration
}

// recoveryLimit is the recovery time the recovery part counts within.
func recoveryLimit(obj scenario.Objectives) *limitSource {
	switch {
	case obj.RecoverAllWithin != nil:
		return &limitSource{"recover_all_within", obj.RecoverAllWithin.Duration}
	case obj.RecoveryMax != nil:
		return &limitSource{"recovery_max", obj.RecoveryMax.Duration}
	}
	return nil
}

// recoveryBound judges a statistic of the recovery times (p95, max). An
// instance that never recovered has no recovery time: the bound is missed.
func recoveryBound(name string, limit, measured time.Duration, outcomes []Outcome) ObjectiveResult {
	r := ObjectiveResult{Name: name, Target: limit.String(), Unit: UnitSeconds}
	lost := countLost(outcomes)
	switch {
	case len(outcomes) == 0:
		r.Measured = "no instance was acted on"
	case lost > 0:
		r.Measured = fmt.Sprintf("%d of %d instances never recovered", lost, len(outcomes))
	default:
		r.Measured = Round(measured).String()
		r.MeasuredValue = ptr(Round(measured).Seconds())
		r.Met = measured <= limit
	}
	return r
}

func countLost(outcomes []Outcome) int {
	lost := 0
	for _, o := range outcomes {
		if !o.Recovered {
			lost++
		}
	}
	return lost
}

func ptr(v float64) *float64 { return &v }

func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func recoveryPart(outcomes []Outcome, limit *limitSource) Part {
	p := Part{Name: "recovery", Weight: 1}
	if limit != nil {
		p.Target = fmt.Sprintf("all within %s (%s)", limit.d, limit.name)
	}
	if len(outcomes) == 0 {
		p.Detail = "no instance was acted on"
		return p
	}
	if !outcomes[0].Observed {
		p.Weight, p.Detail = 0, "not measured: the scenario has no per-instance health check (verify.instance, ec2_status_checks or target_groups)"
		return p
	}
	ok := 0
	for _, o := range outcomes {
		if o.Recovered && (limit == nil || o.Recovery <= limit.d) {
			ok++
		}
	}
	p.Value = round1(100 * float64(ok) / float64(len(outcomes)))
	if limit != nil {
		p.Measured = fmt.Sprintf("%d of %d within %s", ok, len(outcomes), limit.d)
		p.Detail = fmt.Sprintf("%d of %d instances recovered within %s (%s)", ok, len(outcomes), limit.d, limit.name)
	} else {
		p.Measured = fmt.Sprintf("%d of %d recovered", ok, len(outcomes))
		p.Detail = fmt.Sprintf("%d of %d instances recovered (no recovery time objective set)", ok, len(outcomes))
	}
	return p
}

func recoverAllWithin(outcomes []Outcome, limit time.Duration) ObjectiveResult {
	r := ObjectiveResult{Name: "recover_all_within", Target: limit.String(), Unit: UnitSeconds}
	notRecovered := 0
	var slowest time.Duration
	for _, o := range outcomes {
		if !o.Recovered {
			notRecovered++
			continue
		}
		slowest = max(slowest, o.Recovery)
	}
	switch {
	case len(outcomes) == 0:
		r.Measured = "no instance was acted on"
	case notRecovered > 0:
		r.Measured = fmt.Sprintf("%d of %d instances never recovered", notRecovered, len(outcomes))
	default:
		r.Measured = fmt.Sprintf("slowest recovery %s", Round(slowest))
		r.MeasuredValue = ptr(Round(slowest).Seconds())
		r.Met = slowest <= limit
	}
	return r
}

// Stats summarises recovery times.
type Stats struct {
	Count              int
	Min, P50, P95, Max time.Duration
}

// RecoveryStats computes min, p50, p95 and max of the recovered outcomes.
// Percentiles use the nearest-rank method: the smallest value with at least
// p% of the values at or below it, so a percentile is always an observed time.
func RecoveryStats(outcomes []Outcome) Stats {
	var times []time.Duration
	for _, o := range outcomes {
		if o.Recovered {
			times = append(times, o.Recovery)
		}
	}
	if len(times) == 0 {
		return Stats{}
	}
	slices.Sort(times)
	return Stats{
		Count: len(times),
		Min:   times[0],
		P50:   Percentile(times, 50),
		P95:   Percentile(times, 95),
		Max:   times[len(times)-1],
	}
}

// Percentile returns the nearest-rank p-th percentile of sorted values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[max(1, min(rank, len(sorted)))-1]
}

// Round rounds a duration for display: hundredths of a second below a
// minute, tenths above.
func Round(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

// clamp bounds v to 0..100; NaN counts as 0.
func clamp(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return max(0, min(100, v))
}

// round1 clamps v to 0..100 and rounds it to one decimal.
func round1(v float64) float64 { return clamp(math.Round(clamp(v)*10) / 10) }
