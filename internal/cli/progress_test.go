package cli

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"gameday/internal/sim"
)

const progressScenario = featureBase + `waves: {count: 2, gate_timeout: 30s}
` + webHealth

// statusLine matches what the terminal mode draws and erases.
var statusLine = regexp.MustCompile(`\r[^\r\n]*\x1b\[K`)

func TestRunWithProgressAlwaysRedrawsAndLeavesThePlainLinesWhole(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 41)
	res := runCLI(t, "run", writeScenario(t, progressScenario), "--endpoint-url", f.url, "--runs-dir", t.TempDir(),
		"--progress=always")
	if res.code != ExitMet {
		t.Fatalf("exit %d\nstdout:\n%q\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout, "\x1b[K") || !strings.Contains(res.stdout, "· elapsed ") {
		t.Errorf("no status line drawn:\n%q", res.stdout)
	}
	// With the status line taken out, the run's own lines are as without it:
	// each starts its line, and the summary comes after the last erase.
	plain := statusLine.ReplaceAllString(res.stdout, "")
	if strings.ContainsAny(plain, "\r\x1b") {
		t.Errorf("escapes left outside the status line:\n%q", plain)
	}
	for _, want := range []string{"\nwave 1/2: rebooting 3 instances", "\nwave 2/2: 3/3 recovered after ", "\nSummary of run "} {
		if !strings.Contains(plain, want) {
			t.Errorf("stdout lacks the line %q:\n%s", want, plain)
		}
	}
	last := strings.LastIndex(res.stdout, "\x1b[K")
	if summary := strings.Index(res.stdout, "Summary of run"); last > summary {
		t.Errorf("the status line was drawn after the summary began:\n%q", res.stdout[summary:])
	}
	if !strings.HasSuffix(res.stdout, "\n") {
		t.Errorf("stdout ends on a partial line: %q", res.stdout[max(0, len(res.stdout)-80):])
	}
	// The log goes through the display too: every log line starts a line.
	if strings.Contains(statusLine.ReplaceAllString(res.stderr, ""), "\x1b") {
		t.Errorf("stderr holds escapes:\n%q", res.stderr)
	}
}

func TestRunWithoutATerminalWritesNoEscapes(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 42)
	res := runCLI(t, "run", writeScenario(t, progressScenario), "--endpoint-url", f.url, "--runs-dir", t.TempDir())
	if res.code != ExitMet {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	if strings.ContainsAny(res.stdout+res.stderr, "\r\x1b") {
		t.Errorf("output to a non-terminal holds escapes:\n%q\n%q", res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout, "wave 2/2: 3/3 recovered after ") {
		t.Errorf("stdout lacks the wave lines:\n%s", res.stdout)
	}
}

func TestProgressFlag(t *testing.T) {
	res := runCLI(t, "demo", "--progress=sometimes")
	if res.code != ExitInvalid || !strings.Contains(res.stderr, "want auto, always or never") {
		t.Errorf("--progress=sometimes: exit %d, stderr %q; want 2 and the choices", res.code, res.stderr)
	}
	for _, tt := range []struct {
		mode     progressFlag
		display  bool
		terminal bool
	}{
		{"", true, false}, // auto, and a buffer is no terminal
		{progressAuto, true, false},
		{progressAlways, true, true},
		{progressNever, false, false},
	} {
		var out, errOut bytes.Buffer
		a := &app{out: &out, errOut: &errOut, logLevel: "info", logFormat: "console"}
		d := a.progressDisplay(tt.mode)
		if (d != nil) != tt.display || d.Terminal() != tt.terminal {
			t.Errorf("--progress=%s: display %v terminal %v, want %v %v", tt.mode, d != nil, d.Terminal(), tt.display, tt.terminal)
		}
		if rerouted := a.out != &out; rerouted != tt.display {
			t.Errorf("--progress=%s: stdout rerouted %v, want %v", tt.mode, rerouted, tt.display)
		}
		if rerouted := a.errOut != &errOut; rerouted != tt.terminal {
			t.Errorf("--progress=%s: stderr rerouted %v, want %v", tt.mode, rerouted, tt.terminal)
		}
	}
}
