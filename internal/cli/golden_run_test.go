package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gameday/internal/report"
	"gameday/internal/sim"
)

// A fixed run: fixed fleet seed, fixed plan seed, so the same instances in
// the same waves every time. What a clock decides (times, durations, probe
// counts, flaps) is masked; everything else in report.json, junit.xml and
// summary.md must match testdata/runs/ (-update to accept a change).
func TestFixedRunMatchesGoldenReports(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 71)
	runs := t.TempDir()
	res := runCLI(t, "run", writeScenario(t, `apiVersion: gameday/v1
name: golden-run
description: Reboot a third of the opted-in workers, one AZ at a time.
target: {region: us-east-1, tags: {app: worker}}
blast_radius: {percent: 34%}
action: {type: reboot}
waves: {count: 2, order: by-az, gate_timeout: 30s}
`+webHealth+`objectives: {recover_all_within: 30s, min_score: 90}
`), "--endpoint-url", f.url, "--runs-dir", runs, "--seed", "7", "--baseline", "none")
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	rep := readOnlyReport(t, runs)
	maskClock(rep)

	var jsonOut, junitOut, markdownOut bytes.Buffer
	for _, r := range []struct {
		format string
		out    *bytes.Buffer
	}{{"json", &jsonOut}, {"junit", &junitOut}, {"markdown", &markdownOut}} {
		if err := report.Render(r.out, rep, r.format); err != nil {
			t.Fatalf("render %s: %v", r.format, err)
		}
	}
	for name, got := range map[string][]byte{
		"report.json": jsonOut.Bytes(), "junit.xml": junitOut.Bytes(), "summary.md": markdownOut.Bytes(),
	} {
		golden := filepath.Join("..", "..", "testdata", "runs", "golden-run", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (-update to accept):\n--- got\n%s\n--- want\n%s", name, golden, got, want)
		}
	}
}

// maskClock replaces what depends on timing with fixed values and keeps
// what the plan and the outcome decide: which instances, which waves, which
// objectives were met.
func maskClock(r *report.Report) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fixed := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		return &t0
	}
	zero := func(p *float64) *float64 {
		if p == nil {
			return nil
		}
		v := 0.0
		return &v
	}
	r.RunID, r.Endpoint, r.GamedayVersion, r.Scenario.File = "RUN-ID", "http://127.0.0.1:PORT", "dev", "scenario.yaml"
	r.StartedAt, r.EndedAt, r.Seconds = t0, t0, 0
	for i := range r.Waves {
		w := &r.Waves[i]
		w.StartedAt, w.EndedAt, w.GateSeconds, w.Recovery = t0, t0, 0, report.Recovery{Count: w.Recovery.Count}
	}
	for i := range r.Instances {
		in := &r.Instances[i]
		in.ActedAt, in.DownAt, in.RecoveredAt = fixed(in.ActedAt), fixed(in.DownAt), fixed(in.RecoveredAt)
		in.RecoverySeconds, in.FirstFailureSeconds, in.DowntimeSeconds = zero(in.RecoverySeconds), zero(in.FirstFailureSeconds), zero(in.DowntimeSeconds)
		in.Probes, in.FailedProbes, in.Transitions, in.NoDowntimeObserved = 0, 0, nil, false
		in.DownAt, in.FirstFailureSeconds = nil, nil // a reboot shorter than a probe interval is never seen down
	}
	for i := range r.PerAZ {
		r.PerAZ[i].Recovery = report.Recovery{Count: r.PerAZ[i].Recovery.Count}
	}
	r.Recovery = report.Recovery{Count: r.Recovery.Count}
	for i := range r.Score.Objectives {
		o := &r.Score.Objectives[i]
		if o.Name != "min_score" {
			o.Measured, o.MeasuredValue = "(masked)", nil
		}
	}
}
