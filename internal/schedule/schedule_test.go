package schedule

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
)

func mustWindow(t *testing.T, days []string, start string, d time.Duration, zone string) Window {
	t.Helper()
	w, err := ParseWindow(days, start, d, zone)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWindowOpenAndNext(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	// Saturday and Sunday 22:00 for 4 h: crosses midnight.
	w := mustWindow(t, []string{"sat", "sun"}, "22:00", 4*time.Hour, "Europe/Paris")
	tests := []struct {
		now      string
		open     bool
		next     string
		closesAt string
	}{
		{"2026-11-28 21:59", false, "2026-11-28 22:00", ""}, // a Saturday
		{"2026-11-28 22:00", true, "2026-11-28 22:00", "2026-11-29 02:00"},
		{"2026-11-29 01:30", true, "2026-11-29 01:30", "2026-11-29 02:00"}, // Saturday's, past midnight
		{"2026-11-29 02:00", false, "2026-11-29 22:00", ""},
		{"2026-11-30 03:00", false, "2026-12-05 22:00", ""}, // Monday: next Saturday
	}
	for _, tt := range tests {
		open, closes := w.Open(at(tt.now))
		if open != tt.open || (tt.open && !closes.Equal(at(tt.closesAt))) {
			t.Errorf("Open(%s) = %v, %v; want %v, %s", tt.now, open, closes, tt.open, tt.closesAt)
		}
		if got := w.Next(at(tt.now)); !got.Equal(at(tt.next)) {
			t.Errorf("Next(%s) = %s, want %s", tt.now, got.In(paris), tt.next)
		}
	}
}

func TestWindowFollowsLocalClocksAcrossDaylightSaving(t *testing.T) {
	// Europe/Paris leaves summer time on 2026-10-25: 02:00 local is 00:00
	// UTC the day before and 01:00 UTC after.
	w := mustWindow(t, nil, "02:00", time.Hour, "Europe/Paris")
	before := w.Next(time.Date(2026, 10, 23, 12, 0, 0, 0, time.UTC))
	after := w.Next(time.Date(2026, 10, 26, 12, 0, 0, 0, time.UTC))
	if before.UTC().Hour() != 0 || after.UTC().Hour() != 1 {
		t.Errorf("02:00 Paris = %s UTC before and %s UTC after the change, want 00:00 and 01:00", before.UTC(), after.UTC())
	}
}

func TestGateWaitsForTheWindowAndStopsAtTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now().UTC()
		opens := now.Add(90 * time.Minute).Truncate(time.Minute)
		w := mustWindow(t, nil, opens.Format("15:04"), time.Hour, "UTC")
		var out bytes.Buffer
		g := &Gate{Window: &w, Out: &out, Log: zap.NewNop()}
		if err := g.WaitStart(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := time.Now(); got.Before(opens) || got.After(opens.Add(time.Second)) {
			t.Errorf("started at %s, want when the window opens, %s", got, opens)
		}
		if lines := strings.Count(out.String(), "\n"); lines < 80 || lines > 95 {
			t.Errorf("%d countdown lines for a 90-minute wait, want about one a minute", lines)
		}
		// Inside the window: no wait. After it: pause until tomorrow,
		// unless not_after comes first.
		if err := g.BeforeWave(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour)
		g.NotAfter = time.Now().Add(2 * time.Hour)
		if err := g.BeforeWave(t.Context()); !errors.Is(err, ErrDeadline) {
			t.Errorf("BeforeWave after the window, next one past not_after: %v, want ErrDeadline", err)
		}
	})
}

func TestStartAtAfterNotAfterIsRefused(t *testing.T) {
	g := &Gate{StartAt: time.Now().Add(time.Hour), NotAfter: time.Now(), Out: &bytes.Buffer{}, Log: zap.NewNop()}
	if err := g.WaitStart(t.Context()); !errors.Is(err, ErrDeadline) {
		t.Errorf("err %v, want ErrDeadline", err)
	}
}
