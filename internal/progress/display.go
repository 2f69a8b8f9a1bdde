package progress

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// ANSI sequences the terminal mode uses: back to column 0, and erase to
// the end of the line. Nothing else (no cursor movement between lines, no
// colour), so a terminal that ignores them still shows readable text.
const (
	carriageReturn = "\r"
	eraseLine      = "\x1b[K"
)

// Defaults of Config.
const (
	DefaultInterval      = 250 * time.Millisecond
	DefaultPlainInterval = time.Second
	DefaultPlainEvery    = 30 * time.Second
)

// Config tunes a Display.
type Config struct {
	// Terminal redraws a status line in place; false writes only plain
	// lines, without any escape sequence.
	Terminal bool
	// Width returns the terminal's columns, asked at every redraw so a
	// resized window is followed; nil or a result ≤ 0 means 80.
	Width func() int
	// Interval is the pause between redraws (terminal) or between checks
	// whether a plain line is due (default 250 ms on a terminal, 1 s
	// otherwise).
	Interval time.Duration
	// PlainEvery is the least quiet time on the output, while a gate holds
	// the run, before a plain line is written (default 30 s).
	PlainEvery time.Duration
}

// Display shows a run's progress on out. Everything the run writes while
// the display runs must go through Writer (or Wrap, for another stream on
// the same terminal such as stderr): each write clears the status line
// first, and the line is redrawn, from fresh data, once the write ended its
// line, so the two never mix.
//
// Start begins the redraws, Stop ends them and erases the status line; a
// Display is used once. On a nil *Display, Start and Stop do nothing and
// Wrap returns its writer.
type Display struct {
	out io.Writer
	cfg Config

	mu        sync.Mutex
	streams   []*stream
	source    func() Status
	running   bool
	drawn     bool   // the status line is on screen
	line      string // the last status line rendered
	lastWrite time.Time

	stop chan struct{}
	done chan struct{}
	// kick asks for a redraw at once, with fresh data, after a line was
	// written: the line may announce what the status shows (a new wave).
	kick chan struct{}
	once sync.Once
}

// New returns a display on out; nothing is drawn until Start.
func New(out io.Writer, cfg Config) *Display {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultPlainInterval
		if cfg.Terminal {
			cfg.Interval = DefaultInterval
		}
	}
	if cfg.PlainEvery <= 0 {
		cfg.PlainEvery = DefaultPlainEvery
	}
	return &Display{out: out, cfg: cfg, kick: make(chan struct{}, 1)}
}

// Terminal reports whether the display redraws a status line.
func (d *Display) Terminal() bool { return d != nil && d.cfg.Terminal }

// Writer returns the display's own output, for every line the run prints.
func (d *Display) Writer() io.Writer { return d.Wrap(d.out) }

// Wrap returns w, written in turn with the status line: use it for any
// other stream that may reach the same terminal (the log on stderr).
func (d *Display) Wrap(w io.Writer) io.Writer {
	if d == nil {
		return w
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s := &stream{d: d, w: w}
	d.streams = append(d.streams, s)
	return s
}

// Start redraws the status line from source every Interval until Stop.
// source is called from the display's goroutine; it must be safe to call
// concurrently with the run.
func (d *Display) Start(source func() Status) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stop != nil {
		return
	}
	d.source, d.running, d.lastWrite = source, true, time.Now()
	d.stop, d.done = make(chan struct{}), make(chan struct{})
	go d.loop(d.stop, d.done)
}

// Stop ends the redraws, waits for the display's goroutine and erases the
// status line, leaving the cursor at the start of an empty line. Later
// writes go straight through. Safe to call more than once, or without
// Start.
func (d *Display) Stop() {
	if d == nil {
		return
	}
	d.once.Do(func() {
		d.mu.Lock()
		stop, done := d.stop, d.done
		d.mu.Unlock()
		if stop != nil {
			close(stop)
			<-done
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		d.clearLocked()
		d.running = false
	})
}

func (d *Display) loop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(d.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			d.tick()
		case <-d.kick:
			d.tick()
		}
	}
}

// tick renders the current status: a redraw on a terminal, else a plain
// line when a gate has kept the output quiet for PlainEvery.
func (d *Display) tick() {
	st := d.source() // outside the lock: it may take the run's locks
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.running {
		return
	}
	if d.cfg.Terminal {
		line := Line(st, d.width())
		if d.drawn && line == d.line {
			return
		}
		d.line = line
		d.drawLocked()
		return
	}
	if st.Waiting && st.Wave > 0 && time.Since(d.lastWrite) >= d.cfg.PlainEvery {
		fmt.Fprintln(d.out, Plain(st))
		d.lastWrite = time.Now()
	}
}

func (d *Display) width() int {
	if d.cfg.Width != nil {
		if w := d.cfg.Width(); w > 0 {
			return w
		}
	}
	return 80
}

// drawLocked puts the status line on screen unless a stream is in the
// middle of a line (a prompt): that line is not to be overwritten.
func (d *Display) drawLocked() {
	if !d.running || !d.cfg.Terminal || d.line == "" {
		return
	}
	for _, s := range d.streams {
		if s.partial {
			return
		}
	}
	_, _ = io.WriteString(d.out, carriageReturn+d.line+eraseLine)
	d.drawn = true
}

func (d *Display) clearLocked() {
	if d.drawn {
		_, _ = io.WriteString(d.out, carriageReturn+eraseLine)
		d.drawn = false
	}
}

// stream is one writer going through the display.
type stream struct {
	d *Display
	w io.Writer
	// partial: the last write did not end its line.
	partial bool
}

func (s *stream) Write(p []byte) (int, error) {
	d := s.d
	d.mu.Lock()
	defer d.mu.Unlock()
	d.clearLocked()
	n, err := s.w.Write(p)
	if len(p) > 0 {
		s.partial = p[len(p)-1] != '\n'
		d.lastWrite = time.Now()
	}
	if d.running && d.cfg.Terminal {
		select {
		case d.kick <- struct{}{}:
		default: // a redraw is already asked for
		}
	}
	return n, err
}
