package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gameday/internal/fleet"
	"gameday/internal/journal"
	"gameday/internal/report"
	"gameday/internal/sim"
)

// These tests drive `gameday run` in-process through the real SDK against
// the simulator, one promise of the executor each.

// realCalls counts the successful, real (not DryRun) calls of action.
func realCalls(s *sim.Sim, action string) (calls, instances int) {
	for _, r := range s.Audit() {
		if r.Action == action && !r.DryRun && r.ErrorCode == "" {
			calls++
			instances += len(r.InstanceIDs)
		}
	}
	return calls, instances
}

func allRunning(t *testing.T, s *sim.Sim) {
	t.Helper()
	for _, v := range s.Describe() {
		if v.State != fleet.StateRunning {
			t.Errorf("%s (%s) is %s, want running", v.ID, v.Tags["Name"], v.State)
		}
		if _, tagged := v.Tags[journal.TagRunID]; tagged {
			t.Errorf("%s still carries the dead-man tag", v.ID)
		}
	}
}

const webHealth = `verify: {instance: {url: "http://{{.PrivateIP}}:8080/healthz", interval: 100ms}}
`

func TestPhasesRunOneAfterTheOtherWithTheirOwnActions(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 21)
	runs := t.TempDir()
	res := runCLI(t, "run", writeScenario(t, `apiVersion: gameday/v1
name: two-phases
target: {region: us-east-1, tags: {app: web}}
blast_radius: {count: 3}
action: {type: reboot}
waves: {count: 1, gate_timeout: 30s}
`+webHealth+`phases:
  - name: first
  - name: second
    action: {type: stop-start}
    blast_radius: {count: 2}
`), "--endpoint-url", f.url, "--runs-dir", runs, "--poll-interval", "50ms")
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if _, n := realCalls(f.sim, sim.ActionRebootInstances); n != 3 {
		t.Errorf("%d instances rebooted, want the first phase's 3", n)
	}
	if _, n := realCalls(f.sim, "StopInstances"); n != 2 {
		t.Errorf("%d instances stopped, want the second phase's 2", n)
	}
	rep := readOnlyReport(t, runs)
	if len(rep.Phases) != 2 || rep.Phases[1].Acted != 2 || len(rep.Instances) != 5 {
		t.Errorf("report phases %+v, %d instances", rep.Phases, len(rep.Instances))
	}
	allRunning(t, f.sim)
}

func TestAScheduledRunWaitsForStartAt(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 22)
	startAt := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339)
	start := time.Now()
	res := runCLI(t, "run", writeScenario(t, featureBase+`waves: {gate_timeout: 30s}
schedule: {mode: scheduled, start_at: "`+startAt+`"}
`+webHealth), "--endpoint-url", f.url, "--runs-dir", t.TempDir())
	if res.code != ExitMet || !strings.Contains(res.stdout, "schedule: waiting for start_at") {
		t.Fatalf("exit %d\n%s", res.code, res.stdout)
	}
	for _, r := range f.sim.Audit() {
		if r.Action == sim.ActionRebootInstances && !r.DryRun && r.Time.Before(start.Add(time.Second)) {
			t.Errorf("a reboot at %s, before start_at %s", r.Time, startAt)
		}
	}
}

func TestARunRefusesInstancesAnotherRunHoldsUnlessForced(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 23)
	var web []string
	for _, inst := range f.sim.Instances() {
		if inst.Tags["app"] == "web" && inst.Tags["gameday"] == "opt-in" {
			web = append(web, inst.ID)
		}
	}
	claim := journal.DeadManTags("20261122T000000Z-other-run-abcd", time.Now().Add(time.Hour))
	var tags []sim.Tag
	for k, v := range claim {
		tags = append(tags, sim.Tag{Key: k, Value: v})
	}
	if err := f.sim.CreateTags(web[:1], tags); err != nil {
		t.Fatal(err)
	}
	scn := writeScenario(t, strings.Replace(featureBase, "count: 6", "all: true", 1)+"waves: {count: 6, gate_timeout: 30s}\n"+webHealth)
	res := runCLI(t, "run", scn, "--endpoint-url", f.url, "--runs-dir", t.TempDir())
	if res.code != ExitAborted || !strings.Contains(res.stderr, "other-run") || !strings.Contains(res.stderr, "--force") {
		t.Fatalf("exit %d, want 3 naming the other run\n%s", res.code, res.stderr)
	}
	if n, _ := realCalls(f.sim, sim.ActionRebootInstances); n != 0 {
		t.Errorf("%d reboots despite the claim", n)
	}
	forced := runCLI(t, "run", scn, "--endpoint-url", f.url, "--runs-dir", t.TempDir(), "--force")
	if forced.code != ExitMet {
		t.Errorf("with --force: exit %d\n%s", forced.code, forced.stderr)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 24)
	runs := t.TempDir()
	res := runCLI(t, "run", writeScenario(t, strings.Replace(featureBase, "type: reboot", "type: stop-start", 1)+
		"waves: {count: 2, gate_timeout: 30s}\n"+webHealth), "--endpoint-url", f.url, "--runs-dir", runs, "--dry-run")
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	for _, action := range []string{sim.ActionRebootInstances, "StopInstances", "StartInstances", "CreateTags"} {
		if n, _ := realCalls(f.sim, action); n != 0 {
			t.Errorf("%d real %s calls in a dry run", n, action)
		}
	}
	dryRuns := 0
	for _, r := range f.sim.Audit() {
		if r.DryRun {
			dryRuns++
		}
	}
	if rep := readOnlyReport(t, runs); rep.Status != report.StatusDryRun || dryRuns != 4 {
		t.Errorf("status %s, %d DryRun calls; want dry-run and one permission check per call kind", rep.Status, dryRuns)
	}
}

