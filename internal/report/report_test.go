package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"gameday/internal/score"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func fixedReport() *Report {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	secs := 3.25
	return &Report{
		SchemaVersion: SchemaVersion, RunID: "20261122T100000Z-demo-abcd", GamedayVersion: "v1.2.3",
		Scenario: Scenario{Name: "demo", File: "scenarios/demo.yaml", Action: "reboot"},
		Seed:     42, Region: "us-east-1", Account: "123456789012", Status: StatusFailed,
		StartedAt: at, EndedAt: at.Add(20 * time.Second), Seconds: 20,
		Fleet: Fleet{Matched: 10, Eligible: 8, Selected: 4, SelectionRule: "50% of 8 eligible, rounded down = 4",
			Excluded: []Exclusion{
				{InstanceID: "i-1", AZ: "us-east-1a", Reason: "not opted in: tag gameday=opt-in is missing"},
				{InstanceID: "i-2", AZ: "us-east-1b", Reason: "not opted in: tag gameday=opt-in is missing"},
			}},
		Waves:     []Wave{{Index: 1, InstanceIDs: []string{"i-3", "i-4"}, StartedAt: at, EndedAt: at.Add(5 * time.Second), Gate: "passed", GateSeconds: 5}},
		Instances: []Instance{{InstanceID: "i-3", AZ: "us-east-1a", Wave: 1, Acted: true, ActedAt: &at, Recovered: true, RecoverySeconds: &secs, Probes: 9}},
		PerAZ:     []AZSummary{{AZ: "us-east-1a", Acted: 3, Recovered: 3}, {AZ: "us-east-1b", Acted: 1, Recovered: 0}},
		Recovery:  Recovery{Count: 3, MinSeconds: 2.5, P50Seconds: 3.25, P95Seconds: 71.04, MaxSeconds: 71.04},
		Score: score.Score{Value: 75, Met: false,
			Parts:      []score.Part{{Name: "recovery", Weight: 1, Value: 75, Detail: "3 of 4 instances recovered within 1m0s"}},
			Objectives: []score.ObjectiveResult{{Name: "recover_all_within", Target: "1m0s", Measured: "1 of 4 instances never recovered"}}},
	}
}

func TestWriteSummaryGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSummary(&buf, fixedReport(), "runs/x/report.json"); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "summary.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != string(want) {
		t.Errorf("summary differs from %s (run with -update to accept):\n--- got\n%s--- want\n%s", golden, got, want)
	}
}

func TestWriteJSONRoundTripsAndReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	first := fixedReport()
	first.Status = StatusRunning
	if _, err := WriteJSON(dir, first); err != nil {
		t.Fatal(err)
	}
	path, err := WriteJSON(dir, fixedReport())
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, fixedReport()) {
		t.Errorf("round trip changed the report:\n got %+v\nwant %+v", got, fixedReport())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("run directory holds %d entries, want only report.json (no temp files left)", len(entries))
	}
}
