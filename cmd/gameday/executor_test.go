package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gameday/internal/ec2"
	"gameday/internal/fleet"
	"gameday/internal/journal"
	"gameday/internal/report"
	"gameday/internal/sim"
)

// These tests hold the executor to its promises end to end: the gameday
// binary against a separate `gameday sim serve` with EC2's rate limits on.

// tinyFleet is n opted-in web instances whose state changes take 20 ms.
func tinyFleet(n int, extra string) string {
	return `region: us-east-1
groups:
  - name: web
    count: ` + strconv.Itoa(n) + `
    availability_zones: [us-east-1a, us-east-1b, us-east-1c]
    tags: {app: web, gameday: opt-in}
    boot: {pending: 20ms, stopping: 20ms, down: 20ms, starting: 20ms}
` + extra
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readAudit reads every record of a simulator's audit log.
func readAudit(t *testing.T, path string) []sim.AuditRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []sim.AuditRecord
	dec := json.NewDecoder(f)
	for {
		var rec sim.AuditRecord
		if err := dec.Decode(&rec); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
}

var mutatingActions = []string{"RebootInstances", "StopInstances", "StartInstances", "CreateTags", "DeleteTags"}

// mutations returns the successful, real (not DryRun) mutating calls.
func mutations(records []sim.AuditRecord) []sim.AuditRecord {
	var out []sim.AuditRecord
	for _, r := range records {
		if slices.Contains(mutatingActions, r.Action) && !r.DryRun && r.ErrorCode == "" {
			out = append(out, r)
		}
	}
	return out
}

func throttled(records []sim.AuditRecord) int {
	n := 0
	for _, r := range records {
		if r.ErrorCode == "RequestLimitExceeded" {
			n++
		}
	}
	return n
}

// checkContained fails if a mutating call named an instance the run's
// report does not list as selected.
func checkContained(t *testing.T, records []sim.AuditRecord, rep *report.Report) {
	t.Helper()
	selected := map[string]bool{}
	for _, inst := range rep.Instances {
		selected[inst.InstanceID] = true
	}
	for _, r := range mutations(records) {
		for _, id := range r.InstanceIDs {
			if !selected[id] {
				t.Errorf("%s named %s, which the plan did not select", r.Action, id)
			}
		}
	}
}

// fleetState reads every instance of the simulator through the provider.
func fleetState(t *testing.T, url string) []fleet.Instance {
	t.Helper()
	cfg, err := ec2.LoadConfig(context.Background(), ec2.Session{Region: "us-east-1", EndpointURL: url})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ec2.New(cfg, ec2.Options{}).List(context.Background(), fleet.Target{})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// checkAllRunningAndUntagged fails on any instance stopped or still
// carrying a dead-man tag.
func checkAllRunningAndUntagged(t *testing.T, url string) {
	t.Helper()
	for _, inst := range fleetState(t, url) {
		if inst.State != fleet.StateRunning {
			t.Errorf("%s is %s, want running", inst.ID, inst.State)
		}
		for _, k := range journal.DeadManTagKeys {
			if _, ok := inst.Tags[k]; ok {
				t.Errorf("%s still carries %s", inst.ID, k)
			}
		}
	}
}

// startRun starts `gameday run` in the background.
func startRun(t *testing.T, args ...string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"run"}, args...)...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	return cmd, &out
}

func exitCodeOf(err error) int {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -int(ws.Signal())
		}
		return exitErr.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

const stopStartScenario = `apiVersion: gameday/v1
name: stop-start-test
target: {region: us-east-1, tags: {app: web}}
blast_radius: {count: 12}
action: {type: stop-start, stopped_for: 1m}
waves: {count: 2, wait_for_healthy: false}
`

// untilStopped starts a stop-start run and returns once its first stop has
// reached the simulator and the instances are stopped.
func untilStopped(t *testing.T, audit, url, runs string, extra ...string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	scn := writeFile(t, "scenario.yaml", stopStartScenario)
	cmd, out := startRun(t, append([]string{scn, "--endpoint-url", url, "--runs-dir", runs, "--poll-interval", "50ms"}, extra...)...)
	waitFor(t, func() bool {
		for _, r := range mutations(readAudit(t, audit)) {
			if r.Action == "StopInstances" {
				return true
			}
		}
		return false
	})
	waitFor(t, func() bool {
		for _, inst := range fleetState(t, url) {
			if inst.State == fleet.StateStopped {
				return true
			}
		}
		return false
	})
	return cmd, out
}

