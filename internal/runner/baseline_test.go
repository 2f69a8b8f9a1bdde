package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gameday/internal/report"
)

func writeRun(t *testing.T, dir, id, scenarioName, status string, started time.Time) {
	t.Helper()
	runDir := filepath.Join(dir, id)
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	rep := &report.Report{RunID: id, Scenario: report.Scenario{Name: scenarioName}, Status: status, StartedAt: started}
	if _, err := report.WriteJSON(runDir, rep); err != nil {
		t.Fatal(err)
	}
}

func TestFindBaseline(t *testing.T) {
	dir := t.TempDir()
	writeRun(t, dir, "r1", "demo", report.StatusPassed, t0)
	writeRun(t, dir, "r2", "demo", report.StatusFailed, t0.Add(time.Hour))
	writeRun(t, dir, "r3", "demo", report.StatusAborted, t0.Add(2*time.Hour))
	writeRun(t, dir, "r4", "demo", report.StatusDryRun, t0.Add(3*time.Hour))
	writeRun(t, dir, "r5", "other", report.StatusPassed, t0.Add(4*time.Hour))
	if err := os.MkdirAll(filepath.Join(dir, "crashed"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, scenario, spec string
		want                 string // run id, "" for none
		wantErr              string
	}{
		{"latest completed run of the scenario", "demo", "", "r2", ""},
		{"aborted and dry runs are skipped", "demo", "", "r2", ""},
		{"other scenario has its own", "other", "", "r5", ""},
		{"no earlier run", "fresh", "", "", ""},
		{"none", "demo", "none", "", ""},
		{"named run", "demo", "r1", "r1", ""},
		{"named aborted run is allowed", "demo", "r3", "r3", ""},
		{"unknown run", "demo", "nope", "", "no report.json"},
		{"run of another scenario", "demo", "r5", "", `ran scenario "other", not "demo"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := FindBaseline(dir, c.scenario, c.spec)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want it to say %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			gotID := ""
			if got != nil {
				gotID = got.RunID
			}
			if gotID != c.want {
				t.Errorf("baseline = %q, want %q", gotID, c.want)
			}
		})
	}
}

func TestFindBaselineWithoutRunsDir(t *testing.T) {
	got, err := FindBaseline(filepath.Join(t.TempDir(), "missing"), "demo", "")
	if err != nil || got != nil {
		t.Errorf("FindBaseline on a missing directory = %v, %v; want nothing and no error", got, err)
	}
}
