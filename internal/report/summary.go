package report

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"gameday/internal/score"
)

// WriteSummary prints the end-of-run summary for a person at a terminal,
// ending with the score breakdown and reportPath. A caller that wrote the
// artifacts should use WriteSummaryArtifacts, which ends with report.html.
func WriteSummary(w io.Writer, r *Report, reportPath string) error {
	return writeSummary(w, r, nil, reportPath)
}

// WriteSummaryArtifacts prints the end-of-run summary and where the
// artifacts are: it ends with the score breakdown, one line per part, and
// the path of report.html.
func WriteSummaryArtifacts(w io.Writer, r *Report, a Artifacts) error {
	var files []string
	for _, p := range []string{a.JSON, a.JUnit, a.Markdown} {
		if p != "" {
			files = append(files, p)
		}
	}
	return writeSummary(w, r, files, a.HTML)
}

// writeSummary prints the summary; files come before the score, report
// last.
func writeSummary(w io.Writer, r *Report, files []string, report string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(label, format string, args ...any) {
		fmt.Fprintf(tw, "  %s\t%s\n", label, fmt.Sprintf(format, args...))
	}
	fmt.Fprintf(tw, "\nSummary of run %s (scenario %s, seed %d)\n", r.RunID, r.Scenario.Name, r.Seed)
	row("status", "%s", statusLine(r))
	row("fleet", "%d matched, %d eligible, %d selected (%s)", r.Fleet.Matched, r.Fleet.Eligible, r.Fleet.Selected, r.Fleet.SelectionRule)
	if ex := exclusionSummary(r.Fleet.Excluded); ex != "" {
		row("excluded", "%s", ex)
	}
	acted, recovered := 0, 0
	for _, az := range r.PerAZ {
		acted += az.Acted
		recovered += az.Recovered
	}
	row(pastTense(r.Scenario.Action), "%d: %s", acted, perAZ(r.PerAZ, func(a AZSummary) int { return a.Acted }))
	if !r.Score.NotScored {
		row("recovered", "%d of %d", recovered, acted)
	}
	if r.Recovery.Count > 0 {
		row("recovery time", "min %s  p50 %s  p95 %s  max %s", secs(r.Recovery.MinSeconds), secs(r.Recovery.P50Seconds),
			secs(r.Recovery.P95Seconds), secs(r.Recovery.MaxSeconds))
	}
	t := buildTables(r)
	if n := len(t.NeverRecovered); n > 0 {
		ids := make([]string, n)
		for i, p := range t.NeverRecovered {
			ids[i] = p.InstanceID
		}
		row("not recovered", "%s", idList(ids, 5))
	}
	for _, s := range t.Services {
		line := fmt.Sprintf("%s: %s available (%d of %d probes failed)", s.Name, s.Availability, s.Failures, s.Probes)
		if s.LongestOutage != "none" {
			line += ", longest outage " + s.LongestOutage
		}
		if s.P95 != "-" {
			line += ", latency p95 " + s.P95
		}
		row("service", "%s", line)
	}
	for _, o := range r.Score.Objectives {
		row("objective", "%s %s: %s (%s)", o.Name, o.Target, metWord(o.Met), o.Measured)
	}
	if r.Score.NoObjectives {
		row("objective", "none set: the score is informational and the run passes when it completes")
	}
	if b := r.Baseline; b != nil {
		line := fmt.Sprintf("run %s scored %s (%s)", b.RunID, formatScore(b.Score), signed(r.Score.Value-b.Score))
		for i, g := range t.Regressions {
			sep := "; regressed: "
			if i > 0 {
				sep = ", "
			}
			line += fmt.Sprintf("%s%s (%s -> %s)", sep, g.Objective, g.Baseline, g.Current)
		}
		if len(t.Regressions) == 0 {
			line += "; no objective regressed"
		}
		row("baseline", "%s", line)
	}
	if len(files) > 0 {
		row("files", "%s", fileList(files))
	}
	if r.Score.NotScored {
		row("score", "not computed; its parts:")
	} else {
		row("score", "%s/100, the weighted mean of:", formatScore(r.Score.Value))
	}
	// One line per part, under the score; the part names get a column of
	// their own so that the labels' column keeps its width.
	for _, p := range r.Score.Parts {
		fmt.Fprintf(tw, "  \t%s\t%s (weight %s): %s\n", p.Name, formatScore(p.Value), formatScore(p.Weight), p.Detail)
	}
	if report != "" {
		row("report", "%s", report)
	}
	return tw.Flush()
}

func statusLine(r *Report) string {
	switch r.Status {
	case StatusPassed:
		return "PASSED: objectives met"
	case StatusFailed:
		return "FAILED: objectives missed"
	case StatusAborted:
		return "ABORTED: " + r.Reason
	case StatusDryRun:
		return "DRY RUN: " + r.Reason
	case StatusRunning:
		return "UNFINISHED: the report still says running"
	default:
		return "ERROR: " + r.Reason
	}
}

func exclusionSummary(excluded []Exclusion) string {
	counts := map[string]int{}
	for _, e := range excluded {
		counts[e.Reason]++
	}
	reasons := make([]string, 0, len(counts))
	for reason := range counts {
		reasons = append(reasons, reason)
	}
	sort.Strings(reasons)
	parts := make([]string, 0, len(reasons))
	for _, reason := range reasons {
		parts = append(parts, fmt.Sprintf("%d %s", counts[reason], reason))
	}
	return strings.Join(parts, "; ")
}

func perAZ(azs []AZSummary, count func(AZSummary) int) string {
	parts := make([]string, 0, len(azs))
	for _, az := range azs {
		parts = append(parts, fmt.Sprintf("%s %d", az.AZ, count(az)))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func pastTense(action string) string {
	if action == "reboot" {
		return "rebooted"
	}
	return action
}

func metWord(met bool) string {
	if met {
		return "met"
	}
	return "MISSED"
}

func formatScore(v float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0") }

func secs(s float64) string {
	return score.Round(time.Duration(s * float64(time.Second))).String()
}

// fileList names files briefly: "a, b and c in dir/" when they share a
// directory.
func fileList(paths []string) string {
	dir := filepath.Dir(paths[0])
	names := make([]string, len(paths))
	for i, p := range paths {
		if filepath.Dir(p) != dir {
			return strings.Join(paths, ", ")
		}
		names[i] = filepath.Base(p)
	}
	return strings.Join(names, ", ") + " in " + dir + string(filepath.Separator)
}
