package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gameday/internal/report"
)

// fixtureRun copies the report package's hand-built report.json into
// runs/<id>/ and returns its bytes.
func fixtureRun(t *testing.T, runs, id string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "report", "testdata", "fixture.json"))
	if err != nil {
		t.Fatal(err)
	}
	if id != "20261122T100000Z-az-rolling-reboot-4f2a" {
		data = bytes.ReplaceAll(data, []byte("20261122T100000Z-az-rolling-reboot-4f2a"), []byte(id))
	}
	writeReport(t, runs, id, string(data))
	return data
}

func TestReportRewritesTheArtifactsAndLeavesReportJSON(t *testing.T) {
	t.Parallel()
	runs := t.TempDir()
	const id = "20261122T100000Z-az-rolling-reboot-4f2a"
	original := fixtureRun(t, runs, id)

	res := runCLI(t, "report", id, "--runs-dir", runs)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	dir := filepath.Join(runs, id)
	want := []string{filepath.Join(dir, "report.json"), filepath.Join(dir, "junit.xml"), filepath.Join(dir, "summary.md"),
		filepath.Join(dir, "report.html")}
	if got := strings.Fields(res.stdout); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("stdout %q, want the four paths %q", res.stdout, want)
	}
	for _, p := range want[1:] {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	if after, _ := os.ReadFile(want[0]); !bytes.Equal(after, original) {
		t.Error("gameday report rewrote report.json")
	}
	page, _ := os.ReadFile(want[3])
	if n := strings.Count(string(page), `class="lane"`); n != 8 {
		t.Errorf("report.html has %d lanes, want 8", n)
	}
}

func TestReportWritesOneFormatToStdout(t *testing.T) {
	t.Parallel()
	runs := t.TempDir()
	const id = "20261122T100000Z-az-rolling-reboot-4f2a"
	fixtureRun(t, runs, id)
	checks := map[string]func(string) bool{
		"html": func(s string) bool { return strings.HasPrefix(s, "<!DOCTYPE html>") && strings.Contains(s, "</html>") },
		"junit": func(s string) bool {
			return xml.Unmarshal([]byte(s), new(struct{})) == nil && strings.Contains(s, "<testsuites")
		},
		"markdown": func(s string) bool { return strings.HasPrefix(s, "## ❌ FAILED: az-rolling-reboot") },
		"json": func(s string) bool {
			var r report.Report
			return json.Unmarshal([]byte(s), &r) == nil && r.RunID == id && len(r.Instances) == 8
		},
		"text": func(s string) bool {
			return strings.Contains(s, "Summary of run "+id) && strings.Contains(s, "recovery      75 (weight 1)")
		},
		"HTML": func(s string) bool { return strings.HasPrefix(s, "<!DOCTYPE html>") },
	}
	for format, ok := range checks {
		res := runCLI(t, "report", id, "--runs-dir", runs, "--format", format)
		if res.code != 0 || !ok(res.stdout) {
			t.Errorf("--format %s: exit %d, stdout:\n%.400s\nstderr:\n%s", format, res.code, res.stdout, res.stderr)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(runs, id)); len(entries) != 1 {
		t.Errorf("a single format wrote files into the run directory: %d entries", len(entries))
	}
}

func TestReportLatest(t *testing.T) {
	t.Parallel()
	runs := t.TempDir()
	fixtureRun(t, runs, "b-older-name-but-newer")
	older := strings.Replace(string(fixtureRun(t, runs, "c-newer-name-but-older")), `"started_at": "2026-11-22T10:00:00Z"`,
		`"started_at": "2026-11-01T10:00:00Z"`, 1)
	writeReport(t, runs, "c-newer-name-but-older", older)
	res := runCLI(t, "report", "latest", "--runs-dir", runs, "--format", "json")
	if res.code != 0 || !strings.Contains(res.stdout, `"run_id": "b-older-name-but-newer"`) {
		t.Errorf("latest: exit %d, want the run that started last\n%.300s\n%s", res.code, res.stdout, res.stderr)
	}
}

func TestReportErrors(t *testing.T) {
	t.Parallel()
	runs := t.TempDir()
	fixtureRun(t, runs, "20261122T100000Z-a")
	fixtureRun(t, runs, "20261123T100000Z-b")
	writeReport(t, runs, "20261124T100000Z-torn", `{"schema_version":1,`)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown run lists the known ones", []string{"report", "nope", "--runs-dir", runs},
			[]string{"no run nope", "20261124T100000Z-torn, 20261123T100000Z-b, 20261122T100000Z-a"}},
		{"bad format", []string{"report", "20261122T100000Z-a", "--runs-dir", runs, "--format", "pdf"},
			[]string{`--format "pdf"`, "all, html, junit, markdown, json, text"}},
		{"a path is not a run id", []string{"report", "../x", "--runs-dir", runs}, []string{`run id "../x"`}},
		{"no runs at all", []string{"report", "latest", "--runs-dir", filepath.Join(runs, "none")}, []string{"no run with a report.json", "none"}},
		{"a torn report.json", []string{"report", "20261124T100000Z-torn", "--runs-dir", runs}, []string{"report 20261124T100000Z-torn"}},
		{"no run id", []string{"report", "--runs-dir", runs}, []string{"accepts 1 arg"}},
	}
	for _, tt := range tests {
		res := runCLI(t, tt.args...)
		if res.code != ExitInvalid {
			t.Errorf("%s: exit %d, want %d\n%s", tt.name, res.code, ExitInvalid, res.stderr)
		}
		for _, w := range tt.want {
			if !strings.Contains(res.stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tt.name, w, res.stderr)
			}
		}
	}
}
