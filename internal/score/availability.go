package score

import (
	"fmt"
	"math"
	"strings"

	"gameday/internal/scenario"
)

// ServiceOutcome is what the probes of one service saw during a run.
type ServiceOutcome struct {
	Name  string
	OK    int
	Total int
}

// Availability is the share of successful probes in percent; 100 when the
// service was never probed (nothing was seen failing).
func (s ServiceOutcome) Availability() float64 {
	if s.Total == 0 {
		return 100
	}
	return 100 * float64(s.OK) / float64(s.Total)
}

// lowest returns the service with the lowest availability: a run is as
// available as the worst thing its users see.
func lowest(services []ServiceOutcome) ServiceOutcome {
	worst := services[0]
	for _, s := range services[1:] {
		if s.Availability() < worst.Availability() {
			worst = s
		}
	}
	return worst
}

// availabilityPart is the lowest service availability in percent, whatever
// the objective: availability already has a 0..100 scale, and a point of
// availability lost costs a point of the part. The objective, when set, is
// shown next to it and judged apart.
func availabilityPart(services []ServiceOutcome, target *scenario.Percent) Part {
	worst := lowest(services)
	p := Part{Name: "availability", Weight: 1, Value: round1(worst.Availability()),
		Measured: fmt.Sprintf("%s %s", worst.Name, formatPercent(worst.Availability()))}
	p.Detail = fmt.Sprintf("lowest service availability: %s %s (%d of %d probes ok)", worst.Name,
		formatPercent(worst.Availability()), worst.OK, worst.Total)
	if target != nil {
		p.Target = formatPercent(target.Value)
		p.Detail += " vs objective " + p.Target
	} else {
		p.Detail += " (no availability objective set)"
	}
	return p
}

func availabilityObjective(services []ServiceOutcome, target float64) ObjectiveResult {
	r := ObjectiveResult{Name: "availability", Target: formatPercent(target), Unit: UnitPercent}
	if len(services) == 0 {
		r.Measured = "no service was probed"
		return r
	}
	var parts []string
	r.Met = true
	for _, s := range services {
		parts = append(parts, fmt.Sprintf("%s %s", s.Name, formatPercent(s.Availability())))
		r.Met = r.Met && s.Availability() >= target
	}
	r.Measured = strings.Join(parts, ", ")
	r.MeasuredValue = ptr(math.Round(lowest(services).Availability()*100) / 100)
	return r
}

// formatPercent prints 99.5 as "99.5%" and 100 as "100%", rounded to two
// decimals so that 99.999 does not read as 100.
func formatPercent(v float64) string {
	s := strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
	return s + "%"
}
