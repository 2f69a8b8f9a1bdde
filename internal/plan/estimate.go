package plan

import (
	"fmt"
	"time"

	"gameday/internal/ratelimit"
	"gameday/internal/scenario"
)

// Defaults of EstimateOptions, and what the estimate assumes about EC2.
const (
	DefaultAssumedRecovery = 2 * time.Minute
	DefaultBatchSize       = 100
	// AssumedStopTime is how long an instance takes from StopInstances to
	// stopped: tens of seconds as people observe it, rounded up.
	AssumedStopTime = time.Minute
)

// EstimateOptions tune the duration estimate.
type EstimateOptions struct {
	// AssumedRecovery is the time from an instance's reboot (or start) to
	// healthy, which only a run can measure.
	AssumedRecovery time.Duration
	// BatchSize is how many instance ids go in one mutating call.
	BatchSize int
}

// Estimate is how long the plan should take. Typical assumes every wave
// recovers in AssumedRecovery; Worst that every health gate runs to its
// timeout. Both include the waits EC2's rate limits impose on the calls.
type Estimate struct {
	AssumedRecovery time.Duration
	Typical         time.Duration
	Worst           time.Duration
	// RateLimitWait is how long calls wait for EC2 tokens (typical timeline).
	RateLimitWait time.Duration
	// Calls counts mutating calls per operation.
	Calls  map[string]int
	Phases []PhaseTiming
	Notes  []string
}

// PhaseTiming places a phase on the run's typical timeline.
type PhaseTiming struct {
	Name       string
	Start, End time.Duration
}

func estimate(p *Plan, s *scenario.Scenario, opts EstimateOptions) Estimate {
	if opts.AssumedRecovery <= 0 {
		opts.AssumedRecovery = DefaultAssumedRecovery
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	// A gate never waits longer than its timeout, whatever the recovery.
	typical := newTimeline(s, opts.BatchSize, func(st scenario.Step) time.Duration {
		return min(opts.AssumedRecovery, st.Waves.GateTimeout.Duration)
	})
	typical.run(p)
	// A wave that waits for health ends by its gate's timeout at the latest.
	worst := newTimeline(s, opts.BatchSize, func(st scenario.Step) time.Duration { return st.Waves.GateTimeout.Duration })
	worst.run(p)
	e := Estimate{
		AssumedRecovery: opts.AssumedRecovery,
		Typical:         typical.total, Worst: worst.total,
		RateLimitWait: typical.wait, Calls: typical.calls, Phases: typical.phases,
	}
	e.Notes = scheduleNotes(s.Schedule, e.Typical)
	return e
}

// timeline walks the plan in virtual time against EC2's token buckets.
type timeline struct {
	s        *scenario.Scenario
	batch    int
	recovery func(scenario.Step) time.Duration
	ledger   *ratelimit.Ledger
	ends     map[string]time.Duration
	phases   []PhaseTiming
	calls    map[string]int
	wait     time.Duration
	total    time.Duration
}

func newTimeline(s *scenario.Scenario, batch int, recovery func(scenario.Step) time.Duration) *timeline {
	return &timeline{s: s, batch: batch, recovery: recovery, ledger: ratelimit.NewLedger(),
		ends: map[string]time.Duration{}, calls: map[string]int{}}
}

func (t *timeline) run(p *Plan) {
	origin := t.s.Verify.SteadyState.Duration
	for _, ph := range p.Phases {
		start := origin
		if ph.Step.After != nil {
			start += *ph.Step.After
		} else {
			start = t.ends[ph.Step.AfterPhase]
		}
		end := t.phase(ph, start)
		t.ends[ph.Name] = end
		t.phases = append(t.phases, PhaseTiming{Name: ph.Name, Start: start, End: end})
		t.total = max(t.total, end)
	}
	t.total += t.s.Verify.ObserveAfter.Duration
}

// phase returns when the phase ends if it starts at start.
func (t *timeline) phase(ph *Phase, start time.Duration) time.Duration {
	now := start
	w := ph.Step.Waves
	for i, wave := range ph.Waves {
		if i > 0 {
			now += w.Interval.Duration
		}
		inFlight := len(wave.Instances)
		if w.MaxInFlight > 0 {
			inFlight = min(inFlight, w.MaxInFlight)
		}
		for left := len(wave.Instances); left > 0; left -= inFlight {
			now = t.act(ph.Step, min(left, inFlight), now)
		}
	}
	if !w.WaitsForHealthy() && len(ph.Waves) > 0 && ph.Step.Action.Type != scenario.ActionStop {
		now += t.recovery(ph.Step) // the run still watches the last wave recover
	}
	return now
}

// act is one group of n instances going through the action; it returns
// when the group is done (healthy again, when waves wait for health).
func (t *timeline) act(st scenario.Step, n int, now time.Duration) time.Duration {
	wait := st.Waves.WaitsForHealthy()
	switch st.Action.Type {
	case scenario.ActionReboot:
		now = t.call(ratelimit.OpReboot, n, now)
	case scenario.ActionStop:
		now = t.call(ratelimit.OpStop, n, now)
		if wait {
			now += AssumedStopTime
		}
		return now
	default: // stop-start, force-stop-start
		now = t.call(ratelimit.OpStop, n, now)
		now += AssumedStopTime + st.Action.StoppedFor.Duration
		now = t.call(ratelimit.OpStart, n, now)
	}
	if wait {
		now += t.recovery(st)
	}
	return now
}

func (t *timeline) call(op string, n int, now time.Duration) time.Duration {
	for _, c := range ratelimit.CallsFor(op, n, t.batch) {
		at := t.ledger.Reserve(now, c)
		t.wait += at - now
		now = at
		t.calls[op]++
	}
	return now
}

func scheduleNotes(s scenario.Schedule, typical time.Duration) []string {
	switch {
	case s.Mode != scenario.ScheduleScheduled:
		return nil
	case s.StartAt != nil:
		return []string{fmt.Sprintf("starts at %s", s.StartAt.UTC().Format(time.RFC3339))}
	case s.Window != nil:
		win := s.Window
		note := fmt.Sprintf("runs inside the window %s %s for %s (%s)", daysText(win.Days), win.Start, win.Duration, win.TimeZone)
		if d := win.Duration.Duration; d > 0 && typical > d {
			note += fmt.Sprintf("; at the typical pace it needs about %d windows: waves pause when a window closes", ceilDiv(int(typical), int(d)))
		}
		return []string{note}
	}
	return nil
}

func daysText(days []string) string {
	if len(days) == 0 {
		return "every day"
	}
	out := ""
	for i, d := range days {
		if i > 0 {
			out += ","
		}
		out += d
	}
	return out
}
