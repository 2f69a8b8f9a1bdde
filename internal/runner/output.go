package runner

import (
	"fmt"
	"io"
	"strings"

	"gameday/internal/execute"
	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/scenario"
	"gameday/internal/score"
)

// printPlan tells the operator what is about to happen, before it happens.
func printPlan(w io.Writer, p *plan.Plan) {
	for _, ph := range p.Phases {
		prefix := "plan: "
		if len(p.Phases) > 1 {
			prefix = fmt.Sprintf("plan: phase %s (%s, %s): ", ph.Name, ph.Step.Action.Type, ph.Start())
		}
		fmt.Fprintf(w, "%s%d matched the target, %d eligible, %d excluded; selected %s\n",
			prefix, ph.Matched, len(ph.Eligible), len(ph.Excluded), ph.SelectionRule)
		sizes := make([]string, len(ph.Waves))
		for i, wave := range ph.Waves {
			sizes[i] = fmt.Sprint(len(wave.Instances))
		}
		fmt.Fprintf(w, "%s%d waves of %s instances (order %s); selected per AZ: %s\n",
			prefix, len(ph.Waves), strings.Join(sizes, "/"), ph.Step.Waves.Order, formatAZCounts(fleet.CountByAZ(ph.Selected)))
		for _, note := range ph.Notes {
			fmt.Fprintf(w, "%s%s\n", prefix, note)
		}
	}
}

// lineObserver prints one line when a wave starts and one when it ends:
// readable at a terminal and in a CI log alike.
type lineObserver struct {
	out     io.Writer
	phases  int
	actions map[string]string // phase -> action type
}

func (o *lineObserver) label(phase string, index, total int) string {
	if o.phases > 1 {
		return fmt.Sprintf("phase %s, wave %d/%d", phase, index, total)
	}
	return fmt.Sprintf("wave %d/%d", index, total)
}

func (o *lineObserver) WaveStarted(phase string, w plan.Wave, total int) {
	fmt.Fprintf(o.out, "%s: %s %d instances (%s)\n", o.label(phase, w.Index, total), verb(o.actions[phase]),
		len(w.Instances), formatAZCounts(fleet.CountByAZ(w.Instances)))
}

func (o *lineObserver) WaveFinished(phase string, r execute.WaveResult, total int) {
	label := o.label(phase, r.Index, total)
	n := len(r.Acted)
	if len(r.Skipped) > 0 {
		fmt.Fprintf(o.out, "%s: %d skipped (changed since the plan): %s\n", label, len(r.Skipped), skipText(r.Skipped))
	}
	switch r.Gate {
	case execute.GatePassed:
		fmt.Fprintf(o.out, "%s: %d/%d recovered after %s, gate passed\n", label, n, n, score.Round(r.GateElapsed))
	case execute.GateTimedOut:
		fmt.Fprintf(o.out, "%s: gate timed out after %s, %d of %d not recovered: %s\n",
			label, score.Round(r.GateElapsed), len(r.Pending), n, strings.Join(r.Pending, ", "))
	case execute.GateInterrupted:
		fmt.Fprintf(o.out, "%s: interrupted while waiting for health\n", label)
	default:
		fmt.Fprintf(o.out, "%s: done (%d acted on), no health gate\n", label, n)
	}
}

var _ execute.Observer = (*lineObserver)(nil)

func verb(action string) string {
	switch action {
	case scenario.ActionStopStart:
		return "stopping and starting"
	case scenario.ActionForceStopStart:
		return "force-stopping and starting"
	case scenario.ActionStop:
		return "stopping"
	}
	return "rebooting"
}

func skipText(skips []execute.Skip) string {
	parts := make([]string, len(skips))
	for i, s := range skips {
		parts[i] = s.ID + " (" + s.Reason + ")"
	}
	return strings.Join(parts, ", ")
}

func formatAZCounts(counts []fleet.AZCount) string {
	parts := make([]string, len(counts))
	for i, c := range counts {
		parts[i] = fmt.Sprintf("%s %d", c.AZ, c.Count)
	}
	return strings.Join(parts, ", ")
}
