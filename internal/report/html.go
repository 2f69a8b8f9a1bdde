package report

import (
	"bufio"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
)

// report.html is one self-contained file: inline CSS, inline SVG charts
// computed in Go (svg.go), no script, no font, image or style sheet from
// anywhere else. It opens from a CI artifact, an e-mail or a laptop with no
// network, and prints.

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report.html").Funcs(template.FuncMap{
	"f":     f,
	"add":   func(a, b float64) float64 { return a + b },
	"sub":   func(a, b float64) float64 { return a - b },
	"max":   func(a, b float64) float64 { return max(a, b) },
	"utc":   formatTime,
	"score": formatScore,
}).Parse(htmlSource))

type htmlView struct {
	R              *Report
	T              tables
	StatusClass    string
	StatusTitle    string
	StatusSentence string
	Score          string
	NotScored      bool
	Facts          []fact
	Swim           swimlane
	Services       []serviceChart
	Hist           histogram
	Instances      []instanceRow
	SwimLanes      template.HTML // swimLanesHTML
	InstanceRows   template.HTML // instanceRowsHTML
	BaselineDelta  string
	ActionWords    string
	RecoveryLine   string

	ChartWidth, LabelWidth, PlotWidth, PlotRight float64
}

type fact struct{ Label, Value string }

type instanceRow struct {
	ID, AZ, Wave, Status, StatusClass, ActedAt, FirstFailure, Downtime, Recovery, Probes, LastProbe string
}

// WriteHTML writes report.html.
func WriteHTML(w io.Writer, r *Report) error {
	v := htmlView{R: r, T: buildTables(r), StatusClass: statusClass(r.Status), StatusTitle: statusTitle(r.Status),
		StatusSentence: statusSentence(r), NotScored: r.Score.NotScored, ActionWords: actionWords(r.Scenario.Action),
		ChartWidth: chartWidth, LabelWidth: labelWidth, PlotWidth: plotWidth, PlotRight: labelWidth + plotWidth}
	v.Score = formatScore(r.Score.Value)
	s := runScale(r)
	v.Swim = buildSwimlane(r, s)
	v.Services = buildServiceCharts(r, s)
	v.Hist = buildHistogram(r)
	v.Facts = htmlFacts(r)
	if r.Baseline != nil {
		v.BaselineDelta = signed(r.Score.Value - r.Baseline.Score)
	}
	if rec := r.Recovery; rec.Count > 0 {
		v.RecoveryLine = fmt.Sprintf("min %s · p50 %s · p95 %s · max %s", dur(rec.MinSeconds), dur(rec.P50Seconds),
			dur(rec.P95Seconds), dur(rec.MaxSeconds))
	}
	for _, in := range r.Instances {
		v.Instances = append(v.Instances, newInstanceRow(r, in))
	}
	v.SwimLanes, v.InstanceRows = swimLanesHTML(&v), instanceRowsHTML(v.Instances)
	bw := bufio.NewWriter(w)
	if err := htmlTemplate.Execute(bw, v); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	return bw.Flush()
}

func statusClass(status string) string {
	switch status {
	case StatusPassed, StatusFailed, StatusAborted, StatusRunning:
		return status
	case StatusDryRun:
		return "dryrun"
	}
	return "error"
}

func htmlFacts(r *Report) []fact {
	facts := []fact{
		{"run", r.RunID},
		{"started", formatTime(r.StartedAt)},
		{"duration", clock(secondsDuration(r.Seconds))},
		{"action", r.Scenario.Action},
		{"region", regionsText(r)},
	}
	if r.Account != "" {
		facts = append(facts, fact{"account", r.Account})
	}
	facts = append(facts, fact{"seed", fmt.Sprint(r.Seed)})
	if r.Scenario.File != "" {
		facts = append(facts, fact{"scenario file", r.Scenario.File})
	}
	if r.Endpoint != "" {
		facts = append(facts, fact{"endpoint", r.Endpoint})
	}
	facts = append(facts, fact{"gameday", r.GamedayVersion})
	out := facts[:0]
	for _, f := range facts {
		if f.Value != "" {
			out = append(out, f)
		}
	}
	return out
}

func newInstanceRow(r *Report, in Instance) instanceRow {
	row := instanceRow{ID: in.InstanceID, AZ: in.AZ, Wave: waveLabel(in.Phase, in.Wave), ActedAt: "-",
		FirstFailure: durPtr(in.FirstFailureSeconds), Downtime: durPtr(in.DowntimeSeconds), Recovery: durPtr(in.RecoverySeconds),
		Probes: "-", LastProbe: in.LastProbe}
	if in.ActedAt != nil {
		row.ActedAt = offset(r.StartedAt, *in.ActedAt)
	}
	if in.Probes > 0 {
		row.Probes = fmt.Sprintf("%d / %d", in.FailedProbes, in.Probes)
	}
	status, _ := laneStatus(r, in)
	row.StatusClass = status
	row.Status = map[string]string{
		"recovered":   "recovered",
		"down":        "never recovered",
		"no-downtime": "no downtime seen",
		"not-acted":   "not acted on",
		"not-probed":  "not probed",
		"stopped":     "left stopped",
	}[status]
	if row.Status == "" {
		row.Status = strings.ReplaceAll(status, "-", " ")
	}
	return row
}
