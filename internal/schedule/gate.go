package schedule

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"gameday/internal/scenario"
)

// ErrDeadline means the schedule's not_after has passed (or would have,
// by the time the window next opens): nothing more may start.
var ErrDeadline = errors.New("schedule deadline passed")

// Gate holds a run until the schedule lets it act.
type Gate struct {
	StartAt  time.Time // zero: no start instant
	Window   *Window   // nil: no window
	NotAfter time.Time // zero: no deadline
	// Out receives a line when the run starts waiting and then about once a
	// minute, so a person at a terminal sees a countdown.
	Out io.Writer
	Log *zap.Logger
}

// FromScenario builds the gate a schedule describes; nil for immediate.
func FromScenario(s scenario.Schedule, out io.Writer, log *zap.Logger) (*Gate, error) {
	if s.Mode != scenario.ScheduleScheduled {
		return nil, nil
	}
	g := &Gate{Out: out, Log: log}
	if s.StartAt != nil {
		g.StartAt = s.StartAt.Time
	}
	if s.NotAfter != nil {
		g.NotAfter = s.NotAfter.Time
	}
	if w := s.Window; w != nil {
		win, err := ParseWindow(w.Days, w.Start, w.Duration.Duration, w.TimeZone)
		if err != nil {
			return nil, err
		}
		g.Window = &win
	}
	return g, nil
}

// WaitStart blocks until the run may take its first action.
func (g *Gate) WaitStart(ctx context.Context) error {
	if !g.StartAt.IsZero() {
		if !g.NotAfter.IsZero() && g.StartAt.After(g.NotAfter) {
			return fmt.Errorf("%w: start_at %s is after not_after %s", ErrDeadline, stamp(g.StartAt), stamp(g.NotAfter))
		}
		if err := g.waitUntil(ctx, g.StartAt, "start_at"); err != nil {
			return err
		}
	}
	return g.BeforeWave(ctx)
}

// BeforeWave implements execute.WaveGate: past not_after nothing starts;
// outside the window the run pauses until it opens again.
func (g *Gate) BeforeWave(ctx context.Context) error {
	now := time.Now()
	if !g.NotAfter.IsZero() && now.After(g.NotAfter) {
		return fmt.Errorf("%w: not_after %s", ErrDeadline, stamp(g.NotAfter))
	}
	if g.Window == nil {
		return nil
	}
	next := g.Window.Next(now)
	if !g.NotAfter.IsZero() && next.After(g.NotAfter) {
		return fmt.Errorf("%w: the window %s next opens at %s, after not_after %s", ErrDeadline, g.Window, stamp(next), stamp(g.NotAfter))
	}
	if next.After(now) {
		return g.waitUntil(ctx, next, "the window "+g.Window.String())
	}
	return nil
}

// waitUntil sleeps until t, printing a countdown about once a minute.
func (g *Gate) waitUntil(ctx context.Context, t time.Time, what string) error {
	first := true
	for {
		left := time.Until(t)
		if left <= 0 {
			return nil
		}
		if first {
			g.Log.Info("waiting for the schedule", zap.String("for", what), zap.Time("until", t), zap.Duration("left", left))
		}
		fmt.Fprintf(g.Out, "schedule: waiting for %s: %s (in %s)\n", what, stamp(t), left.Round(time.Second))
		first = false
		timer := time.NewTimer(min(left, time.Minute))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
