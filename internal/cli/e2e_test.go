package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gameday/internal/report"
	"gameday/internal/sim"
	"gameday/internal/sim/ec2api"
)

// These tests drive the real command line in-process: cobra parsing, the
// AWS SDK client, the simulator's EC2 Query API over loopback HTTP, real
// health listeners and probes. Only the fleet's boot timings are shortened.

type simFleet struct {
	sim *sim.Sim
	url string
}

// startSim serves spec (boot timings replaced by boot) until the test ends.
func startSim(t *testing.T, spec sim.FleetSpec, boot sim.BootSpec, seed uint64) simFleet {
	t.Helper()
	for i := range spec.Groups {
		spec.Groups[i].Boot = boot
	}
	s, err := sim.New(spec, sim.Options{Seed: seed, Listeners: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	srv, err := ec2api.Start(s, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return simFleet{sim: s, url: srv.URL()}
}

func fastBoot() sim.BootSpec {
	return sim.BootSpec{
		Down:     sim.Range{Min: 150 * time.Millisecond, Max: 400 * time.Millisecond},
		Starting: sim.Range{Min: 50 * time.Millisecond, Max: 150 * time.Millisecond},
	}
}

// demoBoot suits scenarios/demo.yaml, which probes every 500 ms: a host
// down for less than that may never be seen down, and then counts as
// recovered only after the 10 s no-downtime grace.
func demoBoot() sim.BootSpec {
	return sim.BootSpec{
		Down:     sim.Range{Min: 700 * time.Millisecond, Max: time.Second},
		Starting: sim.Range{Min: 100 * time.Millisecond, Max: 200 * time.Millisecond},
	}
}

type cliResult struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{in: strings.NewReader(""), out: &out, errOut: &errOut, exit: func(code int) {
		t.Fatalf("exit(%d) called", code)
	}}
	code := a.run(context.Background(), args)
	return cliResult{code: code, stdout: out.String(), stderr: errOut.String()}
}

func writeScenario(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scenario.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readOnlyReport(t *testing.T, runsDir string) *report.Report {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(runsDir, "*", report.JSONFile))
	if err != nil || len(matches) != 1 {
		t.Fatalf("want exactly one report under %s, found %v (%v)", runsDir, matches, err)
	}
	rep, err := report.ReadJSON(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestRunDemoScenarioRebootsExactlyTheSelectedInstances(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), demoBoot(), 7)
	runs := t.TempDir()
	res := runCLI(t, "run", "../../scenarios/demo.yaml", "--endpoint-url", f.url, "--region", "us-east-1",
		"--runs-dir", runs, "--seed", "7", "--log-level", "debug")
	if res.code != ExitMet {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	rep := readOnlyReport(t, runs)

	// The simulator's own record of mutating calls is the ground truth.
	counts := f.sim.RebootCounts()
	var rebooted []string
	for id, n := range counts {
		if n != 1 {
			t.Errorf("%s rebooted %d times, want once", id, n)
		}
		rebooted = append(rebooted, id)
	}
	var selected []string
	for _, inst := range rep.Instances {
		selected = append(selected, inst.InstanceID)
		if !inst.Acted || !inst.Recovered || inst.RecoverySeconds == nil {
			t.Errorf("instance %s: acted %v recovered %v, want both", inst.InstanceID, inst.Acted, inst.Recovered)
		}
	}
	slices.Sort(rebooted)
	slices.Sort(selected)
	if !slices.Equal(rebooted, selected) {
		t.Errorf("simulator rebooted %v\nreport selected %v", rebooted, selected)
	}
	// 36 opted-in web instances, 50% = 18, in 3 waves of 6.
	if rep.Fleet.Selected != 18 || len(rep.Waves) != 3 || len(rep.Instances) != 18 {
		t.Errorf("selected %d in %d waves, want 18 in 3", rep.Fleet.Selected, len(rep.Waves))
	}
	if rep.Status != report.StatusPassed || rep.Score.Value != 100 || rep.Seed != 7 {
		t.Errorf("status %s score %v seed %d, want passed 100 7", rep.Status, rep.Score.Value, rep.Seed)
	}
	for _, want := range []string{"wave 1/3: rebooting 6 instances", "wave 3/3: 6/6 recovered", "score", "PASSED", "recovery time"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, res.stdout)
		}
	}
}

func TestRunNeverTouchesInstancesWithoutTheOptInTag(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 11)
	// Target every web instance, 100%: the 12 web-legacy ones match the
	// target but are not opted in.
	path := writeScenario(t, `apiVersion: gameday/v1
name: all-web
target: {region: us-east-1, tags: {app: "w*"}}
blast_radius: {all: true}
action: {type: reboot}
waves: {count: 2, gate_timeout: 30s}
verify: {instance: {url: "http://{{.PrivateIP}}:8080/healthz", interval: 100ms}}
objectives: {recover_all_within: 30s}
`)
	runs := t.TempDir()
	res := runCLI(t, "run", path, "--endpoint-url", f.url, "--runs-dir", runs)
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	counts := f.sim.RebootCounts()
	optedIn := 0
	for _, inst := range f.sim.Instances() {
		switch {
		case !strings.HasPrefix(inst.Tags["app"], "w"):
			// The db hosts are opted in but outside the target.
			if counts[inst.ID] != 0 {
				t.Errorf("%s (%s) is not in the target and was rebooted", inst.ID, inst.Tags["Name"])
			}
		case inst.Tags["gameday"] != "opt-in" && counts[inst.ID] != 0:
			t.Errorf("%s (%s) is not opted in and was rebooted", inst.ID, inst.Tags["Name"])
		case inst.Tags["gameday"] == "opt-in" && counts[inst.ID] != 1:
			t.Errorf("%s (%s) is opted in and matched, rebooted %d times, want 1", inst.ID, inst.Tags["Name"], counts[inst.ID])
		case inst.Tags["gameday"] == "opt-in":
			optedIn++
		}
	}
	if optedIn != 48 {
		t.Errorf("%d opted-in instances rebooted, want 48 (web and worker)", optedIn)
	}
	rep := readOnlyReport(t, runs)
	if len(rep.Fleet.Excluded) != 12 || !strings.Contains(rep.Fleet.Excluded[0].Reason, "not opted in") {
		t.Errorf("excluded = %+v, want the 12 web-legacy instances as not opted in", rep.Fleet.Excluded)
	}
}
