package plan

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"gameday/internal/fleet"
)

// Document is the plan as `gameday plan --output json` prints it: stable
// field names, durations in seconds, every instance id.
type Document struct {
	Scenario string          `json:"scenario"`
	Seed     uint64          `json:"seed"`
	Phases   []PhaseDocument `json:"phases"`
	Estimate EstimateDoc     `json:"estimate"`
}

// PhaseDocument is one phase of a Document.
type PhaseDocument struct {
	Name          string          `json:"name"`
	Action        string          `json:"action"`
	Start         string          `json:"start"`
	Matched       int             `json:"matched"`
	Eligible      int             `json:"eligible"`
	Selected      int             `json:"selected"`
	SelectionRule string          `json:"selection_rule"`
	SelectedPerAZ []fleet.AZCount `json:"selected_per_az"`
	Excluded      []ExclusionDoc  `json:"excluded"`
	Waves         []WaveDocument  `json:"waves"`
	Notes         []string        `json:"notes"`
}

// ExclusionDoc is one excluded instance.
type ExclusionDoc struct {
	InstanceID string `json:"instance_id"`
	AZ         string `json:"az"`
	Reason     string `json:"reason"`
}

// WaveDocument is one wave.
type WaveDocument struct {
	Index       int             `json:"index"`
	InstanceIDs []string        `json:"instance_ids"`
	PerAZ       []fleet.AZCount `json:"per_az"`
}

// EstimateDoc is the estimate in seconds.
type EstimateDoc struct {
	AssumedRecoverySeconds float64          `json:"assumed_recovery_seconds"`
	TypicalSeconds         float64          `json:"typical_seconds"`
	WorstSeconds           float64          `json:"worst_seconds"`
	RateLimitWaitSeconds   float64          `json:"rate_limit_wait_seconds"`
	Calls                  map[string]int   `json:"calls"`
	Phases                 []PhaseTimingDoc `json:"phases"`
	Notes                  []string         `json:"notes"`
}

// PhaseTimingDoc places a phase on the typical timeline.
type PhaseTimingDoc struct {
	Name         string  `json:"name"`
	StartSeconds float64 `json:"start_seconds"`
	EndSeconds   float64 `json:"end_seconds"`
}

// Document converts the plan for JSON output.
func (p *Plan) Document() Document {
	d := Document{Scenario: p.Scenario, Seed: p.Seed, Phases: []PhaseDocument{}}
	for _, ph := range p.Phases {
		pd := PhaseDocument{
			Name: ph.Name, Action: ph.Step.Action.Type, Start: ph.Start(), Matched: ph.Matched,
			Eligible: len(ph.Eligible), Selected: len(ph.Selected), SelectionRule: ph.SelectionRule,
			SelectedPerAZ: fleet.CountByAZ(ph.Selected), Excluded: []ExclusionDoc{}, Waves: []WaveDocument{},
			Notes: append([]string{}, ph.Notes...),
		}
		for _, ex := range ph.Excluded {
			pd.Excluded = append(pd.Excluded, ExclusionDoc{InstanceID: ex.Instance.ID, AZ: ex.Instance.AZ, Reason: ex.Reason})
		}
		for _, w := range ph.Waves {
			pd.Waves = append(pd.Waves, WaveDocument{Index: w.Index, InstanceIDs: fleet.IDs(w.Instances), PerAZ: fleet.CountByAZ(w.Instances)})
		}
		d.Phases = append(d.Phases, pd)
	}
	e := p.Estimate
	d.Estimate = EstimateDoc{
		AssumedRecoverySeconds: seconds(e.AssumedRecovery), TypicalSeconds: seconds(e.Typical),
		WorstSeconds: seconds(e.Worst), RateLimitWaitSeconds: seconds(e.RateLimitWait),
		Calls: e.Calls, Phases: []PhaseTimingDoc{}, Notes: append([]string{}, e.Notes...),
	}
	for _, t := range e.Phases {
		d.Estimate.Phases = append(d.Estimate.Phases, PhaseTimingDoc{Name: t.Name, StartSeconds: seconds(t.Start), EndSeconds: seconds(t.End)})
	}
	return d
}

