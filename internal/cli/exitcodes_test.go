package cli

import (
	"strings"
	"testing"
	"time"

	"gameday/internal/report"
	"gameday/internal/sim"
)

// scenarioText is a small valid scenario; tests replace the placeholders.
const scenarioText = `apiVersion: gameday/v1
name: exit-codes
target: {region: us-east-1, tags: {app: TAG}}
blast_radius: {count: 4}
action: {type: reboot}
waves: {count: 2, gate_timeout: GATE}
verify: {instance: {url: "http://{{.PrivateIP}}:8080/healthz", interval: 50ms, timeout: 500ms}}
objectives: {recover_all_within: WITHIN}
`

func scenarioWith(tag, gate, within string) string {
	return strings.NewReplacer("TAG", tag, "GATE", gate, "WITHIN", within).Replace(scenarioText)
}

func slowBoot(down time.Duration) sim.BootSpec {
	return sim.BootSpec{Down: sim.Range{Min: down, Max: down}, Starting: sim.Range{Min: 10 * time.Millisecond, Max: 10 * time.Millisecond}}
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		scenario string
		boot     sim.BootSpec
		args     []string
		want     int
		// wantReboots is how many RebootInstances ids the simulator saw.
		wantReboots int
		wantStatus  string
		wantOutput  string
	}{
		{"objective missed exits 1", scenarioWith("web", "30s", "100ms"), slowBoot(400 * time.Millisecond), nil,
			ExitMissed, 4, report.StatusFailed, "MISSED"},
		{"gate timeout aborts with 3 after one wave", scenarioWith("web", "200ms", "1m"), slowBoot(2 * time.Second), nil,
			ExitAborted, 2, report.StatusAborted, "gate timed out"},
		{"empty selection exits 2 and touches nothing", scenarioWith("nothing-has-this", "30s", "1m"), fastBoot(), nil,
			ExitInvalid, 0, "", ""},
		{"contradicting region exits 2", scenarioWith("web", "30s", "1m"), fastBoot(), []string{"--region", "eu-west-1"},
			ExitInvalid, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startSim(t, sim.DemoFleet(), tt.boot, 3)
			runs := t.TempDir()
			args := append([]string{"run", writeScenario(t, tt.scenario), "--endpoint-url", f.url, "--runs-dir", runs}, tt.args...)
			res := runCLI(t, args...)
			if res.code != tt.want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, tt.want, res.stdout, res.stderr)
			}
			reboots := 0
			for _, n := range f.sim.RebootCounts() {
				reboots += n
			}
			if reboots != tt.wantReboots {
				t.Errorf("%d instances rebooted, want %d", reboots, tt.wantReboots)
			}
			if tt.wantStatus != "" {
				if rep := readOnlyReport(t, runs); rep.Status != tt.wantStatus {
					t.Errorf("report status %q, want %q", rep.Status, tt.wantStatus)
				}
			}
			if !strings.Contains(res.stdout, tt.wantOutput) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantOutput, res.stdout)
			}
		})
	}
}

func TestRunRefusesToStartWhenASelectedInstanceIsAlreadyDown(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), slowBoot(5*time.Second), 9)
	// Take every web instance down behind gameday's back, before the run.
	var web []string
	for _, inst := range f.sim.Instances() {
		if inst.Tags["app"] == "web" {
			web = append(web, inst.ID)
		}
	}
	if err := f.sim.Reboot(web); err != nil {
		t.Fatal(err)
	}
	runs := t.TempDir()
	res := runCLI(t, "run", writeScenario(t, scenarioWith("web", "30s", "1m")), "--endpoint-url", f.url, "--runs-dir", runs)
	if res.code != ExitAborted {
		t.Fatalf("exit %d, want 3\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if n := len(f.sim.RebootCounts()); n != 0 {
		t.Errorf("the run rebooted %d instances despite failing its steady-state check", n)
	}
	rep := readOnlyReport(t, runs)
	if rep.Status != report.StatusAborted || !strings.Contains(rep.Reason, "steady state") || !strings.Contains(rep.Reason, "connection refused") {
		t.Errorf("report status %q reason %q, want aborted on steady state with the evidence", rep.Status, rep.Reason)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	good := writeScenario(t, scenarioWith("web", "30s", "1m"))
	res := runCLI(t, "validate", good, "../../scenarios/demo.yaml")
	if res.code != ExitMet || strings.Count(res.stdout, ": ok") != 2 {
		t.Errorf("validate of two good files: exit %d, stdout %q", res.code, res.stdout)
	}
	bad := writeScenario(t, "apiVersion: gameday/v1\nname: x\ntarget: {region: us-east-1}\nblast_radius: {percent: 200%}\naction: {type: terminate}\n")
	res = runCLI(t, "validate", good, bad)
	if res.code != ExitInvalid {
		t.Fatalf("exit %d, want 2", res.code)
	}
	for _, want := range []string{bad + ":4:", "blast_radius.percent", bad + ":5:", "never terminates"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("validate output lacks %q:\n%s", want, res.stdout)
		}
	}
}
