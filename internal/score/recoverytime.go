package score

import (
	"fmt"
	"strings"
	"time"

	"gameday/internal/scenario"
)

// timeBound is one recovery time objective the recovery_time part checks.
type timeBound struct {
	label    string // "p95" or "max"
	measured time.Duration
	target   time.Duration
}

// recoveryTimePart scores how the recovery times compare with the
// recovery_p95 and recovery_max objectives; ok is false when neither is set.
//
// For each objective set, the sub-score is 100 while the measured time is
// within the objective (inclusive), else 100 x objective / measured: twice
// the objective scores 50. With both set the lower sub-score counts. An
// instance that never recovered has no recovery time: the part is 0.
func recoveryTimePart(outcomes []Outcome, stats Stats, obj scenario.Objectives) (Part, bool) {
	var bounds []timeBound
	if obj.RecoveryP95 != nil {
		bounds = append(bounds, timeBound{"p95", stats.P95, obj.RecoveryP95.Duration})
	}
	if obj.RecoveryMax != nil {
		bounds = append(bounds, timeBound{"max", stats.Max, obj.RecoveryMax.Duration})
	}
	if len(bounds) == 0 {
		return Part{}, false
	}
	p := Part{Name: "recovery_time", Weight: 1}
	var targets, measured, details []string
	for _, b := range bounds {
		targets = append(targets, fmt.Sprintf("%s <= %s", b.label, b.target))
	}
	p.Target = strings.Join(targets, ", ")
	if len(outcomes) == 0 {
		p.Detail = "no instance was acted on"
		return p, true
	}
	if !outcomes[0].Observed {
		p.Weight, p.Detail = 0, "not measured: the scenario has no per-instance health check (verify.instance, ec2_status_checks or target_groups)"
		return p, true
	}
	if lost := countLost(outcomes); lost > 0 {
		p.Measured = fmt.Sprintf("%d of %d never recovered", lost, len(outcomes))
		p.Detail = fmt.Sprintf("%d of %d instances never recovered: no recovery time to hold against %s",
			lost, len(outcomes), p.Target)
		return p, true
	}
	value := 100.0
	for _, b := range bounds {
		v := round1(timeRatio(b.measured, b.target))
		value = min(value, v)
		measured = append(measured, fmt.Sprintf("%s %s", b.label, Round(b.measured)))
		d := fmt.Sprintf("%s %s vs objective %s", b.label, Round(b.measured), b.target)
		if len(bounds) > 1 {
			d += fmt.Sprintf(" (%s)", formatNumber(v))
		}
		details = append(details, d)
	}
	p.Value = value
	p.Measured = strings.Join(measured, ", ")
	p.Detail = strings.Join(details, ", ")
	if len(bounds) > 1 {
		p.Detail += ": the lower counts"
	}
	return p, true
}

// timeRatio is 100 when measured is within target, else 100 x target /
// measured; 0 when the target is not positive and the time is.
func timeRatio(measured, target time.Duration) float64 {
	switch {
	case measured <= target:
		return 100
	case target <= 0:
		return 0
	}
	return 100 * float64(target) / float64(measured)
}