func stoppedCount(t *testing.T, url string) int {
	n := 0
	for _, inst := range fleetState(t, url) {
		if inst.State != fleet.StateRunning {
			n++
		}
	}
	return n
}

func TestSigkillMidStopStartThenRecoverLeavesNothingStopped(t *testing.T) {
	t.Parallel()
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	_, url := startSimServe(t, "--fleet", writeFile(t, "fleet.yaml", tinyFleet(30, "")), "--audit-log", audit, "--no-listeners")
	runs := t.TempDir()
	cmd, out := untilStopped(t, audit, url, runs)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if n := stoppedCount(t, url); n == 0 {
		t.Fatalf("nothing stopped after the kill; the test killed too late\n%s", out)
	}

	stdout, stderr, code := gameday(t, "recover", "--runs-dir", runs, "--endpoint-url", url, "--poll-interval", "50ms")
	if code != 0 {
		t.Fatalf("recover exit %d\n%s\n%s", code, stdout, stderr)
	}
	checkAllRunningAndUntagged(t, url)
	before := len(mutations(readAudit(t, audit)))
	stdout, stderr, code = gameday(t, "recover", "--runs-dir", runs, "--endpoint-url", url, "--poll-interval", "50ms")
	if code != 0 {
		t.Fatalf("second recover exit %d\n%s\n%s", code, stdout, stderr)
	}
	if after := len(mutations(readAudit(t, audit))); after != before {
		t.Errorf("the second recover made %d mutating calls, want none", after-before)
	}
	checkStopCalls(t, readAudit(t, audit))
}

// checkStopCalls fails when an instance was stopped more than once.
func checkStopCalls(t *testing.T, records []sim.AuditRecord) {
	t.Helper()
	stops := map[string]int{}
	for _, r := range mutations(records) {
		if r.Action == "StopInstances" {
			for _, id := range r.InstanceIDs {
				stops[id]++
			}
		}
	}
	for id, n := range stops {
		if n > 1 {
			t.Errorf("%s stopped %d times", id, n)
		}
	}
}

func TestOrphansAreRestoredFromTagsWhenTheJournalIsGone(t *testing.T) {
	t.Parallel()
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	_, url := startSimServe(t, "--fleet", writeFile(t, "fleet.yaml", tinyFleet(30, "")), "--audit-log", audit, "--no-listeners")
	runs := t.TempDir()
	cmd, _ := untilStopped(t, audit, url, runs)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	journals, _ := filepath.Glob(filepath.Join(runs, "*", journal.FileName))
	if len(journals) != 1 {
		t.Fatalf("journals: %v", journals)
	}
	if err := os.RemoveAll(filepath.Dir(journals[0])); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := gameday(t, "recover", "--orphans", "--region", "us-east-1", "--endpoint-url", url, "--poll-interval", "50ms")
	if code != 0 {
		t.Fatalf("recover --orphans exit %d\n%s\n%s", code, stdout, stderr)
	}
	checkAllRunningAndUntagged(t, url)
}

// TestSignalMidStopStartRestoresAndExitsThree: a first Ctrl-C, and a
// SIGTERM (how CI runners and systemd stop a job), stop launching waves,
// start what the run stopped, and exit 3.
func TestSignalMidStopStartRestoresAndExitsThree(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		sig    os.Signal
		reason []string // in the report's reason
		notice string   // in the output
	}{
		{os.Interrupt, []string{"interrupt", "restored"}, "interrupt: stopping after the current step"},
		{syscall.SIGTERM, []string{"interrupted", "terminated", "restored"}, "terminated: stopping after the current step"},
	} {
		t.Run(tt.sig.String(), func(t *testing.T) {
			t.Parallel()
			audit := filepath.Join(t.TempDir(), "audit.jsonl")
			_, url := startSimServe(t, "--fleet", writeFile(t, "fleet.yaml", tinyFleet(30, "")), "--audit-log", audit, "--no-listeners")
			runs := t.TempDir()
			cmd, out := untilStopped(t, audit, url, runs)
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			if code := exitCodeOf(cmd.Wait()); code != 3 {
				t.Fatalf("exit %d after %s, want 3\n%s", code, tt.sig, out)
			}
			checkAllRunningAndUntagged(t, url)
			rep := onlyReport(t, runs)
			for _, want := range tt.reason {
				if rep.Status != report.StatusAborted || !strings.Contains(rep.Reason, want) {
					t.Errorf("report %s: %q, want aborted, the reason saying %q", rep.Status, rep.Reason, want)
				}
			}
			if !strings.Contains(out.String(), tt.notice) {
				t.Errorf("no notice of the signal:\n%s", out)
			}
			records := readAudit(t, audit)
			checkContained(t, records, rep)
			checkStopCalls(t, records)
			checkEveryStopRestarted(t, records)
		})
	}
}