// WriteText prints the plan for a person. With instances, every wave and
// exclusion lists its instance ids.
func (p *Plan) WriteText(w io.Writer, instances bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(indent, label, format string, args ...any) {
		fmt.Fprintf(tw, "%s%s\t%s\n", indent, label, fmt.Sprintf(format, args...))
	}
	fmt.Fprintf(tw, "plan for %s (seed %d)\n", p.Scenario, p.Seed)
	for _, ph := range p.Phases {
		fmt.Fprintf(tw, "phase %s: %s, %s\n", ph.Name, ph.Step.Action.Type, ph.Start())
		row("  ", "target", "%d matched, %d eligible, %d excluded", ph.Matched, len(ph.Eligible), len(ph.Excluded))
		for _, line := range exclusionLines(ph.Excluded, instances) {
			row("  ", "excluded", "%s", line)
		}
		row("  ", "selected", "%d: %s", len(ph.Selected), ph.SelectionRule)
		if len(ph.Selected) > 0 {
			row("  ", "per AZ", "%s", azText(fleet.CountByAZ(ph.Selected)))
		}
		ws := ph.Step.Waves
		row("  ", "waves", "%d (order %s, interval %s, %s)", len(ph.Waves), ws.Order, ws.Interval, gateText(ph))
		for _, wave := range ph.Waves {
			row("    ", fmt.Sprintf("wave %d", wave.Index), "%d: %s", len(wave.Instances), azText(fleet.CountByAZ(wave.Instances)))
			if instances {
				row("    ", "", "%s", strings.Join(fleet.IDs(wave.Instances), " "))
			}
		}
		for _, note := range ph.Notes {
			row("  ", "note", "%s", note)
		}
		// Each block aligns on its own: a long label elsewhere must not
		// push every column to the right.
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	p.writeEstimate(tw)
	return tw.Flush()
}

func (p *Plan) writeEstimate(tw *tabwriter.Writer) {
	e := p.Estimate
	fmt.Fprintf(tw, "estimate\tabout %s if instances recover in %s (--assume-recovery; capped by each gate's timeout); at most %s if every gate times out\n",
		round(e.Typical), e.AssumedRecovery, round(e.Worst))
	var calls []string
	for _, op := range sortedKeys(e.Calls) {
		calls = append(calls, fmt.Sprintf("%d %s", e.Calls[op], op))
	}
	limits := "EC2 rate limits add no wait"
	if e.RateLimitWait > 0 {
		limits = fmt.Sprintf("EC2 rate limits add %s of waiting", round(e.RateLimitWait))
	}
	fmt.Fprintf(tw, "  EC2 calls\t%s; %s\n", strings.Join(calls, ", "), limits)
	if len(e.Phases) > 1 {
		for _, t := range e.Phases {
			fmt.Fprintf(tw, "  phase\t%s: %s to %s\n", t.Name, round(t.Start), round(t.End))
		}
	}
	for _, note := range e.Notes {
		fmt.Fprintf(tw, "  schedule\t%s\n", note)
	}
}

func gateText(ph *Phase) string {
	w := ph.Step.Waves
	if !w.WaitsForHealthy() {
		return "no health gate"
	}
	return fmt.Sprintf("gate %s, on timeout %s", w.GateTimeout, w.OnGateTimeout)
}

func exclusionLines(excluded []Exclusion, instances bool) []string {
	var order []string
	ids := map[string][]string{}
	for _, e := range excluded {
		if _, seen := ids[e.Reason]; !seen {
			order = append(order, e.Reason)
		}
		ids[e.Reason] = append(ids[e.Reason], e.Instance.ID)
	}
	sort.Strings(order)
	lines := make([]string, 0, len(order))
	for _, reason := range order {
		line := fmt.Sprintf("%d %s", len(ids[reason]), reason)
		if instances {
			line += ": " + strings.Join(ids[reason], " ")
		}
		lines = append(lines, line)
	}
	return lines
}

func azText(counts []fleet.AZCount) string {
	parts := make([]string, len(counts))
	for i, c := range counts {
		parts[i] = fmt.Sprintf("%s %d", c.AZ, c.Count)
	}
	return strings.Join(parts, ", ")
}

func round(d time.Duration) time.Duration {
	if d >= time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}

func seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}
