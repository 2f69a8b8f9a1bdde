package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A second Ctrl-C exits at once, without restoring: what the run stopped
// stays stopped, the journal says so, and gameday recover brings it back.
func TestSecondInterruptExitsAtOnceAndRecoverRestores(t *testing.T) {
	t.Parallel()
	audit := filepath.Join(t.TempDir(), "audit.jsonl")
	_, url := startSimServe(t, "--fleet", writeFile(t, "fleet.yaml", tinyFleet(30, "")), "--audit-log", audit, "--no-listeners")
	runs := t.TempDir()
	out := &syncBuffer{}
	cmd := exec.Command(binary, "run", writeFile(t, "scenario.yaml", stopStartScenario), "--endpoint-url", url,
		"--runs-dir", runs, "--poll-interval", "50ms")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	waitFor(t, func() bool { return stoppedCount(t, url) > 0 })
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	// The second once the first is being handled (signals do not queue:
	// two sent back to back may arrive as one), while the run restores.
	waitFor(t, func() bool { return strings.Contains(out.String(), "press Ctrl-C again") })
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := exitCodeOf(cmd.Wait()); code != 3 {
		t.Fatalf("exit %d after two SIGINTs, want 3\n%s", code, out)
	}
	if !strings.Contains(out.String(), "again: exiting now") {
		t.Errorf("output does not say the second interrupt exits now:\n%s", out)
	}
	stdout, stderr, code := gameday(t, "runs", "--runs-dir", runs)
	if code != 0 || !strings.Contains(stdout, "interrupted") {
		t.Errorf("gameday runs: exit %d, want the run listed as interrupted\n%s%s", code, stdout, stderr)
	}
	stdout, stderr, code = gameday(t, "recover", "--runs-dir", runs, "--endpoint-url", url, "--poll-interval", "50ms")
	if code != 0 {
		t.Fatalf("recover: exit %d\n%s\n%s", code, stdout, stderr)
	}
	checkAllRunningAndUntagged(t, url)
	checkStopCalls(t, readAudit(t, audit))
}
