package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gameday/internal/score"
)

// testdata/fixture.json is a hand-built run: 2 AZs, 2 waves, 8 instances
// (one never recovered, one never seen down), one service with an outage,
// two objectives (one missed) and a baseline with one regression. Its
// renderings are the goldens under testdata/golden/; `go test
// ./internal/report -update` rewrites them after a deliberate change.

func loadFixture(t *testing.T) *Report {
	t.Helper()
	r, err := ReadJSON(filepath.Join("testdata", "fixture.json"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fixtureArtifacts are the paths the terminal summary of the fixture shows.
func fixtureArtifacts(r *Report) Artifacts {
	dir := filepath.Join("runs", r.RunID)
	return Artifacts{JSON: filepath.Join(dir, JSONFile), JUnit: filepath.Join(dir, JUnitFile),
		Markdown: filepath.Join(dir, MarkdownFile), HTML: filepath.Join(dir, HTMLFile)}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs from the golden file at line %d (run with -update to accept):\n got: %q\nwant: %q", golden, i+1, g, w)
			}
		}
		t.Fatalf("%s differs from the golden file (run with -update to accept)", golden)
	}
}

func TestGoldenRenderings(t *testing.T) {
	r := loadFixture(t)
	tests := []struct {
		golden string
		render func(*bytes.Buffer) error
	}{
		{"report.json", func(b *bytes.Buffer) error { return Render(b, r, "json") }},
		{"junit.xml", func(b *bytes.Buffer) error { return WriteJUnit(b, r) }},
		{"summary.md", func(b *bytes.Buffer) error { return WriteMarkdown(b, r) }},
		{"report.html", func(b *bytes.Buffer) error { return WriteHTML(b, r) }},
		{"summary.txt", func(b *bytes.Buffer) error { return WriteSummaryArtifacts(b, r, fixtureArtifacts(r)) }},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			var first, second bytes.Buffer
			if err := tt.render(&first); err != nil {
				t.Fatal(err)
			}
			if err := tt.render(&second); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first.Bytes(), second.Bytes()) {
				t.Fatal("two renderings of the same report differ")
			}
			checkGolden(t, tt.golden, first.Bytes())
		})
	}
}

// The golden report.json is the fixture itself: reading and writing a
// report loses nothing and renames nothing (schema_version 1).
func TestGoldenJSONIsTheFixture(t *testing.T) {
	fixture, err := os.ReadFile(filepath.Join("testdata", "fixture.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path, err := WriteJSON(dir, loadFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, fixture) {
		t.Errorf("report.json written from the fixture differs from testdata/fixture.json: a field was renamed or lost")
	}
}

type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, r *Report) junitDoc {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJUnit(&b, r); err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v\n%s", err, b.String())
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("%d test suites, want 1", len(doc.Suites))
	}
	return doc
}

