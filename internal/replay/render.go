package replay

import (
	"bytes"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gameday/internal/scenario"
)

// render writes the scenario: a commented header, one phase per group of
// disruptions, and verify and objectives as commented templates.
func (r *Result) render() ([]byte, error) {
	o := r.Options
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	source := o.Source
	if source == "" {
		source = r.Incident.Source
	}
	name := o.Name
	if name == "" {
		name = DefaultName(source)
	}
	w("# Replayed by `gameday replay` from %s (%s).\n", oneLine(source), r.Incident.FormatNames())
	w("# %d instance events from %s to %s (%s); %d phases", len(r.Incident.Events), r.when(r.Start), r.when(r.End),
		r.End.Sub(r.Start), len(r.Phases))
	if o.TimeScale != 1 {
		w(", times scaled by %s", strconv.FormatFloat(o.TimeScale, 'g', -1, 64))
	}
	w(".\n")
	if len(r.AZMap) > 0 {
		var pairs []string
		for _, z := range slices.Sorted(maps.Keys(r.AZMap)) {
			pairs = append(pairs, z+" -> "+r.AZMap[z])
		}
		w("# Zones, original -> target: %s.\n", strings.Join(pairs, ", "))
	}
	for _, warning := range r.Warnings {
		w("# warning: %s\n", oneLine(warning))
	}
	w("# Review the targets and counts, uncomment verify, then: gameday validate FILE && gameday plan FILE\n")
	w("apiVersion: %s\n", scenario.APIVersion)
	w("name: %s\n", name)
	w("description: %s\n", strconv.Quote(fmt.Sprintf("Replayed from %s: %d instance events between %s and %s",
		filepath.Base(source), len(r.Incident.Events), r.when(r.Start), r.when(r.End))))
	w("target:\n")
	if reg := r.singleRegion(); reg != "" {
		w("  region: %s\n", reg)
	}
	if len(o.Tags) > 0 {
		w("  tags: %s\n", tagFlow(o.Tags))
	}
	w("# The incident happened on its own clock, whatever the fleet's health: no\n")
	w("# wave waits for health, so every phase starts at its offset.\n")
	w("waves: {count: 1, wait_for_healthy: false}\n")
	w("phases:\n")
	for _, p := range r.Phases {
		w("  # %s\n", oneLine(r.origin(p)))
		if p.Assumed != "" && p.Action != scenario.ActionStop {
			w("  # stopped_for is assumed (%s; --open-stop-for)\n", p.Assumed)
		}
		w("  - name: %s\n", p.Name)
		w("    after: %s\n", p.After)
		w("    target:\n")
		w("      region: %s\n", p.Region)
		if len(p.Tags) > 0 {
			w("      tags: %s\n", tagFlow(p.Tags))
		}
		if len(p.TargetAZs) > 0 {
			w("      availability_zones: [%s]\n", strings.Join(p.TargetAZs, ", "))
		}
		if p.Percent > 0 {
			w("    blast_radius: {percent: %q}\n", strconv.FormatFloat(p.Percent, 'f', -1, 64)+"%")
		} else {
			w("    blast_radius: {count: %d}\n", p.Count)
		}
		switch p.Action {
		case scenario.ActionReboot:
			w("    action: {type: reboot}\n")
		case scenario.ActionStop:
			w("    action: {type: stop, allow_leave_stopped: true}\n")
		default:
			w("    action: {type: %s, stopped_for: %s}\n", p.Action, p.StoppedFor)
		}
	}
	w(`# How to watch health: uncomment and adapt. Waves still do not wait for it;
# the run observes recovery after the last wave and scores it.
# verify:
#   instance: {url: "http://{{.PrivateIP}}:8080/healthz"}
#   # or: ec2_status_checks: true
#   observe_after: 2m
# objectives:
#   recover_all_within: 15m
#   recovery_p95: 5m
`)
	return b.Bytes(), nil
}

// origin says what a phase replays, for the comment above it.
func (r *Result) origin(p Phase) string {
	pct := strconv.FormatFloat(p.Percent, 'f', -1, 64)
	what := plural(p.Count, "instance", "instances")
	switch {
	case p.Shares:
		what = pct + "% of the zone"
	case p.Percent > 0:
		what += " (" + pct + "% of the original fleet there)"
	}
	zone := "unknown zones"
	if p.OrigAZ != "" {
		zone = p.OrigAZ
	}
	if p.Group != "" {
		zone += " " + strconv.Quote(r.Options.GroupBy+"="+p.Group)
	}
	var kinds []string
	for _, k := range slices.Sorted(maps.Keys(p.Kinds)) {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, p.Kinds[k]))
	}
	s := fmt.Sprintf("incident: %s of %s, %s, at %s", what, zone, strings.Join(kinds, ", "), r.when(p.First))
	if p.Span > 0 {
		s += fmt.Sprintf(" over %s", p.Span)
	}
	s += fmt.Sprintf(" (+%s)", p.Offset)
	if p.Repeats > 0 {
		s += fmt.Sprintf("; %d repeats folded", p.Repeats)
	}
	if p.Assumed == "" && (p.Action == scenario.ActionStopStart || p.Action == scenario.ActionForceStopStart) {
		s += "; stopped_for is the median time stopped"
	}
	return s
}

// when prints an instant, or an offset for a CSV of offsets.
func (r *Result) when(t time.Time) string {
	if r.Incident.Relative {
		return "+" + t.Sub(time.Unix(0, 0)).String()
	}
	return t.UTC().Format(time.RFC3339)
}

func (r *Result) singleRegion() string {
	var regions []string
	for _, p := range r.Phases {
		if !slices.Contains(regions, p.Region) {
			regions = append(regions, p.Region)
		}
	}
	if len(regions) == 1 {
		return regions[0]
	}
	return ""
}

// tagFlow writes tags as a YAML flow map with quoted keys and values.
func tagFlow(tags map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		parts = append(parts, strconv.Quote(k)+": "+strconv.Quote(tags[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func tagText(tags map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		parts = append(parts, k+"="+tags[k])
	}
	if len(parts) == 0 {
		return "the target"
	}
	return strings.Join(parts, ",")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
