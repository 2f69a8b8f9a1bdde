package cli

import (
	"testing"

	"gameday/internal/fleet"
	"gameday/internal/journal"
	"gameday/internal/sim"
)

// action: stop leaves its instances stopped on purpose: the run must not
// wait for them to recover (they never will) before it ends, and it must
// take its dead-man tags off them so that no recover brings them back.
func TestStopLeavesInstancesStoppedAndDoesNotWaitForThem(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 64)
	runs := t.TempDir()
	res := runCLI(t, "run", writeScenario(t, `apiVersion: gameday/v1
name: stop-workers
target: {region: us-east-1, tags: {app: worker}}
blast_radius: {count: 2}
action: {type: stop, allow_leave_stopped: true}
waves: {count: 1, wait_for_healthy: false, gate_timeout: 2m}
`+webHealth), "--endpoint-url", f.url, "--runs-dir", runs, "--poll-interval", "50ms")
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	rep := readOnlyReport(t, runs)
	// Waiting for the stopped instances would last the 2m gate timeout.
	if rep.Seconds >= 60 {
		t.Errorf("the run lasted %.0fs: it waited for instances that were stopped on purpose", rep.Seconds)
	}
	stopped := 0
	for _, v := range f.sim.Describe() {
		if v.State == fleet.StateStopped {
			stopped++
			if _, tagged := v.Tags[journal.TagRunID]; tagged {
				t.Errorf("%s is left stopped with the dead-man tag still on it", v.ID)
			}
		}
	}
	if stopped != 2 {
		t.Errorf("%d instances stopped, want the 2 selected", stopped)
	}
}
