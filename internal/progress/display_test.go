package progress

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// buffer is a bytes.Buffer safe to read while the display writes.
type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func fixed(s Status) func() Status { return func() Status { return s } }

func TestTerminalRedrawsAndClearsAroundLines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out, errOut buffer
		d := New(&out, Config{Terminal: true, Width: func() int { return 200 }})
		w, e := d.Writer(), d.Wrap(&errOut)
		st := sample()
		line := Line(st, 200)
		d.Start(func() Status { return st })
		defer d.Stop()
		time.Sleep(DefaultInterval)
		synctest.Wait()
		if got, want := out.String(), "\r"+line+"\x1b[K"; got != want {
			t.Fatalf("after one interval:\n got %q\nwant %q", got, want)
		}
		// An unchanged line is not redrawn.
		time.Sleep(3 * DefaultInterval)
		synctest.Wait()
		if got := strings.Count(out.String(), line); got != 1 {
			t.Errorf("unchanged line drawn %d times, want 1", got)
		}
		// A plain line clears the status line, then it comes back under it.
		_, _ = w.Write([]byte("wave 2/3: 7/7 recovered after 4s, gate passed\n"))
		synctest.Wait() // the redraw, asked for at once
		_, _ = e.Write([]byte("INFO\tgate\n"))
		synctest.Wait()
		want := "\r" + line + "\x1b[K" +
			"\r\x1b[K" + "wave 2/3: 7/7 recovered after 4s, gate passed\n" + "\r" + line + "\x1b[K" +
			"\r\x1b[K"
		if got := out.String(); got != want+"\r"+line+"\x1b[K" {
			t.Errorf("around a plain line:\n got %q\nwant %q", got, want+"\r"+line+"\x1b[K")
		}
		if got := errOut.String(); got != "INFO\tgate\n" {
			t.Errorf("stderr got %q", got)
		}
		d.Stop()
		if got := out.String(); !strings.HasSuffix(got, "\x1b[K\r\x1b[K") {
			t.Errorf("Stop left the status line on screen: %q", got)
		}
		// After Stop, lines go straight through.
		before := out.String()
		_, _ = w.Write([]byte("Summary\n"))
		if got := strings.TrimPrefix(out.String(), before); got != "Summary\n" {
			t.Errorf("after Stop a line came out as %q", got)
		}
	})
}

func TestTerminalWaitsForAPartialLine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out buffer
		d := New(&out, Config{Terminal: true})
		w := d.Writer()
		_, _ = w.Write([]byte("Type the scenario name: "))
		d.Start(fixed(sample()))
		defer d.Stop()
		time.Sleep(2 * DefaultInterval)
		synctest.Wait()
		if got := out.String(); got != "Type the scenario name: " {
			t.Fatalf("the status line overwrote a prompt: %q", got)
		}
		_, _ = w.Write([]byte("\n"))
		synctest.Wait()
		d.Stop()
		want := "Type the scenario name: \n\r" + Line(sample(), 80) + "\x1b[K\r\x1b[K"
		if got := out.String(); got != want {
			t.Errorf("after the prompt's line ended:\n got %q\nwant %q", got, want)
		}
	})
}

func TestTerminalCutsTheLineToTheWidth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out buffer
		d := New(&out, Config{Terminal: true, Width: func() int { return 30 }})
		d.Start(fixed(sample()))
		time.Sleep(DefaultInterval)
		d.Stop()
		want := "\r" + Line(sample(), 30) + "\x1b[K\r\x1b[K"
		if got := out.String(); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func TestPlainModeWritesNoEscapesAndAtMostOneLinePer30s(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out buffer
		d := New(&out, Config{})
		w := d.Writer()
		var waiting atomic.Bool
		d.Start(func() Status {
			s := sample()
			s.Waiting = waiting.Load()
			return s
		})
		defer d.Stop()
		_, _ = w.Write([]byte("wave 2/3: rebooting 10 instances (us-east-1a 4, us-east-1b 3, us-east-1c 3)\n"))
		// Not waiting on a gate: nothing, however long.
		time.Sleep(time.Minute)
		synctest.Wait()
		if got := out.String(); strings.Count(got, "\n") != 1 {
			t.Fatalf("plain lines while not waiting: %q", got)
		}
		waiting.Store(true)
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if got := strings.Count(out.String(), "waiting for health"); got != 1 {
			// The output has been quiet for a minute: one line at once.
			t.Fatalf("%d waiting lines after a quiet minute, want 1: %q", got, out.String())
		}
		time.Sleep(28 * time.Second)
		synctest.Wait()
		if got := strings.Count(out.String(), "waiting for health"); got != 1 {
			t.Fatalf("%d waiting lines within 30 s, want 1", got)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if got := strings.Count(out.String(), "waiting for health"); got != 2 {
			t.Fatalf("%d waiting lines after 30 s more, want 2", got)
		}
		// A line of the run's own resets the quiet time.
		time.Sleep(20 * time.Second)
		_, _ = w.Write([]byte("wave 2/3: 10/10 recovered after 1m30s, gate passed\n"))
		time.Sleep(20 * time.Second)
		synctest.Wait()
		if got := strings.Count(out.String(), "waiting for health"); got != 2 {
			t.Fatalf("%d waiting lines, want still 2 after the run's own line", got)
		}
		d.Stop()
		got := out.String()
		if strings.ContainsAny(got, "\x1b\r") {
			t.Errorf("plain output holds an escape or carriage return: %q", got)
		}
		want := "wave 2/3: rebooting 10 instances (us-east-1a 4, us-east-1b 3, us-east-1c 3)\n" +
			"wave 2/3: waiting for health, 5/7 recovered, 1m0s elapsed\n" +
			"wave 2/3: waiting for health, 5/7 recovered, 1m0s elapsed\n" +
			"wave 2/3: 10/10 recovered after 1m30s, gate passed\n"
		if got != want {
			t.Errorf("plain output:\n got %q\nwant %q", got, want)
		}
	})
}

func TestStopEndsTheGoroutineAndIsSafeToRepeat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out buffer
		var calls atomic.Int32
		d := New(&out, Config{Terminal: true, Interval: time.Millisecond})
		d.Start(func() Status { calls.Add(1); return sample() })
		time.Sleep(10 * time.Millisecond)
		d.Stop()
		n := calls.Load()
		if n == 0 {
			t.Fatal("the source was never read")
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if calls.Load() != n {
			t.Errorf("the source was read after Stop")
		}
		d.Stop()
		// synctest.Test fails if the display's goroutine outlived the test.
	})
	var nilDisplay *Display
	nilDisplay.Start(fixed(sample()))
	nilDisplay.Stop()
	New(&buffer{}, Config{}).Stop() // never started
}
