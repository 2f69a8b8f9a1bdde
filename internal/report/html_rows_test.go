package report

import (
	"html/template"
	"math/rand/v2"
	"strings"
	"testing"
)

// The template text swimLanesHTML and instanceRowsHTML replaced, inside
// the elements that gave it its context.
const (
	refLanes = `<svg class="chart swimlane">
    {{- range .Swim.Lanes}}
    <g class="lane" data-instance="{{.ID}}" data-status="{{.Status}}" transform="translate(0,{{f .Y}})"><title>{{.Title}}</title>
      {{- if $.Swim.ShowLabels}}<text class="lane-label" x="{{f (sub $.LabelWidth 8)}}" y="{{f (sub $.Swim.BarHeight 3)}}" text-anchor="end">{{.ID}}</text>{{end}}
      <rect class="lane-bg" x="{{f $.LabelWidth}}" width="{{f $.PlotWidth}}" height="{{f $.Swim.BarHeight}}"/>
      {{- range .Segments}}<rect class="{{.Class}}" x="{{f .X}}" width="{{f .W}}" height="{{f $.Swim.BarHeight}}"/>{{end}}
      {{- if .HasAction}}<rect class="act" x="{{f (sub .ActionX 1)}}" y="-1" width="2" height="{{f (add $.Swim.BarHeight 2)}}"/>{{end}}
    </g>
    {{- end}}
</svg>`
	refRows = `<table><tbody>
      {{- range .Instances}}
        <tr><td class="mono">{{.ID}}</td><td>{{.AZ}}</td><td>{{.Wave}}</td><td><span class="pill {{.StatusClass}}">{{.Status}}</span></td><td class="num">{{.ActedAt}}</td><td class="num">{{.FirstFailure}}</td><td class="num">{{.Downtime}}</td><td class="num">{{.Recovery}}</td><td class="num">{{.Probes}}</td><td class="muted small">{{.LastProbe}}</td></tr>
      {{- end}}
</tbody></table>`
	newLanes = `<svg class="chart swimlane">
    {{- .SwimLanes}}
</svg>`
	newRows = `<table><tbody>
      {{- .InstanceRows}}
</tbody></table>`
)

// TestRowsMatchTheTemplate renders random lanes and rows, with every
// character html/template escapes, both through the template text they
// replaced and through the Go that writes them now.
func TestRowsMatchTheTemplate(t *testing.T) {
	parse := func(text string) *template.Template {
		return template.Must(template.New("t").Funcs(template.FuncMap{
			"f": f, "add": func(a, b float64) float64 { return a + b }, "sub": func(a, b float64) float64 { return a - b },
		}).Parse(text))
	}
	rng := rand.New(rand.NewPCG(8, 8))
	pieces := []string{"i-0abc", "web", " ", "+", "&", "<b>", `"`, "'", "\x00", "é", "ü→", "\xff", "1.5s", "<", ">", "—"}
	str := func() string {
		var b strings.Builder
		for range rng.IntN(6) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return b.String()
	}
	num := func() float64 { return float64(rng.IntN(20000))/7 - 100 }
	for trial := range 300 {
		v := htmlView{LabelWidth: num(), PlotWidth: num()}
		v.Swim.BarHeight, v.Swim.ShowLabels = num(), rng.IntN(2) == 0
		for range rng.IntN(5) {
			l := lane{Y: num(), ID: str(), Status: str(), Title: str(), ActionX: num(), HasAction: rng.IntN(2) == 0}
			for range rng.IntN(4) {
				l.Segments = append(l.Segments, segment{X: num(), W: num(), Class: str()})
			}
			v.Swim.Lanes = append(v.Swim.Lanes, l)
			v.Instances = append(v.Instances, instanceRow{ID: str(), AZ: str(), Wave: str(), Status: str(), StatusClass: str(),
				ActedAt: str(), FirstFailure: str(), Downtime: str(), Recovery: str(), Probes: str(), LastProbe: str()})
		}
		v.SwimLanes, v.InstanceRows = swimLanesHTML(&v), instanceRowsHTML(v.Instances)
		for _, pair := range [][2]string{{refLanes, newLanes}, {refRows, newRows}} {
			var want, got strings.Builder
			if err := parse(pair[0]).Execute(&want, v); err != nil {
				t.Fatal(err)
			}
			if err := parse(pair[1]).Execute(&got, v); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Fatalf("trial %d:\ngot  %q\nwant %q", trial, got.String(), want.String())
			}
		}
	}
}
