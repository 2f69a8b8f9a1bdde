package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"gameday/internal/score"
)

// mdListLimit caps the lists of instances in summary.md: a job summary is
// read by people, and report.html has every instance.
const mdListLimit = 20

// WriteMarkdown writes summary.md: GitHub-flavoured Markdown for a CI job
// summary ($GITHUB_STEP_SUMMARY) or a pull-request comment, readable raw.
func WriteMarkdown(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	t := buildTables(r)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }

	p("## %s %s: %s — %s\n\n", statusIcon(r.Status), statusTitle(r.Status), mdText(r.Scenario.Name), mdText(statusSentence(r)))
	facts := []string{"**Score " + scoreText(r.Score) + "**"}
	facts = append(facts, fmt.Sprintf("%s %d of %d selected in %d waves", mdText(actionWords(r.Scenario.Action)), t.Acted,
		r.Fleet.Selected, len(r.Waves)))
	facts = append(facts, "took "+dur(r.Seconds), fmt.Sprintf("seed `%d`", r.Seed))
	if r.Region != "" {
		facts = append(facts, mdText(regionsText(r)))
	}
	facts = append(facts, "run `"+r.RunID+"`")
	p("%s\n\n", strings.Join(facts, " · "))
	if r.Scenario.Description != "" {
		p("> %s\n\n", mdText(r.Scenario.Description))
	}

	if len(t.Objectives) > 0 {
		p("| | objective | target | measured |\n|:-:|---|---|---|\n")
		for _, o := range t.Objectives {
			p("| %s | %s | %s | %s |\n", o.Icon, mdCell(o.Name), mdCell(o.Target), mdCell(o.Measured))
		}
		p("\n")
	} else {
		p("No objectives are set: the run passes when it completes and the score is informational.\n\n")
	}

	p("### Score breakdown\n\n| part | weight | score | detail |\n|---|--:|--:|---|\n")
	for _, part := range t.Parts {
		p("| %s | %s | %s | %s |\n", mdCell(part.Name), part.Weight, part.Value, mdCell(part.Detail))
	}
	if r.Score.NotScored {
		p("| **score** | | **not scored** | nothing was measured |\n\n")
	} else {
		p("| **score** | | **%s** | weighted mean of the parts |\n\n", formatScore(r.Score.Value))
	}

	if b := r.Baseline; b != nil {
		p("### Compared with baseline `%s`\n\n", b.RunID)
		p("Baseline started %s and scored %s; this run scored %s.", formatTime(b.StartedAt), formatScore(b.Score),
			scoreDelta(r.Score, b.Score))
		if len(t.Regressions) == 0 {
			p(" No objective regressed.\n\n")
		} else {
			p(" %s:\n\n| objective | baseline | now | detail |\n|---|---|---|---|\n", plural(len(t.Regressions), "regression", "regressions"))
			for _, g := range t.Regressions {
				p("| %s | %s | %s | %s |\n", mdCell(g.Objective), mdCell(g.Baseline), mdCell(g.Current), mdCell(g.Detail))
			}
			p("\n")
		}
	}

	if len(t.AZs) > 0 {
		p("### Availability zones\n\n| zone | acted on | recovered | min | p50 | p95 | max |\n|---|--:|--:|--:|--:|--:|--:|\n")
		for _, az := range t.AZs {
			p("| %s | %d | %s | %s | %s | %s | %s |\n", mdCell(az.AZ), az.Acted, recoveredCell(az.Recovered, az.Acted),
				az.Min, az.P50, az.P95, az.Max)
		}
		p("\n")
	}
	if len(t.Phases) > 0 {
		p("### Phases\n\n| phase | action | start | selected | acted on | selection |\n|---|---|---|--:|--:|---|\n")
		for _, ph := range t.Phases {
			acted := fmt.Sprint(ph.Acted)
			if ph.Aborted {
				acted += " (aborted)"
			}
			p("| %s | %s | %s | %d | %s | %s |\n", mdCell(ph.Name), mdCell(ph.Action), mdCell(ph.Start), ph.Selected, acted,
				mdCell(ph.SelectionRule))
		}
		p("\n")
	}
	if len(t.Waves) > 0 {
		p("### Waves\n\n| wave | start | duration | instances | acted on | recovered | health gate | p50 | p95 | max |\n")
		p("|---|--:|--:|--:|--:|--:|---|--:|--:|--:|\n")
		for _, w := range t.Waves {
			p("| %s | %s | %s | %d | %d | %s | %s | %s | %s | %s |\n", mdCell(w.Label), w.Start, w.Duration, w.Instances, w.Acted,
				recoveredCell(w.Recovered, w.Acted), mdCell(w.Gate), w.P50, w.P95, w.Max)
		}
		p("\nTimes are from the start of the run (%s).\n\n", formatTime(r.StartedAt))
	}
	if len(t.Services) > 0 {
		p("### Services\n\n| service | availability | failed probes | longest outage | latency p50 / p95 / p99 |\n|---|--:|--:|--:|--:|\n")
		for _, s := range t.Services {
			p("| %s | %s | %d of %d | %s | %s / %s / %s |\n", mdCell(s.Name), s.Availability, s.Failures, s.Probes,
				s.LongestOutage, s.P50, s.P95, s.P99)
		}
		p("\n")
	}

	if len(t.NeverRecovered) > 0 || len(t.NoDowntime) > 0 {
		p("### Instances to look at\n\n")
		for i, in := range t.NeverRecovered {
			if i == mdListLimit {
				p("- … and %d more that never recovered (report.html lists them all)\n", len(t.NeverRecovered)-mdListLimit)
				break
			}
			p("- ❌ `%s` (%s, wave %s) never recovered: acted on at %s, unhealthy for %s", in.InstanceID, mdText(in.AZ),
				mdText(in.Wave), in.ActedAt, in.Downtime)
			if in.LastProbe != "" {
				p("; last probe: %s", mdText(in.LastProbe))
			}
			p("\n")
		}
		if n := len(t.NoDowntime); n > 0 {
			p("- ⚠️ %s never seen down after the action (an outage shorter than the probe interval?), counted as recovered: %s\n",
				plural(n, "instance", "instances"), codeList(t.NoDowntime, mdListLimit))
		}
		p("\n")
	}

	p("### Fleet\n\n")
	p("- %d matched, %d eligible, %d selected: %s\n", r.Fleet.Matched, r.Fleet.Eligible, r.Fleet.Selected, mdText(r.Fleet.SelectionRule))
	if len(r.Fleet.Excluded) > 0 {
		p("- %d excluded, never touched:", len(r.Fleet.Excluded))
		for i, e := range t.Excluded {
			sep := ";"
			if i == 0 {
				sep = ""
			}
			p("%s %d %s", sep, e.Count, mdText(e.Reason))
		}
		p("\n")
	}
	for i, s := range t.Skipped {
		if i == mdListLimit {
			p("- … and %d more skipped\n", len(t.Skipped)-mdListLimit)
			break
		}
		p("- skipped in wave %s: `%s`: %s\n", mdText(s.Wave), s.InstanceID, mdText(s.Reason))
	}
	p("\n<sub>gameday %s · started %s", mdText(r.GamedayVersion), formatTime(r.StartedAt))
	if r.Account != "" {
		p(" · account %s", r.Account)
	}
	if r.Scenario.File != "" {
		p(" · scenario file `%s`", r.Scenario.File)
	}
	p(" · full report: `report.html` beside this file</sub>\n")
	return bw.Flush()
}

