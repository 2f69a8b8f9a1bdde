// Package schedule decides when a run may act: at once, from a start
// instant, or only inside a recurring maintenance window, and never after a
// deadline. Window arithmetic is pure and works in the window's own time
// zone, so daylight-saving changes move the window with local clocks.
package schedule

import (
	"fmt"
	"strings"
	"time"
)

// Window is a recurring maintenance window: it opens at Hour:Minute local
// time on the allowed days and stays open for Duration (at most 24 h, so
// it may run past midnight into the next day).
type Window struct {
	// Days allowed; empty means every day.
	Days     []time.Weekday
	Hour     int
	Minute   int
	Duration time.Duration
	Loc      *time.Location
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseWindow builds a window from a scenario's fields (already validated
// there; errors here guard against code that skipped validation).
func ParseWindow(days []string, start string, d time.Duration, zone string) (Window, error) {
	w := Window{Duration: d}
	for _, name := range days {
		wd, ok := weekdays[strings.ToLower(name)]
		if !ok {
			return Window{}, fmt.Errorf("schedule: unknown day %q", name)
		}
		w.Days = append(w.Days, wd)
	}
	if _, err := fmt.Sscanf(start, "%d:%d", &w.Hour, &w.Minute); err != nil || w.Hour > 23 || w.Minute > 59 {
		return Window{}, fmt.Errorf("schedule: window start %q is not HH:MM", start)
	}
	if zone == "" {
		zone = "UTC"
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return Window{}, fmt.Errorf("schedule: time zone %q: %w", zone, err)
	}
	w.Loc = loc
	if d <= 0 || d > 24*time.Hour {
		return Window{}, fmt.Errorf("schedule: window duration %s must be in (0, 24h]", d)
	}
	return w, nil
}

// Open reports whether t falls inside an occurrence of the window, and
// when that occurrence closes.
func (w Window) Open(t time.Time) (bool, time.Time) {
	local := t.In(w.Loc)
	// An occurrence that opened yesterday may still be open.
	for back := 1; back >= 0; back-- {
		start, ok := w.occurrence(local.AddDate(0, 0, -back))
		if ok && !t.Before(start) && t.Before(start.Add(w.Duration)) {
			return true, start.Add(w.Duration)
		}
	}
	return false, time.Time{}
}

// Next returns the next time at or after t when the window is open: t
// itself when it is open now.
func (w Window) Next(t time.Time) time.Time {
	if open, _ := w.Open(t); open {
		return t
	}
	local := t.In(w.Loc)
	for ahead := 0; ahead <= 8; ahead++ {
		if start, ok := w.occurrence(local.AddDate(0, 0, ahead)); ok && !start.Before(t) {
			return start
		}
	}
	return time.Time{} // unreachable: every window has at least one day a week
}

// occurrence is the opening on the calendar day of day, if allowed.
func (w Window) occurrence(day time.Time) (time.Time, bool) {
	if len(w.Days) > 0 && !contains(w.Days, day.Weekday()) {
		return time.Time{}, false
	}
	return time.Date(day.Year(), day.Month(), day.Day(), w.Hour, w.Minute, 0, 0, w.Loc), true
}

// String describes the window for people: "sat,sun 02:00 for 4h0m0s (Europe/Paris)".
func (w Window) String() string {
	days := "every day"
	if len(w.Days) > 0 {
		names := make([]string, len(w.Days))
		for i, d := range w.Days {
			names[i] = strings.ToLower(d.String()[:3])
		}
		days = strings.Join(names, ",")
	}
	return fmt.Sprintf("%s %02d:%02d for %s (%s)", days, w.Hour, w.Minute, w.Duration, w.Loc)
}

func contains(days []time.Weekday, d time.Weekday) bool {
	for _, x := range days {
		if x == d {
			return true
		}
	}
	return false
}
