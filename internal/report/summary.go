package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"gameday/internal/score"
)

// WriteSummary prints the end-of-run summary for a person at a terminal.
func WriteSummary(w io.Writer, r *Report, reportPath string) error {
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
	for _, o := range r.Score.Objectives {
		row("objective", "%s %s: %s (%s)", o.Name, o.Target, metWord(o.Met), o.Measured)
	}
	if r.Score.NoObjectives {
		row("objective", "none set: the score is informational and the run passes when it completes")
	}
	if r.Score.NotScored {
		row("score", "not computed (%s)", partsLine(r.Score.Parts))
	} else {
		row("score", "%s/100 (%s)", formatScore(r.Score.Value), partsLine(r.Score.Parts))
	}
	if reportPath != "" {
		row("report", "%s", reportPath)
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

func partsLine(parts []score.Part) string {
	lines := make([]string, 0, len(parts))
	for _, p := range parts {
		lines = append(lines, fmt.Sprintf("%s %s: %s", p.Name, formatScore(p.Value), p.Detail))
	}
	return strings.Join(lines, "; ")
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