func statusIcon(status string) string {
	switch status {
	case StatusPassed:
		return "✅"
	case StatusFailed:
		return "❌"
	case StatusAborted:
		return "⛔"
	case StatusDryRun:
		return "🔍"
	case StatusRunning:
		return "⏳"
	}
	return "⚠️"
}

// mdText escapes text for Markdown inline use: no HTML, no table breaks.
func mdText(s string) string {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "<", "&lt;", ">", "&gt;", "*", "\\*", "`", "\\`").Replace(s)
	return s
}

// mdCell escapes text for a table cell.
func mdCell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.ReplaceAll(mdText(s), "|", "\\|")
}

func codeList(ids []string, limit int) string {
	shown := ids
	if len(ids) > limit {
		shown = ids[:limit]
	}
	parts := make([]string, len(shown))
	for i, id := range shown {
		parts[i] = "`" + id + "`"
	}
	s := strings.Join(parts, ", ")
	if len(ids) > limit {
		s += fmt.Sprintf(" and %d more", len(ids)-limit)
	}
	return s
}

func recoveredCell(recovered, acted int) string {
	if recovered < acted {
		return fmt.Sprintf("%d ❌", recovered)
	}
	return fmt.Sprint(recovered)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func signed(v float64) string {
	if v >= 0 {
		return "+" + formatScore(v)
	}
	return "-" + formatScore(-v)
}

func regionsText(r *Report) string {
	if len(r.Regions) > 1 {
		return strings.Join(r.Regions, ", ")
	}
	return r.Region
}

// actionWords says what the action did, as a past participle.
func actionWords(action string) string {
	switch action {
	case "reboot":
		return "rebooted"
	case "stop-start":
		return "stopped and started"
	case "force-stop-start":
		return "force-stopped and started"
	case "stop":
		return "stopped"
	case "phases":
		return "acted on"
	}
	return action
}

// scoreDelta is this run's score and its change from a baseline's.
func scoreDelta(s score.Score, baseline float64) string {
	if s.NotScored {
		return "nothing (not scored)"
	}
	return fmt.Sprintf("%s (%s)", formatScore(s.Value), signed(s.Value-baseline))
}