func TestJUnitCases(t *testing.T) {
	t.Run("one case per objective, a failure for the missed one", func(t *testing.T) {
		doc := parseJUnit(t, loadFixture(t))
		s := doc.Suites[0]
		if s.Name != "az-rolling-reboot" || doc.Tests != 2 || doc.Failures != 1 || doc.Errors != 0 {
			t.Fatalf("suite %q tests %d failures %d errors %d, want az-rolling-reboot 2 1 0", s.Name, doc.Tests, doc.Failures, doc.Errors)
		}
		if s.Cases[0].Name != "availability" || s.Cases[0].Failure != nil {
			t.Errorf("case 1 %+v, want availability passing", s.Cases[0])
		}
		c := s.Cases[1]
		if c.Name != "recover_all_within" || c.Failure == nil ||
			c.Failure.Message != "recover_all_within missed: measured 1 of 8 instances never recovered, target 3m0s" {
			t.Errorf("case 2 %+v, want recover_all_within failing with measured vs target", c)
		}
	})
	t.Run("no objectives: one passing case", func(t *testing.T) {
		r := loadFixture(t)
		r.Status, r.Score.Objectives, r.Score.NoObjectives, r.Score.Met = StatusPassed, nil, true, true
		doc := parseJUnit(t, r)
		if cs := doc.Suites[0].Cases; len(cs) != 1 || cs[0].Name != "run completed" || doc.Failures+doc.Errors != 0 {
			t.Errorf("cases %+v, want one passing \"run completed\"", cs)
		}
	})
	t.Run("aborted: an error carrying the reason, objectives skipped", func(t *testing.T) {
		r := loadFixture(t)
		r.Status, r.Reason = StatusAborted, "wave 2: health gate timed out after 2m30s with 2 instances unhealthy"
		doc := parseJUnit(t, r)
		cs := doc.Suites[0].Cases
		if len(cs) != 3 || cs[0].Name != "run" || cs[0].Error == nil || !strings.Contains(cs[0].Error.Message, r.Reason) {
			t.Fatalf("cases %+v, want an erroring \"run\" with the reason first", cs)
		}
		if doc.Errors != 1 || doc.Skipped != 2 || doc.Failures != 0 || cs[1].Skipped == nil || cs[2].Skipped == nil {
			t.Errorf("errors %d skipped %d failures %d, want 1 2 0", doc.Errors, doc.Skipped, doc.Failures)
		}
		if !strings.Contains(cs[0].Error.Text, "never recovered: i-0a1b2c3d4e5f60007") {
			t.Errorf("the error's body lacks the story of the run:\n%s", cs[0].Error.Text)
		}
	})
	t.Run("error and unfinished runs error too", func(t *testing.T) {
		for _, status := range []string{StatusError, StatusRunning} {
			r := loadFixture(t)
			r.Status, r.Reason = status, "ec2: reboot 4 instances in us-east-1: UnauthorizedOperation"
			if doc := parseJUnit(t, r); doc.Errors != 1 || doc.Suites[0].Cases[0].Name != "run" {
				t.Errorf("%s: %d errors, want 1 on case \"run\"", status, doc.Errors)
			}
		}
	})
	t.Run("dry run: skipped", func(t *testing.T) {
		r := loadFixture(t)
		r.Status = StatusDryRun
		if doc := parseJUnit(t, r); doc.Skipped != 1 || doc.Tests != 1 {
			t.Errorf("dry run: tests %d skipped %d, want 1 1", doc.Tests, doc.Skipped)
		}
	})
	t.Run("names with markup stay text", func(t *testing.T) {
		r := loadFixture(t)
		r.Scenario.Name = `a<b>&"c"`
		if doc := parseJUnit(t, r); doc.Suites[0].Name != r.Scenario.Name {
			t.Errorf("suite name %q, want %q", doc.Suites[0].Name, r.Scenario.Name)
		}
	})
}

func TestMarkdownTablesAreWellFormed(t *testing.T) {
	r := loadFixture(t)
	r.Services[0].Name = "web|api" // a pipe must not split a cell
	var b bytes.Buffer
	if err := WriteMarkdown(&b, r); err != nil {
		t.Fatal(err)
	}
	cells := func(line string) int { return len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(line, -1)) }
	lines := strings.Split(b.String(), "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "|") {
			continue
		}
		want := cells(lines[i])
		for ; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
			if got := cells(lines[i]); got != want {
				t.Errorf("line %d has %d cell separators, its table's header %d:\n%s", i+1, got, want, lines[i])
			}
		}
	}
	for _, want := range []string{"## ❌ FAILED: az-rolling-reboot", "| ❌ | recover_all_within | 3m0s |", "| ✅ | availability |",
		"### Compared with baseline", "`i-0a1b2c3d4e5f60007`", "web\\|api", "3 excluded, never touched"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary.md lacks %q", want)
		}
	}
}

var externalRef = regexp.MustCompile(`(?i)(src|href|xlink:href|action)\s*=\s*["']?\s*(https?:|//|data:|file:)|@import|url\(\s*["']?(https?:|//)`)

