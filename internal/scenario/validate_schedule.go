package scenario

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gameday/internal/strictyaml"
)

var scheduleModes = []string{ScheduleImmediate, ScheduleScheduled}

// weekdays are the day names a window takes, Monday first.
var weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

var clockPattern = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)

const maxWindow = 24 * time.Hour

func (v *validator) schedule(s Schedule) {
	v.oneOf("schedule.mode", "schedule mode", s.Mode, scheduleModes)
	if s.Mode == ScheduleScheduled {
		switch {
		case s.StartAt != nil && s.Window != nil:
			v.atKey("schedule.window", "set start_at or window, not both", "start_at is one instant; window recurs until not_after")
		case s.StartAt == nil && s.Window == nil:
			v.atKey("schedule", "mode scheduled needs start_at or window",
				fmt.Sprintf(`e.g. "start_at: %s" or "window: {days: [sat], start: \"02:00\", duration: 2h}"`, exampleTimestamp))
		}
	} else {
		v.onlyScheduled("schedule.start_at", s.StartAt != nil)
		v.onlyScheduled("schedule.window", s.Window != nil)
		v.onlyScheduled("schedule.not_after", s.NotAfter != nil)
	}
	if s.StartAt != nil && s.NotAfter != nil && !s.NotAfter.After(s.StartAt.Time) {
		v.atValue("schedule.not_after", fmt.Sprintf("must be after start_at (%s), got %s", s.StartAt, s.NotAfter), "")
	}
	if s.Window != nil {
		v.window("schedule.window", *s.Window)
	}
}

func (v *validator) onlyScheduled(path string, given bool) {
	if given {
		v.atKey(path, "only applies to mode: scheduled", "set schedule.mode: scheduled, or leave this out to start at once")
	}
}

func (v *validator) window(base string, w Window) {
	switch {
	case w.Start == "":
		v.atKey(base+".start", "required", `the local time the window opens, e.g. "02:00"`)
	case !clockPattern.MatchString(w.Start):
		v.atValue(base+".start", fmt.Sprintf(`expected a time of day "HH:MM" from 00:00 to 23:59, got %q`, w.Start), clockHint(w.Start))
	}
	switch d := w.Duration.Duration; {
	case d == 0 && !v.written(base+".duration"):
		v.atKey(base+".duration", "required", `how long the window stays open, e.g. "2h"`)
	case d <= 0:
		v.atValue(base+".duration", fmt.Sprintf("must be more than 0, got %s", d), "")
	case d > maxWindow:
		v.atValue(base+".duration", fmt.Sprintf("must be at most 24h, got %s", d), "a window opens at most once a day")
	}
	v.days(base+".days", w.Days)
	v.timeZone(base+".time_zone", w.TimeZone)
}

// clockHint proposes the two-digit form of "8:30".
func clockHint(text string) string {
	var h, m int
	if n, err := fmt.Sscanf(text, "%d:%d", &h, &m); err == nil && n == 2 && h >= 0 && h < 24 && m >= 0 && m < 60 {
		return fmt.Sprintf("write %q", fmt.Sprintf("%02d:%02d", h, m))
	}
	return ""
}

func (v *validator) days(path string, days []string) {
	notEmpty(v, path, days, "day")
	v.duplicates(path, days, "day")
	for i, day := range days {
		if !slices.Contains(weekdays, day) {
			v.atValue(strictyaml.JoinIndex(path, i), fmt.Sprintf("unknown day %q", day), dayHint(day))
		}
	}
}

// dayHint maps "Monday", "MON" and the like to "mon".
func dayHint(day string) string {
	lower := strings.ToLower(day)
	for _, d := range weekdays {
		if lower == d || len(lower) > 3 && strings.HasPrefix(lower, d) && strings.HasSuffix(lower, "day") {
			return fmt.Sprintf("write %q; days are %s", d, strings.Join(weekdays, ", "))
		}
	}
	return "days are " + strings.Join(weekdays, ", ")
}

func (v *validator) timeZone(path, name string) {
	const example = `use an IANA name such as "Europe/Paris" or "America/New_York"`
	switch name {
	case "":
		v.atValue(path, "time zone cannot be empty", example+`, or leave time_zone out for UTC`)
		return
	case "Local":
		v.atValue(path, `time zone "Local" depends on the machine running gameday`, example)
		return
	}
	if _, err := time.LoadLocation(name); err != nil {
		v.atValue(path, fmt.Sprintf("unknown time zone %q", name), example)
	}
}
