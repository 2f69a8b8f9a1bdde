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
	// Value is 0..100.
	Value  float64 `json:"value"`
	Detail string  `json:"detail"`
}

// ObjectiveResult is one objective's verdict.
type ObjectiveResult struct {
	Name     string `json:"name"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
}

// Score is the verdict of a run.
type Score struct {
	// Value is 0..100, rounded to one decimal.
	Value      float64           `json:"value"`
	Parts      []Part            `json:"parts"`
	Objectives []ObjectiveResult `json:"objectives"`
	// NoObjectives: the scenario set none, so Met is vacuously true.
	NoObjectives bool `json:"no_objectives"`
	// NotScored: nothing was measured (no probe), so Value means nothing.
	NotScored bool `json:"not_scored,omitempty"`
	Met       bool `json:"met"`
}

// Compute scores outcomes against objectives.
//
// The score has two parts: recovery, the share of acted-on instances that
// recovered within the recovery limit (recover_all_within, else
// recovery_max, else at all), times 100; and, when services were probed,
// availability, the lowest service availability in percent. The score is
// their weighted mean. Objectives are judged apart; min_score last,
// against the score.
func Compute(outcomes []Outcome, services []ServiceOutcome, obj scenario.Objectives) Score {
	s := Score{Met: true}
	limit := recoveryLimit(obj)
	s.Parts = append(s.Parts, recoveryPart(outcomes, limit))
	if len(services) > 0 {
		s.Parts = append(s.Parts, availabilityPart(services))
	}
	if obj.Availability != nil {
		s.add(availabilityObjective(services, obj.Availability.Value))
	}
	stats := RecoveryStats(outcomes)
	if obj.RecoverAllWithin != nil {
		s.add(recoverAllWithin(outcomes, obj.RecoverAllWithin.Duration))
	}
	if obj.RecoveryP95 != nil {
		s.add(recoveryBound("recovery_p95", obj.RecoveryP95.Duration, stats.P95, outcomes))
	}
	if obj.RecoveryMax != nil {
		s.add(recoveryBound("recovery_max", obj.RecoveryMax.Duration, stats.Max, outcomes))
	}
	var sum, weights float64
	for _, p := range s.Parts {
		sum += p.Weight * p.Value
		weights += p.Weight
	}
	if weights > 0 {
		s.Value = clamp(math.Round(sum/weights*10) / 10)
	} else {
		s.NotScored = len(outcomes) > 0
	}
	if obj.MinScore != nil {
		s.add(ObjectiveResult{Name: "min_score", Target: formatNumber(*obj.MinScore),
			Measured: "score " + formatNumber(s.Value), Met: !s.NotScored && s.Value >= *obj.MinScore})
	}
	s.NoObjectives = len(s.Objectives) == 0
	return s
}

func (s *Score) add(r ObjectiveResult) {
	s.Objectives = append(s.Objectives, r)
	s.Met = s.Met && r.Met
}

// recoveryLimit is the recovery time the recovery part counts within.
func recoveryLimit(obj scenario.Objectives) *time.Duration {
	switch {
	case obj.RecoverAllWithin != nil:
		return &obj.RecoverAllWithin.Duration
	case obj.RecoveryMax != nil:
		return &obj.RecoveryMax.Duration
	}
	return nil
}

// recoveryBound judges a statistic of the recovery times (p95, max). An
// instance that never recovered has no recovery time: the bound is missed.
func recoveryBound(name string, limit, measured time.Duration, outcomes []Outcome) ObjectiveResult {
	r := ObjectiveResult{Name: name, Target: limit.String()}
	lost := 0
	for _, o := range outcomes {
		if !o.Recovered {
			lost++
		}
	}
	switch {
	case len(outcomes) == 0:
		r.Measured = "no instance was acted on"
	case lost > 0:
		r.Measured = fmt.Sprintf("%d of %d instances never recovered", lost, len(outcomes))
	default:
		r.Measured = Round(measured).String()
		r.Met = measured <= limit
	}
	return r
}

func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func recoveryPart(outcomes []Outcome, limit *time.Duration) Part {
	p := Part{Name: "recovery", Weight: 1}
	if len(outcomes) == 0 {
		p.Detail = "no instance was acted on"
		return p
	}
	if !outcomes[0].Observed {
		p.Weight, p.Detail = 0, "not measured: the scenario has no verify.instance health probe"
		return p
	}
	ok := 0
	for _, o := range outcomes {
		if o.Recovered && (limit == nil || o.Recovery <= *limit) {
			ok++
		}
	}
	p.Value = 100 * float64(ok) / float64(len(outcomes))
	if limit != nil {
		p.Detail = fmt.Sprintf("%d of %d instances recovered within %s", ok, len(outcomes), *limit)
	} else {
		p.Detail = fmt.Sprintf("%d of %d instances recovered", ok, len(outcomes))
	}
	return p
}

func recoverAllWithin(outcomes []Outcome, limit time.Duration) ObjectiveResult {
	r := ObjectiveResult{Name: "recover_all_within", Target: limit.String()}
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

func clamp(v float64) float64 { return max(0, min(100, v)) }

// Regression is an objective (or the score) that got worse than in a
// baseline run.
type Regression struct {
	Objective string `json:"objective"`
	Baseline  string `json:"baseline"`
	Current   string `json:"current"`
	Detail    string `json:"detail"`
}
