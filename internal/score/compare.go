package score

import (
	"fmt"
	"math"
)

// Regression is an objective (or the score) that got worse than in a
// baseline run.
type Regression struct {
	Objective string `json:"objective"`
	Baseline  string `json:"baseline"`
	Current   string `json:"current"`
	Detail    string `json:"detail"`
}

// Tolerances of Compare: a change within them is noise, not a regression.
const (
	// A recovery time regresses when it is more than SlowerTolerance
	// slower and at least SlowerFloor slower.
	SlowerTolerance = 0.10
	SlowerFloor     = 1.0 // seconds
	// Availability regresses when it is more than this many points lower.
	AvailabilityTolerance = 0.1
	// The score regresses when it is more than this many points lower.
	ScoreTolerance = 1.0
)

// Compare lists what got worse in current than in baseline, in the order of
// current's objectives, then the overall score (Objective "score"). An
// objective is compared only when both runs have it (by name); it regresses
// when
//
//   - it was met in the baseline and is missed now; or
//   - both runs measured it and the value got worse beyond the tolerance:
//     a recovery time more than 10% and at least 1 s slower, availability
//     more than 0.1 points lower (min_score is left to the score); or
//   - the baseline measured it and now it is missed without a value (an
//     instance never recovered, no service was probed).
//
// The score regresses when both runs were scored and it is more than 1
// point lower. Compare never returns nil: nothing regressed is an empty
// slice.
func Compare(current, baseline Score) []Regression {
	out := []Regression{}
	base := make(map[string]ObjectiveResult, len(baseline.Objectives))
	for _, o := range baseline.Objectives {
		base[o.Name] = o
	}
	for _, cur := range current.Objectives {
		b, ok := base[cur.Name]
		if !ok {
			continue
		}
		if detail, regressed := compareObjective(cur, b); regressed {
			out = append(out, Regression{Objective: cur.Name, Baseline: b.Measured, Current: cur.Measured, Detail: detail})
		}
	}
	if !current.NotScored && !baseline.NotScored {
		if d, worse := worsened(UnitPoints, baseline.Value, current.Value); worse {
			out = append(out, Regression{Objective: "score", Baseline: formatNumber(baseline.Value),
				Current: formatNumber(current.Value), Detail: "score " + d})
		}
	}
	return out
}

func compareObjective(cur, base ObjectiveResult) (string, bool) {
	if base.Met && !cur.Met {
		target := "target " + cur.Target
		if base.Target != cur.Target {
			target = fmt.Sprintf("target was %s, now %s", base.Target, cur.Target)
		}
		return fmt.Sprintf("met in the baseline, missed now (%s)", target), true
	}
	if cur.Name == "min_score" {
		// Its value is the score, compared once as "score".
		return "", false
	}
	switch {
	case base.MeasuredValue != nil && cur.MeasuredValue != nil:
		if cur.Unit != base.Unit {
			return "", false
		}
		return worsened(cur.Unit, *base.MeasuredValue, *cur.MeasuredValue)
	case base.MeasuredValue != nil && !cur.Met:
		return fmt.Sprintf("measured in the baseline, not now: %s", cur.Measured), true
	}
	return "", false
}

// worsened says whether cur is worse than base beyond the tolerance of
// unit, and how. Values are compared in the units they are rounded to
// (milliseconds, hundredths of a percent, tenths of a point) so that
// floating-point noise cannot decide.
func worsened(unit string, base, cur float64) (string, bool) {
	if !finite(base) || !finite(cur) {
		return "", false
	}
	switch unit {
	case UnitSeconds:
		b, c := math.Round(base*1000), math.Round(cur*1000)
		// c > b x 1.1 in integers: 10c > 11b.
		if c-b >= SlowerFloor*1000 && 10*c > 11*b {
			pct := ""
			if b > 0 {
				pct = fmt.Sprintf(", +%s%%", formatNumber(math.Round((c-b)/b*1000)/10))
			}
			return fmt.Sprintf("slower: %ss, was %ss (+%ss%s; tolerance 10%% and at least 1s)",
				formatNumber(c/1000), formatNumber(b/1000), formatNumber((c-b)/1000), pct), true
		}
	case UnitPercent:
		b, c := math.Round(base*100), math.Round(cur*100)
		if b-c > AvailabilityTolerance*100 {
			return fmt.Sprintf("lower: %s%%, was %s%% (-%s points; tolerance 0.1)",
				formatNumber(c/100), formatNumber(b/100), formatNumber((b-c)/100)), true
		}
	case UnitPoints:
		b, c := math.Round(base*10), math.Round(cur*10)
		if b-c > ScoreTolerance*10 {
			return fmt.Sprintf("lower: %s, was %s (-%s points; tolerance 1)",
				formatNumber(c/10), formatNumber(b/10), formatNumber((b-c)/10)), true
		}
	}
	return "", false
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
