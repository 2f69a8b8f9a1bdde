package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gameday/internal/report"
	"gameday/internal/sim"
)

// These tests hold gameday to its promises when things go wrong around a
// run: a SIGTERM (how CI runners and systemd stop a job), an AWS error in
// the middle of a wave, and a runs/ that cannot be written. The audit log of
// a separate `gameday sim serve` is the ground truth of what was touched.

// checkRestarted fails when an instance a StopInstances call stopped had
// no successful StartInstances after it.
func checkEveryStopRestarted(t *testing.T, records []sim.AuditRecord) {
	t.Helper()
	down := map[string]bool{}
	for _, r := range mutations(records) {
		for _, id := range r.InstanceIDs {
			switch r.Action {
			case sim.ActionStopInstances:
				down[id] = true
			case sim.ActionStartInstances:
				delete(down, id)
			}
		}
	}
	for id := range down {
		t.Errorf("%s was stopped and never started again", id)
	}
}

// checkNeverTerminated fails on any TerminateInstances call, successful or
// not: gameday has no code path that makes one.
func checkNoTerminate(t *testing.T, records []sim.AuditRecord) {
	t.Helper()
	for _, r := range records {
		if strings.Contains(r.Action, "Terminate") {
			t.Errorf("%s called on %v", r.Action, r.InstanceIDs)
		}
	}
}

// failFleet is 12 opted-in web hosts, 3 hosts of the same app that are not
// opted in, and one api.fail entry.
func failFleet(action string, call int) string {
	return tinyFleet(12, `  - name: legacy
    count: 3
    availability_zones: [us-east-1a]
    tags: {app: web}
api:
  fail:
    - {action: `+action+`, call: `+strconv.Itoa(call)+`, code: UnauthorizedOperation}
`)
}

// TestProviderErrorMidWaveRollsBackAndExitsFour: a refusal from EC2 in the
// second of two waves (8 instances, 2 ids per call) ends the run with exit
// 4, names the AWS error code with a hint, starts again every instance the
// run stopped, and touches nothing outside the plan.
func TestProviderErrorMidWaveRollsBackAndExitsFour(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		action string
		call   int
		// stopped is how many instances the run stops before the error.
		stopped int
	}{
		// Wave 2's second stop batch: wave 1's 4 and wave 2's first 2 are
		// stopped, wave 2's last 2 never are.
		{"StopInstances refused", sim.ActionStopInstances, 4, 6},
		// Wave 2's first start batch: all 8 were stopped; the rollback's
		// own StartInstances calls must bring wave 2 back.
		{"StartInstances refused", sim.ActionStartInstances, 3, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			audit := filepath.Join(t.TempDir(), "audit.jsonl")
			_, url := startSimServe(t, "--fleet", writeFile(t, "fleet.yaml", failFleet(tt.action, tt.call)),
				"--audit-log", audit, "--no-listeners")
			runs := t.TempDir()
			scn := writeFile(t, "scenario.yaml", `apiVersion: gameday/v1
name: mid-wave-error
target: {region: us-east-1, tags: {app: web}}
blast_radius: {count: 8}
action: {type: stop-start}
waves: {count: 2, wait_for_healthy: false}
`)
			stdout, stderr, code := gameday(t, "run", scn, "--endpoint-url", url, "--runs-dir", runs,
				"--batch-size", "2", "--poll-interval", "50ms", "--seed", "3")
			if code != 4 {
				t.Fatalf("exit %d, want 4\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			iam := "ec2:" + tt.action
			for _, want := range []string{"UnauthorizedOperation", iam, "(hint: the caller lacks the IAM permission " + iam} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			rep := onlyReport(t, runs)
			if rep.Status != report.StatusError || !strings.Contains(rep.Reason, "UnauthorizedOperation") ||
				!strings.Contains(rep.Reason, "restored") {
				t.Errorf("report %s: %q, want error naming the code and the restoration", rep.Status, rep.Reason)
			}
			if !strings.Contains(stdout, "restoring: starting every instance this run stopped") {
				t.Errorf("stdout does not show the rollback:\n%s", stdout)
			}

			records := readAudit(t, audit)
			checkContained(t, records, rep)
			checkStopCalls(t, records)
			checkEveryStopRestarted(t, records)
			checkNoTerminate(t, records)
			checkAllRunningAndUntagged(t, url)
			var stopped []string
			failed := 0
			for _, r := range records {
				if r.Action == tt.action && !r.DryRun && r.ErrorCode == "UnauthorizedOperation" {
					failed++
				}
				if r.Action == sim.ActionStopInstances && !r.DryRun && r.ErrorCode == "" {
					stopped = append(stopped, r.InstanceIDs...)
				}
			}
			if failed != 1 {
				t.Errorf("%d refused %s calls, want the one injected", failed, tt.action)
			}
			if len(stopped) != tt.stopped || len(slices.Compact(slices.Sorted(slices.Values(stopped)))) != tt.stopped {
				t.Errorf("stopped %v, want %d distinct instances", stopped, tt.stopped)
			}
			// The 3 hosts without the opt-in tag were never named, not
			// even by a DryRun.
			legacy := map[string]bool{}
			for _, inst := range fleetState(t, url) {
				if inst.Tags["gameday"] != "opt-in" {
					legacy[inst.ID] = true
				}
			}
			for _, r := range records {
				for _, id := range r.InstanceIDs {
					if legacy[id] {
						t.Errorf("%s named %s, which is not opted in", r.Action, id)
					}
				}
			}
		})
	}
}

