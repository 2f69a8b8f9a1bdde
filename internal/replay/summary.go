package replay

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteSummary tells a person what was read, what was skipped and why,
// the counts per zone, the time span and the phases.
func (r *Result) WriteSummary(w io.Writer) error {
	inc := r.Incident
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "replay: %s: %s, %d records: %d used, %d skipped\n", inc.Source, inc.FormatNames(),
		inc.Records, inc.Used, inc.SkippedTotal())
	for _, line := range skipSummary(inc.Skipped) {
		fmt.Fprintf(tw, "  skipped\t%s\n", line)
	}
	kinds := map[Kind]int{}
	for _, ev := range inc.Events {
		kinds[ev.Kind] += max(ev.Count, 1)
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, kinds[k]))
	}
	fmt.Fprintf(tw, "  events\t%d (%s)\n", len(inc.Events), strings.Join(parts, ", "))
	fmt.Fprintf(tw, "  time span\t%s to %s (%s)\n", r.when(r.Start), r.when(r.End), r.End.Sub(r.Start))
	for _, line := range skipSummary(r.Dropped) {
		fmt.Fprintf(tw, "  not replayed\t%s\n", line)
	}
	for _, line := range r.zoneLines() {
		fmt.Fprintf(tw, "  per zone\t%s\n", line)
	}
	scaled := ""
	if r.Options.TimeScale != 1 {
		scaled = ", times x" + strconv.FormatFloat(r.Options.TimeScale, 'g', -1, 64)
	}
	fmt.Fprintf(tw, "  phases\t%d (bucket %s, max span %s%s)\n", len(r.Phases), r.Options.Gap, r.Options.MaxSpan, scaled)
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, p := range r.Phases {
		size := strconv.Itoa(p.Count)
		if p.Percent > 0 {
			size = strconv.FormatFloat(p.Percent, 'f', -1, 64) + "%"
		}
		action := p.Action
		if p.StoppedFor > 0 {
			action += ", stopped_for " + p.StoppedFor.String()
		}
		if p.Assumed != "" {
			action += " (" + p.Assumed + ")"
		}
		fmt.Fprintf(tw, "    %s\tafter %s\t%s\t%s\n", p.Name, p.After, size, action)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, warning := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warning)
	}
	return nil
}

// zoneLines counts the replayed instances per original zone and action:
// "us-east-1a -> us-east-1a: 9 (reboot 7, force-stop-start 2)".
func (r *Result) zoneLines() []string {
	type acc struct {
		total   int
		shares  float64
		actions map[string]int
	}
	zones := map[string]*acc{}
	for _, p := range r.Phases {
		a := zones[p.OrigAZ]
		if a == nil {
			a = &acc{actions: map[string]int{}}
			zones[p.OrigAZ] = a
		}
		if p.Shares {
			a.shares += p.Percent
			continue
		}
		a.total += p.Count
		a.actions[p.Action] += p.Count
	}
	var out []string
	for _, z := range slices.Sorted(maps.Keys(zones)) {
		a := zones[z]
		label := "unknown zone -> " + strings.Join(r.Options.TargetAZs, ",")
		if len(r.Options.TargetAZs) == 0 {
			label = "unknown zone -> any zone"
		}
		if z != "" {
			label = z + " -> " + r.AZMap[z]
		}
		var parts []string
		for _, act := range slices.Sorted(maps.Keys(a.actions)) {
			parts = append(parts, fmt.Sprintf("%s %d", act, a.actions[act]))
		}
		line := label + ": " + plural(a.total, "instance", "instances")
		if len(parts) > 0 {
			line += " (" + strings.Join(parts, ", ") + ")"
		}
		if a.shares > 0 {
			line += fmt.Sprintf(" + %s%% of the zone", strconv.FormatFloat(a.shares, 'f', -1, 64))
		}
		out = append(out, line)
	}
	return out
}