func renderHTML(t *testing.T, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestHTMLIsSelfContained(t *testing.T) {
	page := renderHTML(t, loadFixture(t))
	if m := externalRef.FindString(page); m != "" {
		t.Errorf("report.html refers to something outside itself: %q", m)
	}
	for _, banned := range []string{"<script", "<link", "<img", "<iframe", "<object", "<embed"} {
		if strings.Contains(strings.ToLower(page), banned) {
			t.Errorf("report.html contains %s", banned)
		}
	}
	// The only URL in the page is the service's, shown as text.
	for _, m := range regexp.MustCompile(`https?://[^\s<"]+`).FindAllString(page, -1) {
		if m != "https://staging.example.com/health" {
			t.Errorf("unexpected URL in report.html: %s", m)
		}
	}
}

func TestHTMLHasOneLanePerInstanceAndEveryPart(t *testing.T) {
	r := loadFixture(t)
	page := renderHTML(t, r)
	if got := strings.Count(page, `class="lane"`); got != len(r.Instances) {
		t.Errorf("%d lanes, want %d", got, len(r.Instances))
	}
	for _, in := range r.Instances {
		if !strings.Contains(page, fmt.Sprintf(`data-instance="%s"`, in.InstanceID)) {
			t.Errorf("no lane for %s", in.InstanceID)
		}
	}
	for _, want := range []string{`id="objectives"`, `id="score"`, `id="baseline"`, `id="timeline"`, `id="services"`,
		`id="recovery"`, `id="per-az"`, `id="waves"`, `id="never-recovered"`, `class="chart histogram"`,
		`data-status="down"`, `data-status="no-downtime"`, `class="wave-label"`, "us-east-1a · 4 instances", "wave 2 · 2 instances"} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %s", want)
		}
	}
}

func TestHTMLEscapesWhatTheRunRecorded(t *testing.T) {
	r := loadFixture(t)
	r.Scenario.Name = `<script>alert(1)</script>`
	r.Instances[6].LastProbe = `<img src=x onerror=alert(1)>`
	page := renderHTML(t, r)
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
		t.Error("report.html does not escape text from the run")
	}
}

// bigReport is a fleet of n instances in 3 AZs and 10 waves.
func bigReport(n int) *Report {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	r := &Report{SchemaVersion: SchemaVersion, RunID: "big", Scenario: Scenario{Name: "big", Action: "reboot"}, Status: StatusPassed,
		StartedAt: t0, EndedAt: t0.Add(time.Hour), Seconds: 3600, Score: score.Score{Value: 100, Met: true, NoObjectives: true}}
	azs := []string{"eu-west-1a", "eu-west-1b", "eu-west-1c"}
	for w := 1; w <= 10; w++ {
		r.Waves = append(r.Waves, Wave{Index: w, StartedAt: t0.Add(time.Duration(w*5) * time.Minute),
			EndedAt: t0.Add(time.Duration(w*5+4) * time.Minute), Gate: "passed", GateSeconds: 240})
	}
	var rec []float64
	for i := 0; i < n; i++ {
		w := i%10 + 1
		acted := t0.Add(time.Duration(w*5) * time.Minute)
		down, up := acted.Add(3*time.Second), acted.Add(time.Duration(40+i%90)*time.Second)
		secs := up.Sub(acted).Seconds()
		rec = append(rec, secs)
		r.Instances = append(r.Instances, Instance{InstanceID: fmt.Sprintf("i-%017x", i), AZ: azs[i%3], Wave: w, Acted: true,
			ActedAt: &acted, DownAt: &down, RecoveredAt: &up, Recovered: true, RecoverySeconds: &secs, Probes: 100,
			Transitions: []Transition{{At: t0, Healthy: true}, {At: down}, {At: up, Healthy: true}}})
		r.Waves[w-1].InstanceIDs = append(r.Waves[w-1].InstanceIDs, fmt.Sprintf("i-%017x", i))
	}
	r.Recovery = recoveryOf(rec)
	r.Fleet = Fleet{Matched: n, Eligible: n, Selected: n, SelectionRule: "all"}
	return r
}

func TestHTMLScalesToAThousandInstances(t *testing.T) {
	r := bigReport(1000)
	start := time.Now()
	page := renderHTML(t, r)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("rendering 1,000 instances took %s", d)
	}
	if got := strings.Count(page, `class="lane"`); got != 1000 {
		t.Errorf("%d lanes, want 1000", got)
	}
	if len(page) > 3<<20 {
		t.Errorf("report.html is %d bytes for 1,000 instances, want under 3 MiB", len(page))
	}
	sw := buildSwimlane(r, runScale(r))
	if sw.LaneStep > 5 || sw.Height < 1000*sw.LaneStep || sw.ShowLabels {
		t.Errorf("1,000 lanes: step %v, height %v, labels %v; want thin lanes, a tall chart, no labels", sw.LaneStep, sw.Height, sw.ShowLabels)
	}
	if small := buildSwimlane(loadFixture(t), runScale(loadFixture(t))); !small.ShowLabels || small.Height >= sw.Height {
		t.Errorf("8 lanes: labels %v, height %v", small.ShowLabels, small.Height)
	}
}

