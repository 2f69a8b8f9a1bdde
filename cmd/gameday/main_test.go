package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"gameday/internal/report"
	"gameday/internal/sim"
)

// These tests run the gameday binary as a user would, built the way the
// Makefile builds it (version injected with -ldflags).

const testVersion = "v0.0.0-test"

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gameday-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "gameday")
	build := exec.Command("go", "build", "-ldflags", "-X gameday/internal/version.Version="+testVersion, "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building gameday: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func gameday(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
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

func TestVersionShowsTheInjectedVersion(t *testing.T) {
	out, _, code := gameday(t, "version")
	want := "gameday " + testVersion + " (" + runtime.Version()
	if code != 0 || !strings.HasPrefix(out, want) {
		t.Errorf("version printed %q (exit %d), want prefix %q", out, code, want)
	}
}

func TestHelpListsEveryVerb(t *testing.T) {
	out, _, code := gameday(t, "--help")
	if code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	for _, verb := range []string{"demo", "run", "validate", "sim", "version", "--log-level", "--log-format"} {
		if !strings.Contains(out, verb) {
			t.Errorf("--help does not mention %q:\n%s", verb, out)
		}
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"run"},
		{"run", "a.yaml", "b.yaml"},
		{"demo", "--no-such-flag"},
		{"--log-format", "xml", "version"},
		{"run", "does-not-exist.yaml"},
		{"validate", "../../testdata/scenarios/invalid/many-errors.yaml"},
	} {
		_, stderr, code := gameday(t, args...)
		if code != 2 {
			t.Errorf("gameday %v: exit %d, want 2 (stderr %q)", args, code, stderr)
		}
	}
}

// startSimServe runs `gameday sim serve` and returns its EC2 endpoint.
func startSimServe(t *testing.T, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"sim", "serve", "--listen", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if url, ok := strings.CutPrefix(lines.Text(), "export AWS_ENDPOINT_URL_EC2="); ok {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return cmd, url
		}
	}
	t.Fatalf("sim serve never printed its endpoint (%v)", lines.Err())
	return nil, ""
}

func TestRunAgainstASeparatelyStartedSimulator(t *testing.T) {
	t.Parallel()
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	server, url := startSimServe(t, "--seed", "5", "--audit-log", audit)
	runs := t.TempDir()
	stdout, stderr, code := gameday(t, "run", "../../scenarios/demo.yaml", "--endpoint-url", url, "--region", "us-east-1", "--runs-dir", runs)
	if code != 0 {
		t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if err := server.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- server.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("sim serve did not exit cleanly on SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sim serve still running 10s after SIGTERM")
	}

	rep := onlyReport(t, runs)
	var selected []string
	for _, inst := range rep.Instances {
		selected = append(selected, inst.InstanceID)
	}
	rebooted := rebootedIDs(t, audit)
	slices.Sort(selected)
	slices.Sort(rebooted)
	if len(selected) != 18 || !slices.Equal(selected, rebooted) {
		t.Errorf("audit log rebooted %v\nreport selected %v", rebooted, selected)
	}
	if !strings.Contains(stdout, "PASSED") || !strings.Contains(stdout, "score") {
		t.Errorf("no passing summary in stdout:\n%s", stdout)
	}
}

// waitFor polls cond until it holds, for at most 30 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// onlyReport reads the report of the one run under runs.
func onlyReport(t *testing.T, runs string) *report.Report {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(runs, "*", report.JSONFile))
	if len(matches) != 1 {
		t.Fatalf("want one report under %s, found %v", runs, matches)
	}
	rep, err := report.ReadJSON(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// rebootedIDs reads the ids of successful RebootInstances calls.
func rebootedIDs(t *testing.T, path string) []string {
	t.Helper()
	var ids []string
	for _, rec := range mutations(readAudit(t, path)) {
		if rec.Action == sim.ActionRebootInstances {
			ids = append(ids, rec.InstanceIDs...)
		}
	}
	return ids
}

func TestFirstInterruptStopsLaunchingWavesAndExitsThree(t *testing.T) {
	t.Parallel()
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	_, url := startSimServe(t, "--seed", "8", "--audit-log", audit)
	runs := t.TempDir()
	cmd := exec.Command(binary, "run", "../../scenarios/demo.yaml", "--endpoint-url", url, "--runs-dir", runs)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	var out strings.Builder
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
		if strings.HasPrefix(lines.Text(), "wave 1/3: rebooting") {
			// Interrupt once the first wave's reboot has reached the
			// simulator: the run must then launch nothing more.
			waitFor(t, func() bool { return len(rebootedIDs(t, audit)) > 0 })
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	rest, _ := io.ReadAll(stdout)
	out.Write(rest)
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Fatalf("run after SIGINT: %v, want exit 3\n%s", err, out.String())
	}
	rep := onlyReport(t, runs)
	if rep.Status != report.StatusAborted || !strings.Contains(rep.Reason, "interrupt") {
		t.Errorf("report status %q reason %q, want aborted by the interrupt", rep.Status, rep.Reason)
	}
	if got := len(rebootedIDs(t, audit)); got != 6 {
		t.Errorf("%d instances rebooted, want only wave 1's 6", got)
	}
	if !strings.Contains(out.String(), "ABORTED") {
		t.Errorf("no aborted summary:\n%s", out.String())
	}
}

func TestDemoRunsTheBuiltInScenarioToAPassingSummary(t *testing.T) {
	t.Parallel()
	runs := t.TempDir()
	stdout, stderr, code := gameday(t, "demo", "--seed", "1", "--runs-dir", runs)
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"simulated fleet: 63 instances", "seed 1 (from --seed", "wave 1/3", "wave 3/3",
		"rebooted       18: us-east-1a", "recovery time  min", "score          100/100", "report         " + runs,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, stdout)
		}
	}
}