// TestAnUnwritableRunsDirStopsTheRunBeforeAnyChange: a runs/ that is in the
// way of a regular file (a technique that holds for root too), or one whose
// files cannot grow (RLIMIT_FSIZE, which fails writes with EFBIG the way a
// full disk fails them with ENOSPC), ends the run with exit 4 and a message
// naming the path, before any mutating call.
func TestAnUnwritableRunsDirStopsTheRunBeforeAnyChange(t *testing.T) {
	t.Parallel()
	scn := writeFile(t, "scenario.yaml", stopStartScenario)
	file := writeFile(t, "not-a-directory", "")
	tests := []struct {
		name    string
		runs    func(t *testing.T) string
		wrap    []string
		wantMsg []string
		// calls: whether any API call at all may be made (the late check
		// comes after listing and the DryRuns).
		calls bool
	}{
		{"runs under a regular file", func(*testing.T) string { return filepath.Join(file, "runs") }, nil,
			[]string{"runs directory " + filepath.Join(file, "runs") + " cannot be created", "not a directory"}, false},
		{"runs is a regular file", func(*testing.T) string { return file }, nil,
			[]string{"runs directory " + file + " cannot be created", "not a directory"}, false},
		{"runs symlinked to /dev/full", devFullLink, nil, []string{"/runs cannot be created", "not a directory"}, false},
		// 512 bytes (dash counts ulimit -f in 512-byte blocks): the probe
		// file fits, the run's own files do not.
		{"files cannot grow past 512 bytes", func(t *testing.T) string { return filepath.Join(t.TempDir(), "runs") },
			[]string{"sh", "-c", `ulimit -f 1 && exec "$0" "$@"`}, []string{"file too large", "/runs/"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			audit := filepath.Join(t.TempDir(), "audit.jsonl")
			_, url := startSimServe(t, "--fleet", writeFile(t, "fleet.yaml", tinyFleet(12, "")), "--audit-log", audit, "--no-listeners")
			args := append(slices.Clone(tt.wrap), binary, "run", scn, "--endpoint-url", url, "--runs-dir", tt.runs(t), "--poll-interval", "50ms")
			stdout, stderr, code := runArgv(t, args...)
			if code != 4 {
				t.Fatalf("exit %d, want 4\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			for _, want := range tt.wantMsg {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			records := readAudit(t, audit)
			if m := mutations(records); len(m) != 0 {
				t.Errorf("%d mutating calls despite the unwritable runs/: %+v", len(m), m)
			}
			if !tt.calls && len(records) != 0 {
				t.Errorf("%d API calls, want none: the runs/ check comes first", len(records))
			}
		})
	}
}

// devFullLink is a symlink to /dev/full, or the test is skipped without one.
func devFullLink(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	link := filepath.Join(t.TempDir(), "runs")
	if err := os.Symlink("/dev/full", link); err != nil {
		t.Fatal(err)
	}
	return link
}

// runArgv runs argv (gameday itself, or gameday under a wrapper) and
// returns its output and exit code.
func runArgv(t *testing.T, argv ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	default:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}
