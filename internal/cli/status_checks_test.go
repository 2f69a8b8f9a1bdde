package cli

import (
	"slices"
	"strings"
	"testing"

	"gameday/internal/report"
	"gameday/internal/sim"
	"gameday/internal/sim/ec2api"
)

// batchFleet is 150 opted-in web hosts (more than one DescribeInstanceStatus
// call takes) behind the storefront service, and 4 workers behind their
// own. Each service is an ELB target group of the same name.
func batchFleet() sim.FleetSpec {
	return sim.FleetSpec{
		Groups: []sim.GroupSpec{
			{Name: "web", Count: 150, AvailabilityZones: []string{"us-east-1a", "us-east-1b", "us-east-1c"},
				Tags: map[string]string{"app": "web", "gameday": "opt-in"}},
			{Name: "worker", Count: 4, AvailabilityZones: []string{"us-east-1a"},
				Tags: map[string]string{"app": "worker", "gameday": "opt-in"}},
		},
		Services: []sim.ServiceSpec{
			{Name: "storefront", Members: map[string]string{"app": "web"}},
			{Name: "workers", Members: map[string]string{"app": "worker"}},
		},
	}
}

const batchScenario = `apiVersion: gameday/v1
name: batch-sources
target: {region: us-east-1, tags: {app: web}}
blast_radius: {count: 6}
action: {type: reboot}
waves: {count: 2, gate_timeout: 30s}
objectives: {recover_all_within: 30s}
`

// checkMeasured asserts a passed run in which every acted-on instance was
// seen down and recovered, and one of them has a transition naming want.
func checkMeasured(t *testing.T, rep *report.Report, want string) {
	t.Helper()
	if rep.Status != report.StatusPassed || rep.Recovery.Count != 6 {
		t.Errorf("status %s, %d recoveries, want passed with 6 measured", rep.Status, rep.Recovery.Count)
	}
	named := false
	for _, inst := range rep.Instances {
		if !inst.Acted || !inst.Recovered || inst.NoDowntimeObserved || inst.DownAt == nil || inst.RecoverySeconds == nil || *inst.RecoverySeconds <= 0 {
			t.Errorf("%s: acted %v, recovered %v, down at %v, no downtime observed %v; want seen down, then recovered (acted at %v, transitions %+v)",
				inst.InstanceID, inst.Acted, inst.Recovered, inst.DownAt, inst.NoDowntimeObserved, inst.ActedAt, inst.Transitions)
		}
		for _, tr := range inst.Transitions {
			named = named || strings.Contains(tr.Detail, want)
		}
	}
	if !named {
		t.Errorf("no transition names %q", want)
	}
}

// TestRunGatedByStatusChecksOnly: no verify.instance; the gate and the
// recovery times come from DescribeInstanceStatus alone, read 100 ids a
// call at most.
func TestRunGatedByStatusChecksOnly(t *testing.T) {
	t.Parallel()
	f := startSim(t, batchFleet(), slowBoot(2_000_000_000), 5) // 2 s down: seen by polls even on a loaded machine
	runs := t.TempDir()
	path := writeScenario(t, batchScenario+"verify: {ec2_status_checks: true}\n")
	res := runCLI(t, "run", path, "--endpoint-url", f.url, "--runs-dir", runs, "--seed", "5", "--poll-interval", "100ms")
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	checkMeasured(t, readOnlyReport(t, runs), "status checks: ")
	if len(f.sim.RebootCounts()) != 6 {
		t.Errorf("%d instances rebooted, want 6", len(f.sim.RebootCounts()))
	}
	var sizes []int
	for _, rec := range f.sim.Audit() {
		if rec.Action != sim.ActionDescribeInstanceStatus {
			continue
		}
		sizes = append(sizes, len(rec.InstanceIDs))
		if n := len(rec.InstanceIDs); n == 0 || n > 100 || rec.ErrorCode != "" {
			t.Errorf("DescribeInstanceStatus with %d ids, error %q; want 1 to 100 ids, served", n, rec.ErrorCode)
		}
	}
	// 150 eligible instances: every poll is a call of 100 and one of 50.
	if !slices.Contains(sizes, 100) || !slices.Contains(sizes, 50) {
		t.Errorf("call sizes %v, want calls of 100 and 50 ids", sizes)
	}
}

// TestRunGatedByTargetHealthOnly: the load balancer's view of its targets
// is the only health source; the target group is named, resolved once.
func TestRunGatedByTargetHealthOnly(t *testing.T) {
	t.Parallel()
	f := startSim(t, batchFleet(), slowBoot(2_000_000_000), 6)
	runs := t.TempDir()
	path := writeScenario(t, batchScenario+"verify: {target_groups: [storefront]}\n")
	res := runCLI(t, "run", path, "--endpoint-url", f.url, "--runs-dir", runs, "--seed", "6", "--poll-interval", "100ms")
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	checkMeasured(t, readOnlyReport(t, runs), "ELB: unhealthy (Target.")
	calls := map[string]int{}
	for _, rec := range f.sim.Audit() {
		calls[rec.Action]++
	}
	if calls[ec2api.ActionDescribeTargetGroups] != 1 || calls[ec2api.ActionDescribeTargetHealth] < 5 || calls[sim.ActionDescribeInstanceStatus] != 0 {
		t.Errorf("calls %v; want the name resolved once, target health polled, no status checks", calls)
	}
}

// TestRunCombinesProbeStatusChecksAndTargetHealth: all three sources at
// once, the target group by ARN; an instance is healthy when all agree.
func TestRunCombinesProbeStatusChecksAndTargetHealth(t *testing.T) {
	t.Parallel()
	f := startSim(t, batchFleet(), slowBoot(2_000_000_000), 7)
	storefront, _ := f.sim.Service("storefront")
	runs := t.TempDir()
	path := writeScenario(t, batchScenario+`verify:
  instance: {url: "http://{{.PrivateIP}}:8080/healthz", interval: 100ms}
  ec2_status_checks: true
  target_groups: [`+storefront.TargetGroupARN+`]
`)
	res := runCLI(t, "run", path, "--endpoint-url", f.url, "--runs-dir", runs, "--seed", "7", "--poll-interval", "100ms")
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	rep := readOnlyReport(t, runs)
	checkMeasured(t, rep, "ELB: ")
	for _, inst := range rep.Instances {
		if tr := inst.Transitions; len(tr) == 0 || !strings.Contains(tr[0].Detail, "HTTP 200; status checks: ok; ELB: healthy") {
			t.Errorf("%s: first transition %+v, want every source's verdict", inst.InstanceID, tr)
			break
		}
	}
}

// TestRunRefusesATargetGroupThatMissesTheSelection: workers registers none
// of the web hosts the scenario selects; the run stops before touching any.
func TestRunRefusesATargetGroupThatMissesTheSelection(t *testing.T) {
	t.Parallel()
	f := startSim(t, batchFleet(), fastBoot(), 8)
	path := writeScenario(t, batchScenario+"verify: {target_groups: [workers]}\n")
	res := runCLI(t, "run", path, "--endpoint-url", f.url, "--runs-dir", t.TempDir())
	if res.code != ExitInfrastructure || !strings.Contains(res.stderr, "workers registers none of the 150 eligible instances") {
		t.Fatalf("exit %d, want 4 naming the target group\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if n := len(f.sim.RebootCounts()); n != 0 {
		t.Errorf("%d instances rebooted", n)
	}
}
