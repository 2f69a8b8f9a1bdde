//go:build unix

package report

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests open report.html in headless Chromium (Debian's chromium,
// which .ci/run installs): the page must load without a console message,
// the rendered DOM must hold one swimlane per instance, and a screenshot
// must show the chart's colours. Without Chromium they skip, unless
// GAMEDAY_REQUIRE_CHROMIUM=1 (set by .ci/run) makes that a failure.

func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	msg := "neither chromium nor chromium-browser is on PATH: apt-get install chromium to run this test (.ci/run does)"
	if os.Getenv("GAMEDAY_REQUIRE_CHROMIUM") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// headless runs Chromium on a local file with a throwaway profile and no
// way to the network, and returns its stdout and stderr. The whole process
// group is killed when it exits or times out: Chromium leaves helpers.
func headless(t *testing.T, bin, page string, args ...string) (stdout, stderr string) {
	t.Helper()
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	full := append([]string{
		"--headless", "--disable-gpu", "--no-sandbox", "--disable-dev-shm-usage",
		"--user-data-dir=" + filepath.Join(home, "profile"),
		// Nothing leaves the machine: no name resolves and every request
		// would go to a proxy on a closed port.
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost", "--proxy-server=127.0.0.1:9",
		"--no-first-run", "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-extensions", "--disable-default-apps", "--mute-audio",
		"--enable-logging=stderr", "--v=0",
	}, args...)
	full = append(full, "file://"+page)
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
	cmd.Dir = home
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // helpers of ours still around
	}
	if ctx.Err() != nil {
		t.Fatalf("chromium did not finish within 90s\nstderr:\n%s", errOut.String())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("chromium: %v", err)
	}
	if err != nil {
		t.Fatalf("chromium exited with %v\nstderr:\n%s", err, errOut.String())
	}
	return out.String(), errOut.String()
}

// consoleMessages returns the page's console output in Chromium's log:
// every console call and uncaught exception, whatever its level, is logged
// as CONSOLE. report.html has no script, so any at all is a fault.
func consoleMessages(stderr string) []string {
	var msgs []string
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if line := sc.Text(); strings.Contains(line, ":CONSOLE") || strings.Contains(line, "Uncaught") {
			msgs = append(msgs, line)
		}
	}
	return msgs
}

func TestReportHTMLInChromium(t *testing.T) {
	bin := findChromium(t)
	dir := t.TempDir()
	r := loadFixture(t)
	arts, err := WriteArtifacts(dir, r)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("the console check catches errors", func(t *testing.T) {
		// Without this, a Chromium that logs differently would make the
		// next check pass vacuously.
		bad := filepath.Join(t.TempDir(), "bad.html")
		if err := os.WriteFile(bad, []byte(`<!DOCTYPE html><p>x</p><script>noSuchFunction()</script>`), 0o644); err != nil {
			t.Fatal(err)
		}
		_, stderr := headless(t, bin, bad, "--dump-dom")
		if msgs := consoleMessages(stderr); len(msgs) == 0 || !strings.Contains(strings.Join(msgs, "\n"), "noSuchFunction") {
			t.Fatalf("a page with an uncaught error logged no console error; chromium's stderr:\n%s", stderr)
		}
	})

	t.Run("no console errors and one lane per instance", func(t *testing.T) {
		dom, stderr := headless(t, bin, arts.HTML, "--dump-dom")
		if msgs := consoleMessages(stderr); len(msgs) > 0 {
			t.Errorf("report.html logged to the console:\n%s", strings.Join(msgs, "\n"))
		}
		if !strings.Contains(dom, `<svg class="chart swimlane"`) {
			t.Fatalf("the rendered DOM has no swimlane chart:\n%.2000s", dom)
		}
		if got := strings.Count(dom, `class="lane"`); got != len(r.Instances) {
			t.Errorf("the rendered timeline has %d lanes, want one per instance: %d", got, len(r.Instances))
		}
		for _, in := range r.Instances {
			if !strings.Contains(dom, `data-instance="`+in.InstanceID+`"`) {
				t.Errorf("no lane for %s in the rendered DOM", in.InstanceID)
			}
		}
	})

	t.Run("screenshot", func(t *testing.T) {
		shot := filepath.Join(dir, "report.png")
		headless(t, bin, arts.HTML, "--screenshot="+shot, "--window-size=1400,2000", "--hide-scrollbars")
		f, err := os.Open(shot)
		if err != nil {
			t.Fatalf("no screenshot: %v", err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatalf("%s is not a PNG: %v", shot, err)
		}
		if b := img.Bounds(); b.Dx() != 1400 || b.Dy() != 2000 {
			t.Errorf("screenshot is %dx%d, want 1400x2000", b.Dx(), b.Dy())
		}
		// The SVG was painted: the healthy green and unhealthy red of the
		// swimlanes are on screen.
		for name, want := range map[string][3]uint8{"healthy": {0x2f, 0x9e, 0x62}, "unhealthy": {0xd7, 0x44, 0x3a}} {
			if !hasColour(img, want) {
				t.Errorf("the screenshot shows no %s lane colour #%02x%02x%02x", name, want[0], want[1], want[2])
			}
		}
		t.Logf("screenshot: %s", shot)
	})
}

// hasColour reports whether a pixel close to c is in img.
func hasColour(img image.Image, c [3]uint8) bool {
	near := func(a uint32, b uint8) bool {
		d := int(a>>8) - int(b)
		return d > -8 && d < 8
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r, c[0]) && near(g, c[1]) && near(bl, c[2]) {
				return true
			}
		}
	}
	return false
}
