package cli

import (
	"strings"
	"testing"

	"gameday/internal/report"
	"gameday/internal/sim"
)

const featureBase = `apiVersion: gameday/v1
name: features
target: {region: us-east-1, tags: {app: web}}
blast_radius: {count: 6}
action: {type: reboot}
`

func TestRunExecutesTCPProbesWaveOrderAndMaxInFlight(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 4)
	runs := t.TempDir()
	path := writeScenario(t, featureBase+`waves: {size: 3, order: by-az, max_in_flight: 2, gate_timeout: 30s}
verify: {instance: {type: tcp, address: "{{.PrivateIP}}:8080", interval: 50ms}}
objectives: {recovery_max: 30s, min_score: 100}
`)
	res := runCLI(t, "run", path, "--endpoint-url", f.url, "--runs-dir", runs, "--seed", "4")
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	rep := readOnlyReport(t, runs)
	for _, w := range rep.Waves {
		azs := map[string]bool{}
		for _, inst := range rep.Instances {
			if inst.Wave == w.Index {
				azs[inst.AZ] = true
			}
		}
		if len(azs) != 1 {
			t.Errorf("by-az wave %d spans %d AZs", w.Index, len(azs))
		}
	}
	// max_in_flight 2: no RebootInstances call names more than 2 instances.
	for _, rec := range f.sim.Audit() {
		if rec.Action == sim.ActionRebootInstances && !rec.DryRun && len(rec.InstanceIDs) > 2 {
			t.Errorf("a reboot call named %d instances, above max_in_flight 2", len(rec.InstanceIDs))
		}
	}
	if len(f.sim.RebootCounts()) != 6 || len(rep.Score.Objectives) != 2 || !rep.Score.Met {
		t.Errorf("rebooted %d, objectives %+v", len(f.sim.RebootCounts()), rep.Score.Objectives)
	}
}

func TestRunRefusesAnAccountOutsideAllowedAccounts(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 4)
	path := writeScenario(t, featureBase+`waves: {gate_timeout: 30s}
verify: {instance: {url: "http://{{.PrivateIP}}:8080/healthz", interval: 50ms}}
guardrails: {allowed_accounts: ["000011112222"]}
`)
	res := runCLI(t, "run", path, "--endpoint-url", f.url, "--runs-dir", t.TempDir())
	if res.code != ExitAborted || !strings.Contains(res.stderr, "123456789012 is not in guardrails.allowed_accounts") {
		t.Fatalf("exit %d, want 3 naming the account\n%s", res.code, res.stderr)
	}
	if n := len(f.sim.RebootCounts()); n != 0 {
		t.Errorf("%d instances rebooted in a refused account", n)
	}
}

func TestOnGateTimeoutContinueFinishesEveryWave(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), slowBoot(800_000_000), 4) // 0.8 s down
	runs := t.TempDir()
	path := writeScenario(t, featureBase+`waves: {count: 3, gate_timeout: 200ms, on_gate_timeout: continue}
verify: {instance: {url: "http://{{.PrivateIP}}:8080/healthz", interval: 50ms}}
objectives: {recover_all_within: 30s}
`)
	res := runCLI(t, "run", path, "--endpoint-url", f.url, "--runs-dir", runs)
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	rep := readOnlyReport(t, runs)
	if len(rep.Waves) != 3 || rep.Waves[0].Gate != "timed-out" || rep.Status != report.StatusPassed {
		t.Errorf("waves %d, first gate %q, status %s; want 3 waves run through timed-out gates", len(rep.Waves), rep.Waves[0].Gate, rep.Status)
	}
}
