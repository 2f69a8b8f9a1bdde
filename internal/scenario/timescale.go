package scenario

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// TimeScaleScope names, for help texts and logs, the settings Scaled
// multiplies: the durations that describe the incident's timeline.
const TimeScaleScope = "phase after offsets, action stopped_for, waves interval, verify steady_state and observe_after"

// TimeScaleUnscaled names what Scaled leaves as written: the durations that
// describe the fleet, the probes and the judgement of the run, and the
// schedule, which is wall-clock time.
const TimeScaleUnscaled = "probe intervals, timeouts and max_latency, waves gate_timeout, objectives, guardrails availability_window, and the schedule"

// Scaled returns a copy of the scenario whose timeline is multiplied by f,
// 0 < f <= 1, so that an incident that unfolded over hours or days can be
// replayed in minutes on a staging fleet (gameday run --time-scale).
//
// Scaled: every phase's after, every action's stopped_for (top level and
// phases), every waves interval (top level and phases), and
// verify.steady_state and verify.observe_after. Not scaled: probe intervals,
// timeouts and max_latency, gate_timeout, the recovery objectives and the
// availability_window of the guardrail: they describe how fast the fleet
// recovers and how it is watched, which a compressed incident does not
// change. The schedule is wall-clock time (start_at, window and not_after)
// and is kept as written.
//
// A scaled duration is rounded to the millisecond. A duration that was not
// zero never becomes zero: it is at least 1 ms, or what was written when
// that was shorter. Zero stays zero. With f = 1 the copy is the scenario
// unchanged; otherwise its description notes the factor, so that the run's
// output and report say the timeline was compressed.
//
// The copy shares the sections it does not scale with s; neither is
// modified. The result is validated again.
func (s *Scenario) Scaled(f float64) (*Scenario, error) {
	if math.IsNaN(f) || f <= 0 || f > 1 {
		return nil, fmt.Errorf("time scale must be more than 0 and at most 1, got %s", FormatTimeScale(f))
	}
	c := *s
	if f == 1 {
		return &c, nil
	}
	scale := func(d *Duration) { d.Duration = scaleDuration(d.Duration, f) }
	scale(&c.Action.StoppedFor)
	scale(&c.Waves.Interval)
	scale(&c.Verify.SteadyState)
	scale(&c.Verify.ObserveAfter)
	c.Phases = slices.Clone(s.Phases)
	for i := range c.Phases {
		p := &c.Phases[i]
		if p.After != nil {
			after := *p.After
			scale(&after)
			p.After = &after
		}
		if p.Action != nil {
			action := *p.Action
			scale(&action.StoppedFor)
			p.Action = &action
		}
		if p.Waves != nil {
			waves := *p.Waves
			scale(&waves.Interval)
			p.Waves = &waves
		}
	}
	note := fmt.Sprintf("(timeline scaled by %s)", FormatTimeScale(f))
	if c.Description == "" {
		c.Description = note
	} else {
		c.Description += " " + note
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("scenario %s scaled by %s: %w", s.Name, FormatTimeScale(f), err)
	}
	return &c, nil
}

// FormatTimeScale writes a factor the shortest way that reads back the
// same: 0.01, 1e-05.
func FormatTimeScale(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// scaleDuration multiplies d by f (0 < f <= 1) and rounds to the
// millisecond; a non-zero d stays at least min(d, 1ms).
func scaleDuration(d time.Duration, f float64) time.Duration {
	if d <= 0 {
		return d
	}
	scaled := time.Duration(math.Round(float64(d) * f)).Round(time.Millisecond)
	return min(d, max(scaled, time.Millisecond))
}
