package runner

import (
	"fmt"
	"io"
	"strings"

	"gameday/internal/execute"
	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/score"
)

// printPlan tells the operator what is about to happen, before it happens.
func printPlan(w io.Writer, p *plan.Phase) {
	fmt.Fprintf(w, "plan: %d matched the target, %d eligible, %d excluded; selected %s\n",
		p.Matched, len(p.Eligible), len(p.Excluded), p.SelectionRule)
	sizes := make([]string, len(p.Waves))
	for i, wave := range p.Waves {
		sizes[i] = fmt.Sprint(len(wave.Instances))
	}
	fmt.Fprintf(w, "plan: %d waves of %s instances (order %s); selected per AZ: %s\n",
		len(p.Waves), strings.Join(sizes, "/"), p.Step.Waves.Order, formatAZCounts(fleet.CountByAZ(p.Selected)))
	for _, note := range p.Notes {
		fmt.Fprintf(w, "plan: %s\n", note)
	}
}

// lineObserver prints one line when a wave starts and one when it ends:
// readable at a terminal and in a CI log alike.
type lineObserver struct{ out io.Writer }

func (o *lineObserver) WaveStarted(w plan.Wave, total int) {
	fmt.Fprintf(o.out, "wave %d/%d: rebooting %d instances (%s)\n",
		w.Index, total, len(w.Instances), formatAZCounts(fleet.CountByAZ(w.Instances)))
}

func (o *lineObserver) WaveFinished(r execute.WaveResult, total int) {
	n := len(r.InstanceIDs)
	switch r.Gate {
	case execute.GatePassed:
		fmt.Fprintf(o.out, "wave %d/%d: %d/%d recovered after %s, gate passed\n", r.Index, total, n, n, score.Round(r.GateElapsed))
	case execute.GateTimedOut:
		fmt.Fprintf(o.out, "wave %d/%d: gate timed out after %s, %d of %d not recovered: %s\n",
			r.Index, total, score.Round(r.GateElapsed), len(r.Pending), n, strings.Join(r.Pending, ", "))
	case execute.GateInterrupted:
		fmt.Fprintf(o.out, "wave %d/%d: interrupted while waiting for health\n", r.Index, total)
	default:
		fmt.Fprintf(o.out, "wave %d/%d: done, not waiting for health (wait_for_healthy: false)\n", r.Index, total)
	}
}

var _ execute.Observer = (*lineObserver)(nil)

func formatAZCounts(counts []fleet.AZCount) string {
	parts := make([]string, len(counts))
	for i, c := range counts {
		parts[i] = fmt.Sprintf("%s %d", c.AZ, c.Count)
	}
	return strings.Join(parts, ", ")
}
