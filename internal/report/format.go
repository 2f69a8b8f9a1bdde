package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"gameday/internal/score"
)

// The renderers share these helpers so that a number reads the same in
// summary.md, junit.xml and report.html. Every one is deterministic: no map
// is iterated unsorted, no time is printed in the local zone.

// timeLayout is how absolute times are shown: UTC, to the second.
const timeLayout = "2006-01-02 15:04:05 UTC"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(timeLayout)
}

// offset formats t relative to the run's start: "+1:05", "+1:02:03".
func offset(start, t time.Time) string {
	d := t.Sub(start)
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	return sign + clock(d)
}

// clock formats a duration as m:ss or h:mm:ss, rounded to the second.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// dur formats seconds the way the terminal summary does (score.Round).
func dur(seconds float64) string { return secs(seconds) }

// durPtr formats an optional number of seconds, "-" when absent.
func durPtr(seconds *float64) string {
	if seconds == nil {
		return "-"
	}
	return dur(*seconds)
}

// shortDur formats a duration for axis labels: "45s", "2m", "1m30s", "1h".
func shortDur(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d == 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", d/time.Second)
	case d < time.Hour:
		m, s := d/time.Minute, (d%time.Minute)/time.Second
		if s == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	h, m := d/time.Hour, (d%time.Hour)/time.Minute
	if m == 0 {
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%02dm", h, m)
}

// percent formats an availability: two decimals, trailing zeros dropped.
func percent(v float64) string {
	s := strconv.FormatFloat(math.Round(v*100)/100, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}

func ms(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f ms", v)
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0") + " ms"
}

// statusTitle is the headline word of a status.
func statusTitle(status string) string {
	switch status {
	case StatusPassed:
		return "PASSED"
	case StatusFailed:
		return "FAILED"
	case StatusAborted:
		return "ABORTED"
	case StatusError:
		return "ERROR"
	case StatusRunning:
		return "UNFINISHED"
	case StatusDryRun:
		return "DRY RUN"
	}
	return strings.ToUpper(status)
}

// statusSentence explains a status in a few words.
func statusSentence(r *Report) string {
	switch r.Status {
	case StatusPassed:
		if r.Score.NoObjectives {
			return "the run completed; no objective was set"
		}
		return "every objective was met"
	case StatusFailed:
		missed := 0
		for _, o := range r.Score.Objectives {
			if !o.Met {
				missed++
			}
		}
		return fmt.Sprintf("%d of %d objectives missed", missed, len(r.Score.Objectives))
	case StatusRunning:
		return "the report still says running: the run did not finish (gameday runs and gameday recover tell more)"
	}
	if r.Reason != "" {
		return r.Reason
	}
	return r.Status
}

// scoreText is the score out of 100, or why there is none.
func scoreText(s score.Score) string {
	if s.NotScored {
		return "not scored"
	}
	return formatScore(s.Value) + "/100"
}

// waveLabel names a wave, with its phase when the run had phases.
func waveLabel(phase string, index int) string {
	if phase != "" {
		return fmt.Sprintf("%s/%d", phase, index)
	}
	return strconv.Itoa(index)
}

// countReasons groups reasons by how often they occur, most frequent first
// and then alphabetically.
func countReasons(reasons []string) []reasonCount {
	counts := map[string]int{}
	for _, r := range reasons {
		counts[r]++
	}
	out := make([]reasonCount, 0, len(counts))
	for reason, n := range counts {
		out = append(out, reasonCount{Reason: reason, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

type reasonCount struct {
	Reason string
	Count  int
}

func secondsDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
