package fis

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// FormatDuration writes d as the ISO 8601 duration FIS parameters take:
// PT2M, PT1H30M, PT1M30S. Fractions of a second round up (a wait is never
// shorter than asked); zero is PT0S.
func FormatDuration(d time.Duration) string {
	secs := int64((d + time.Second - 1) / time.Second)
	if d <= 0 {
		secs = 0
	}
	h, m, s := secs/3600, secs%3600/60, secs%60
	out := "PT"
	if h > 0 {
		out += strconv.FormatInt(h, 10) + "H"
	}
	if m > 0 {
		out += strconv.FormatInt(m, 10) + "M"
	}
	if s > 0 || secs == 0 {
		out += strconv.FormatInt(s, 10) + "S"
	}
	return out
}

var isoDuration = regexp.MustCompile(`^PT(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+)S)?$`)

// ParseDuration reads the subset of ISO 8601 durations FormatDuration
// writes (hours, minutes and whole seconds).
func ParseDuration(s string) (time.Duration, error) {
	m := isoDuration.FindStringSubmatch(s)
	if m == nil || s == "PT" {
		return 0, fmt.Errorf("fis: %q is not an ISO 8601 duration like PT2M", s)
	}
	var d time.Duration
	for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second} {
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.ParseInt(m[i+1], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("fis: %q: %w", s, err)
		}
		d += time.Duration(n) * unit
	}
	return d, nil
}

// boundedDuration formats d for a parameter that takes 1 minute to 12
// hours, and says what it changed to fit.
func boundedDuration(d time.Duration, what string) (string, string) {
	switch {
	case d < MinDuration:
		return FormatDuration(MinDuration), fmt.Sprintf("%s is %s, below FIS's 1-minute minimum: exported as %s", what, d, FormatDuration(MinDuration))
	case d > MaxDuration:
		return FormatDuration(MaxDuration), fmt.Sprintf("%s is %s, above FIS's 12-hour maximum: exported as %s", what, d, FormatDuration(MaxDuration))
	}
	return FormatDuration(d), ""
}
