// Package progress shows a run as it goes. On a terminal it redraws one
// status line a few times a second:
//
//	wave 2/3 [=======>  ] 7/10 acted · healthy 58/63 · availability 99.2% · elapsed 1m12s · ETA 2m30s
//
// Elsewhere (CI logs, pipes, tests) it never redraws and writes no escape
// sequence: the run's own lines go through untouched, plus at most one
// plain line every 30 s while a health gate holds the run quiet.
package progress

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Status is one moment of a run, as the status line shows it.
type Status struct {
	// Phase names the current phase; it is shown when MultiPhase.
	Phase      string
	MultiPhase bool
	// Wave is the current wave (1-based) of Waves in its phase; 0 before
	// the first wave started.
	Wave, Waves int
	// Acted counts the current wave's instances acted on so far, of Size.
	Acted, Size int
	// Recovered counts the acted-on instances of the current wave that
	// recovered.
	Recovered int
	// Waiting: the run is holding on a health gate.
	Waiting bool
	// WaveElapsed is the time since the current wave started.
	WaveElapsed time.Duration
	// Healthy of Monitored instances answer their health probe; Monitored
	// is 0 when no instance is probed.
	Healthy, Monitored int
	// Availability is the lowest availability so far of the services
	// probed, in percent; HasAvailability is false when none was probed.
	Availability    float64
	HasAvailability bool
	// Elapsed is the time since the run began executing.
	Elapsed time.Duration
	// ETA is the time left; negative when unknown (see ETA).
	ETA time.Duration
}

// BarWidth is the number of cells between the brackets of the bar.
const BarWidth = 10

// Line renders the status line, cut to fit width columns (0: no limit).
// It holds no escape sequence: the Display positions it.
func Line(s Status, width int) string {
	var parts []string
	if s.Wave == 0 {
		parts = append(parts, "before the first wave")
	} else {
		parts = append(parts, fmt.Sprintf("%s %s %d/%d acted", label(s), Bar(s.Acted, s.Size, BarWidth), s.Acted, s.Size))
	}
	if s.Monitored > 0 {
		parts = append(parts, fmt.Sprintf("healthy %d/%d", s.Healthy, s.Monitored))
	}
	if s.HasAvailability {
		parts = append(parts, fmt.Sprintf("availability %.1f%%", s.Availability))
	}
	parts = append(parts, "elapsed "+Duration(s.Elapsed))
	if s.ETA >= 0 {
		parts = append(parts, "ETA "+Duration(s.ETA))
	}
	return truncate(strings.Join(parts, " · "), width)
}

// Plain renders the line written, without a terminal, while a gate holds
// the run: "wave 2/3: waiting for health, 7/10 recovered, 1m0s elapsed"
// (elapsed since the wave started).
func Plain(s Status) string {
	return fmt.Sprintf("%s: waiting for health, %d/%d recovered, %s elapsed", label(s), s.Recovered, s.Acted, Duration(s.WaveElapsed))
}

// label names the wave as the run's plain lines do.
func label(s Status) string {
	if s.MultiPhase {
		return fmt.Sprintf("phase %s, wave %d/%d", s.Phase, s.Wave, s.Waves)
	}
	return fmt.Sprintf("wave %d/%d", s.Wave, s.Waves)
}

// Bar draws done of total in width cells: "[=======>  ]", full "[==========]".
func Bar(done, total, width int) string {
	n := width
	if total > 0 && done < total {
		n = max(0, done) * width / total
	}
	if n >= width {
		return "[" + strings.Repeat("=", width) + "]"
	}
	return "[" + strings.Repeat("=", n) + ">" + strings.Repeat(" ", width-n-1) + "]"
}

// Duration rounds d to the second: 1m12s, 0s.
func Duration(d time.Duration) string {
	return max(0, d).Round(time.Second).String()
}

// truncate cuts s to fewer than width runes: a line that reached the last
// column would wrap on some terminals, and a wrapped line cannot be
// redrawn in place.
func truncate(s string, width int) string {
	if width <= 1 || utf8.RuneCountInString(s) < width {
		return s
	}
	r := []rune(s)
	return string(r[:width-1])
}

// Timing is what the ETA is computed from.
type Timing struct {
	// Estimate is the plan's typical duration of the whole execution
	// (plan.Estimate.Typical); 0 when unknown.
	Estimate time.Duration
	// Tail is the fixed time the run keeps watching after its last wave
	// (verify.observe_after).
	Tail time.Duration
	// Elapsed is the time since the execution began.
	Elapsed time.Duration
	// WavesDone of WavesTotal waves finished, over all phases.
	WavesDone, WavesTotal int
	// Span runs from the start of the first wave to the end of the last
	// finished one; SinceLast from that end to now.
	Span, SinceLast time.Duration
}

// ETA estimates the time left, negative when it cannot.
//
// Until a wave has finished, only the plan knows: the estimate minus the
// time elapsed (it assumes a recovery time, so it is rough; a schedule
// window that delays the start makes it run out early).
//
// Once waves have finished, the run's own pace is better: the remaining
// waves times the mean time per finished wave (Span / WavesDone, which
// counts the intervals between waves), plus the tail, minus the time
// already spent since the last wave ended. Phases that overlap in time make
// this an overestimate: it assumes the waves run one after another.
//
// The result never goes below zero.
func ETA(t Timing) time.Duration {
	if t.WavesDone <= 0 {
		if t.Estimate <= 0 {
			return -1
		}
		return max(0, t.Estimate-t.Elapsed)
	}
	mean := t.Span / time.Duration(t.WavesDone)
	left := mean*time.Duration(max(0, t.WavesTotal-t.WavesDone)) + t.Tail - t.SinceLast
	return max(0, left)
}
