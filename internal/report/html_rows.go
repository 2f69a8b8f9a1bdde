package report

import (
	"html/template"
	"strings"
)

// The two parts of report.html that grow with the fleet, a lane of the
// swimlane chart and a row of the instance table per selected instance,
// are written here rather than by html/template: for 10,000 instances the
// template spent about 0.3 s on them (a reflective call per field and per
// function), most of a run's time after its last API call (make bench,
// docs/benchmarks.md). The markup and the escaping are the template's, byte
// for byte: TestRowsMatchTheTemplate renders both ways and compares.

// htmlEscape escapes as html/template does text, RCDATA (<title>) and
// quoted attribute values of plain strings: one table for all three.
var htmlEscape = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;",
	"+", "&#43;", "<", "&lt;", ">", "&gt;")

// swimLanesHTML is every lane of the swimlane chart.
func swimLanesHTML(v *htmlView) template.HTML {
	sw := &v.Swim
	bar := f(sw.BarHeight)
	label := `<text class="lane-label" x="` + f(v.LabelWidth-8) + `" y="` + f(sw.BarHeight-3) + `" text-anchor="end">`
	background := "\n      <rect class=\"lane-bg\" x=\"" + f(v.LabelWidth) + `" width="` + f(v.PlotWidth) + `" height="` + bar + `"/>`
	action := `" y="-1" width="2" height="` + f(sw.BarHeight+2) + `"/>`
	var b strings.Builder
	for _, l := range sw.Lanes {
		b.WriteString("\n    <g class=\"lane\" data-instance=\"")
		_, _ = htmlEscape.WriteString(&b, l.ID)
		b.WriteString(`" data-status="`)
		_, _ = htmlEscape.WriteString(&b, l.Status)
		b.WriteString(`" transform="translate(0,` + f(l.Y) + `)"><title>`)
		_, _ = htmlEscape.WriteString(&b, l.Title)
		b.WriteString("</title>")
		if sw.ShowLabels {
			b.WriteString(label)
			_, _ = htmlEscape.WriteString(&b, l.ID)
			b.WriteString("</text>")
		}
		b.WriteString(background)
		for _, s := range l.Segments {
			b.WriteString(`<rect class="`)
			_, _ = htmlEscape.WriteString(&b, s.Class)
			b.WriteString(`" x="` + f(s.X) + `" width="` + f(s.W) + `" height="` + bar + `"/>`)
		}
		if l.HasAction {
			b.WriteString(`<rect class="act" x="` + f(l.ActionX-1) + action)
		}
		b.WriteString("\n    </g>")
	}
	return template.HTML(b.String()) // every value above is escaped
}

// instanceRowsHTML is every row of the instance table.
func instanceRowsHTML(rows []instanceRow) template.HTML {
	var b strings.Builder
	cell := func(open, value string) {
		b.WriteString(open)
		_, _ = htmlEscape.WriteString(&b, value)
	}
	for _, r := range rows {
		cell("\n        <tr><td class=\"mono\">", r.ID)
		cell("</td><td>", r.AZ)
		cell("</td><td>", r.Wave)
		cell(`</td><td><span class="pill `, r.StatusClass)
		cell(`">`, r.Status)
		cell(`</span></td><td class="num">`, r.ActedAt)
		cell(`</td><td class="num">`, r.FirstFailure)
		cell(`</td><td class="num">`, r.Downtime)
		cell(`</td><td class="num">`, r.Recovery)
		cell(`</td><td class="num">`, r.Probes)
		cell(`</td><td class="muted small">`, r.LastProbe)
		b.WriteString("</td></tr>")
	}
	return template.HTML(b.String()) // every value above is escaped
}