func TestGuardrailMaxUnhealthyAbortsAndRestores(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 25)
	runs := t.TempDir()
	res := runCLI(t, "run", writeScenario(t, `apiVersion: gameday/v1
name: unhealthy-cap
target: {region: us-east-1, tags: {app: web}}
blast_radius: {count: 6}
action: {type: stop-start, stopped_for: 20s}
waves: {count: 1, wait_for_healthy: false}
`+webHealth+`guardrails: {max_unhealthy_percent: 5%}
`), "--endpoint-url", f.url, "--runs-dir", runs, "--poll-interval", "50ms")
	if res.code != ExitAborted {
		t.Fatalf("exit %d, want 3\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	rep := readOnlyReport(t, runs)
	if !strings.Contains(rep.Reason, "max_unhealthy_percent") || !strings.Contains(rep.Reason, "restored") {
		t.Errorf("reason %q, want the guardrail and the restoration", rep.Reason)
	}
	allRunning(t, f.sim)
}

func TestGuardrailAvailabilityAbortsWhenTheServiceFails(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 26)
	var storefront string
	for _, sv := range f.sim.Services() {
		if sv.Name == "storefront" {
			storefront = sv.URL
		}
	}
	if storefront == "" {
		t.Fatal("the demo fleet has no storefront service")
	}
	runs := t.TempDir()
	// Stopping every db instance takes the database, and the storefront
	// that depends on it, down.
	res := runCLI(t, "run", writeScenario(t, `apiVersion: gameday/v1
name: db-outage
target: {region: us-east-1, tags: {app: db}}
blast_radius: {all: true}
action: {type: stop-start, stopped_for: 20s}
waves: {count: 1, wait_for_healthy: false}
verify:
  services: [{name: storefront, url: "`+storefront+`", interval: 100ms}]
guardrails: {abort_below_availability: 90%, availability_window: 1s}
`), "--endpoint-url", f.url, "--runs-dir", runs, "--poll-interval", "50ms")
	if res.code != ExitAborted {
		t.Fatalf("exit %d, want 3\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	rep := readOnlyReport(t, runs)
	if !strings.Contains(rep.Reason, "abort_below_availability") || len(rep.Services) != 1 || rep.Services[0].Failures == 0 {
		t.Errorf("reason %q services %+v, want the availability guardrail with failed probes", rep.Reason, rep.Services)
	}
	allRunning(t, f.sim)
}

func TestARunSpansRegionsSideBySide(t *testing.T) {
	t.Parallel()
	east := startSim(t, sim.DemoFleet(), fastBoot(), 27)
	west := startSim(t, sim.FleetSpec{Region: "eu-west-1", Groups: []sim.GroupSpec{{Name: "web", Count: 6,
		AvailabilityZones: []string{"eu-west-1a", "eu-west-1b"}, Tags: map[string]string{"app": "web", "gameday": "opt-in"}}}},
		fastBoot(), 28)
	runs := t.TempDir()
	res := runCLI(t, "run", writeScenario(t, `apiVersion: gameday/v1
name: two-regions
target: {regions: [us-east-1, eu-west-1], tags: {app: web}}
blast_radius: {percent: 50%}
action: {type: reboot}
waves: {count: 2, wait_for_healthy: false}
`), "--endpoint-url-for", "us-east-1="+east.url, "--endpoint-url-for", "eu-west-1="+west.url, "--runs-dir", runs)
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	// 50% of 36 + 6 = 21, spread over six AZs in proportion: 18 and 3.
	_, inEast := realCalls(east.sim, sim.ActionRebootInstances)
	_, inWest := realCalls(west.sim, sim.ActionRebootInstances)
	if inEast != 18 || inWest != 3 {
		t.Errorf("rebooted %d in us-east-1 and %d in eu-west-1, want 18 and 3", inEast, inWest)
	}
}

func TestTheRunLogsItsDecisionsToItsDirectoryWithoutCredentials(t *testing.T) {
	t.Setenv("AWS_SECRET_ACCESS_KEY", "FAKESECRETFORGAMEDAYTESTS0000000000000000")
	f := startSim(t, sim.DemoFleet(), demoBoot(), 29)
	runs := t.TempDir()
	res := runCLI(t, "run", "../../scenarios/demo.yaml", "--endpoint-url", f.url, "--runs-dir", runs, "--log-level", "debug")
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	logs, _ := filepath.Glob(filepath.Join(runs, "*", "log.jsonl"))
	if len(logs) != 1 {
		t.Fatalf("log files: %v", logs)
	}
	data, err := os.ReadFile(logs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"msg":"instances excluded"`, `"msg":"permission check passed"`, `"msg":"calling"`, `"msg":"gate"`, `"msg":"run end"`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("log.jsonl lacks %s", want)
		}
	}
	for _, secret := range []string{"FAKESECRETFORGAMEDAYTESTS", "simulator-secret", "Authorization"} {
		if strings.Contains(string(data)+res.stderr, secret) {
			t.Errorf("the logs contain %q", secret)
		}
	}
	runsOut := runCLI(t, "runs", "--runs-dir", runs)
	if runsOut.code != ExitMet || !strings.Contains(runsOut.stdout, "passed") {
		t.Errorf("gameday runs: exit %d\n%s", runsOut.code, runsOut.stdout)
	}
}