func TestADeniedDryRunStopsBeforeAnyChangeAndNamesThePermission(t *testing.T) {
	t.Parallel()
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	fleetFile := writeFile(t, "fleet.yaml", tinyFleet(9, "api: {deny: [StopInstances]}\n"))
	_, url := startSimServe(t, "--fleet", fleetFile, "--audit-log", audit, "--no-listeners")
	scn := writeFile(t, "scenario.yaml", stopStartScenario)
	stdout, stderr, code := gameday(t, "run", scn, "--endpoint-url", url, "--runs-dir", t.TempDir())
	if code != 4 || !strings.Contains(stderr, "ec2:StopInstances") || !strings.Contains(stderr, "UnauthorizedOperation") {
		t.Fatalf("exit %d, want 4 naming ec2:StopInstances\n%s\n%s", code, stdout, stderr)
	}
	if m := mutations(readAudit(t, audit)); len(m) != 0 {
		t.Errorf("%d mutating calls despite the denied DryRun: %+v", len(m), m)
	}
}

// TestPacingMeetsTheRateLimitBound: with the simulator's EC2 buckets on, a
// 1,000-instance reboot in 10 waves and a 300-instance stop-start in 4,
// both 10 ids per call, finish without one throttled call and within 1.2
// times the time the buckets allow for the calls they make.
func TestPacingMeetsTheRateLimitBound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fleet    int
		scenario string
		bound    time.Duration
	}{
		// 1 DryRun + 100 reboots on the mutating bucket (50, 5/s): the
		// 101st call at (101-50)/5 = 10.2 s.
		{"reboot 1000 in 10 waves", 1000, `apiVersion: gameday/v1
name: bulk-reboot
target: {region: us-east-1, tags: {app: web}}
blast_radius: {all: true}
action: {type: reboot}
waves: {count: 10, wait_for_healthy: false}
`, 10200 * time.Millisecond},
		// 1 DryRun + 32 starts on the StartInstances bucket (5, 2/s): the
		// 33rd at (33-5)/2 = 14 s; stops and tags stay within their bursts.
		{"stop-start 300 in 4 waves", 300, `apiVersion: gameday/v1
name: bulk-stop-start
target: {region: us-east-1, tags: {app: web}}
blast_radius: {all: true}
action: {type: stop-start}
waves: {count: 4, wait_for_healthy: false}
`, 14 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			audit := filepath.Join(t.TempDir(), "audit.jsonl")
			_, url := startSimServe(t, "--fleet", writeFile(t, "fleet.yaml", tinyFleet(tt.fleet, "")), "--audit-log", audit, "--no-listeners")
			runs := t.TempDir()
			start := time.Now()
			stdout, stderr, code := gameday(t, "run", writeFile(t, "s.yaml", tt.scenario), "--endpoint-url", url,
				"--runs-dir", runs, "--batch-size", "10", "--poll-interval", "50ms")
			wall := time.Since(start)
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			records := readAudit(t, audit)
			if n := throttled(records); n != 0 {
				t.Errorf("%d calls throttled; the client must pace itself", n)
			}
			if ratio := float64(wall) / float64(tt.bound); ratio > 1.2 {
				t.Errorf("wall time %v is %.2f times the rate-limit bound %v, want at most 1.2", wall, ratio, tt.bound)
			} else {
				t.Logf("wall time %v = %.2f x the rate-limit bound %v", wall, ratio, tt.bound)
			}
			checkContained(t, records, onlyReport(t, runs))
			checkAllRunningAndUntagged(t, url)
		})
	}
}