func TestSegmentsFollowTransitions(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := timeScale{start: t0, end: t0.Add(100 * time.Second)}
	segs := segments([]Transition{{At: t0.Add(10 * time.Second), Healthy: true}, {At: t0.Add(50 * time.Second)},
		{At: t0.Add(50*time.Second + time.Millisecond), Healthy: true}}, s)
	var classes []string
	for _, g := range segs {
		classes = append(classes, g.Class)
	}
	if got := strings.Join(classes, " "); got != "seg-unknown seg-up seg-down seg-up" {
		t.Fatalf("segments %s, want unknown, up, down, up", got)
	}
	if segs[2].W < 1 {
		t.Errorf("a blip is %v wide, want at least a pixel", segs[2].W)
	}
	if end := segs[3].X + segs[3].W; end < labelWidth+plotWidth-0.01 {
		t.Errorf("the last segment ends at %v, want the end of the plot %v", end, labelWidth+plotWidth)
	}
	if got := segments(nil, s); len(got) != 1 || got[0].Class != "seg-unknown" {
		t.Errorf("no transitions: %+v, want one unknown segment", got)
	}
}

func TestWriteArtifacts(t *testing.T) {
	dir := t.TempDir()
	r := loadFixture(t)
	a, err := WriteArtifacts(dir, r)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, JSONFile), filepath.Join(dir, JUnitFile), filepath.Join(dir, MarkdownFile), filepath.Join(dir, HTMLFile)}
	if got := a.Paths(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("paths %v, want %v", got, want)
	}
	for _, p := range want {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("%d entries in the run directory, want the 4 artifacts and no temporary file", len(entries))
	}
	back, err := ReadJSON(a.JSON)
	if err != nil || back.RunID != r.RunID {
		t.Errorf("report.json read back: %v", err)
	}
	var b bytes.Buffer
	if err := WriteSummaryArtifacts(&b, r, a); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, a.HTML) {
		t.Errorf("the summary ends with %q, want the path of report.html", last)
	}
	if !strings.Contains(lines[len(lines)-2], "availability") || !strings.Contains(lines[len(lines)-3], "recovery") {
		t.Errorf("the summary does not end with the score breakdown:\n%s", b.String())
	}
}

func TestRenderFormats(t *testing.T) {
	r := loadFixture(t)
	for _, format := range Formats {
		var b bytes.Buffer
		if err := Render(&b, r, format); err != nil || b.Len() == 0 {
			t.Errorf("%s: %v, %d bytes", format, err, b.Len())
		}
	}
	if err := Render(&bytes.Buffer{}, r, "pdf"); err == nil || !strings.Contains(err.Error(), "html, junit") {
		t.Errorf("unknown format: %v, want an error listing the formats", err)
	}
}

// Older reports lack per-wave and per-AZ recovery numbers: the tables
// count them from the instances.
func TestTablesDeriveMissingWaveNumbers(t *testing.T) {
	r := loadFixture(t)
	for i := range r.Waves {
		r.Waves[i].Acted, r.Waves[i].Recovered, r.Waves[i].Recovery = 0, 0, Recovery{}
	}
	for i := range r.PerAZ {
		r.PerAZ[i].Recovery = Recovery{}
	}
	tb := buildTables(r)
	if w := tb.Waves[1]; w.Acted != 4 || w.Recovered != 3 || w.P50 != "1m5s" || w.Max != "3m20s" {
		t.Errorf("wave 2 %+v, want 4 acted, 3 recovered, p50 1m5s, max 3m20s", w)
	}
	if az := tb.AZs[1]; az.P95 != "3m20s" {
		t.Errorf("us-east-1b %+v, want p95 3m20s", az)
	}
}
