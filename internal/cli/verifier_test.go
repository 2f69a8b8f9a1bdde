package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gameday/internal/report"
	"gameday/internal/sim"
)

func serviceURL(t *testing.T, s *sim.Sim, name string) string {
	t.Helper()
	for _, sv := range s.Services() {
		if sv.Name == name {
			return sv.URL
		}
	}
	t.Fatalf("the simulated fleet has no service %s", name)
	return ""
}

// Rebooting the database primary is over in well under a second, yet the
// database stays down until its failover (5 s in the demo fleet) promotes
// a replica: every instance recovers fast, and still the users saw an
// outage. The availability figure must show it and the objective fail.
func TestPrimaryFailoverShowsInAvailabilityAndFailsTheObjective(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 61)
	db, storefront := serviceURL(t, f.sim, "db"), serviceURL(t, f.sim, "storefront")
	runs := t.TempDir()
	res := runCLI(t, "run", writeScenario(t, `apiVersion: gameday/v1
name: db-primary-reboot
target: {region: us-east-1, tags: {app: db, Name: db-01}}
blast_radius: {all: true}
action: {type: reboot}
waves: {count: 1, gate_timeout: 30s}
verify:
  instance: {url: "http://{{.PrivateIP}}:8080/healthz", interval: 100ms}
  services:
    - {name: db, url: "`+db+`", interval: 100ms}
    - {name: storefront, url: "`+storefront+`", interval: 100ms}
  observe_after: 7s
objectives:
  recover_all_within: 30s
  availability: 99%
`), "--endpoint-url", f.url, "--runs-dir", runs, "--baseline", "none")
	if res.code != ExitMissed {
		t.Fatalf("exit %d, want %d (objective missed)\n%s\n%s", res.code, ExitMissed, res.stdout, res.stderr)
	}
	rep := readOnlyReport(t, runs)
	verdicts := map[string]bool{}
	for _, o := range rep.Score.Objectives {
		verdicts[o.Name] = o.Met
	}
	if !verdicts["recover_all_within"] || verdicts["availability"] {
		t.Errorf("objectives %+v: want recover_all_within met (the host came back) and availability missed", rep.Score.Objectives)
	}
	for _, name := range []string{"db", "storefront"} {
		svc := findService(t, rep, name)
		// The failover takes 5 s; probes every 100 ms see most of it.
		if svc.LongestOutageSeconds < 4 || svc.LongestOutageSeconds > 15 {
			t.Errorf("%s longest outage %.1fs, want about the 5 s failover", name, svc.LongestOutageSeconds)
		}
		if svc.Availability >= 99 || svc.Failures == 0 {
			t.Errorf("%s availability %.2f%% with %d failed probes, want the outage counted", name, svc.Availability, svc.Failures)
		}
		if n := len(svc.Transitions); n < 3 || svc.Transitions[n-1].Healthy != true {
			t.Errorf("%s transitions %+v, want up, down, and up again after the failover", name, svc.Transitions)
		}
	}
	if !strings.Contains(res.stdout, "availability") {
		t.Errorf("the summary does not mention availability:\n%s", res.stdout)
	}
}

func findService(t *testing.T, rep *report.Report, name string) report.Service {
	t.Helper()
	for _, s := range rep.Services {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("report has no service %s: %+v", name, rep.Services)
	return report.Service{}
}

// The second run of a scenario is compared with the first: a fleet that
// now takes seconds longer to come back is flagged as a regression.
func TestSecondRunIsComparedWithTheFirst(t *testing.T) {
	t.Parallel()
	runs := t.TempDir()
	scenarioText := `apiVersion: gameday/v1
name: baseline-check
target: {region: us-east-1, tags: {app: worker}}
blast_radius: {count: 3}
action: {type: reboot}
waves: {count: 1, gate_timeout: 30s}
` + webHealth + `objectives: {recovery_max: 30s}
`
	path := writeScenario(t, scenarioText)
	fast := startSim(t, sim.DemoFleet(), fastBoot(), 62)
	first := runCLI(t, "run", path, "--endpoint-url", fast.url, "--runs-dir", runs, "--seed", "1")
	if first.code != ExitMet {
		t.Fatalf("first run: exit %d\n%s\n%s", first.code, first.stdout, first.stderr)
	}
	firstReport := readOnlyReport(t, runs)
	if firstReport.Baseline != nil {
		t.Errorf("the first run has a baseline: %+v", firstReport.Baseline)
	}

	slow := startSim(t, sim.DemoFleet(), sim.BootSpec{
		Down:     sim.Range{Min: 3 * time.Second, Max: 3500 * time.Millisecond},
		Starting: sim.Range{Min: 100 * time.Millisecond, Max: 200 * time.Millisecond},
	}, 63)
	second := runCLI(t, "run", path, "--endpoint-url", slow.url, "--runs-dir", runs, "--seed", "1")
	if second.code != ExitMet {
		t.Fatalf("second run: exit %d\n%s\n%s", second.code, second.stdout, second.stderr)
	}
	rep := newestReport(t, runs)
	if rep.Baseline == nil || rep.Baseline.RunID != firstReport.RunID {
		t.Fatalf("baseline %+v, want run %s", rep.Baseline, firstReport.RunID)
	}
	flagged := map[string]bool{}
	for _, r := range rep.Baseline.Regressions {
		flagged[r.Objective] = true
	}
	if !flagged["recovery_max"] {
		t.Errorf("regressions %+v: want recovery_max (under a second before, over 3 s now)", rep.Baseline.Regressions)
	}

	// --baseline none turns the comparison off; an unknown run is refused
	// before anything is touched.
	third := runCLI(t, "run", path, "--endpoint-url", fast.url, "--runs-dir", runs, "--baseline", "none")
	if third.code != ExitMet || newestReport(t, runs).Baseline != nil {
		t.Errorf("--baseline none: exit %d, baseline %+v", third.code, newestReport(t, runs).Baseline)
	}
	bad := runCLI(t, "run", path, "--endpoint-url", fast.url, "--runs-dir", runs, "--baseline", "no-such-run")
	if bad.code != ExitInvalid || !strings.Contains(bad.stderr, "no-such-run") {
		t.Errorf("unknown baseline: exit %d, stderr %s", bad.code, bad.stderr)
	}
}

func newestReport(t *testing.T, runsDir string) *report.Report {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(runsDir, "*", report.JSONFile))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no report under %s (%v)", runsDir, err)
	}
	var newest *report.Report
	for _, m := range matches {
		rep, err := report.ReadJSON(m)
		if err != nil {
			t.Fatal(err)
		}
		if newest == nil || rep.StartedAt.After(newest.StartedAt) {
			newest = rep
		}
	}
	return newest
}
