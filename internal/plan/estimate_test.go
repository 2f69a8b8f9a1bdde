package plan

import (
	"testing"
	"time"

	"gameday/internal/fleet"
	"gameday/internal/scenario"
)

func TestEstimateFollowsEC2RateLimits(t *testing.T) {
	noWait := false
	s := simple(scenario.BlastRadius{All: true}, scenario.Waves{Count: 1, WaitForHealthy: &noWait,
		GateTimeout: scenario.Duration{Duration: 10 * time.Minute}})
	s.Action = scenario.Action{Type: scenario.ActionStopStart}
	p := build(t, s, zoneFleet(1000, 1000), 1)
	e := p.Estimate
	// 2,000 stops in 20 calls of 100: the stop bucket (1000, 20/s) lets the
	// 11th call go at 5 s and the 20th at 50 s. One assumed minute to stop.
	// Then 20 starts from 110 s: the start bucket (1000, 2/s) empties after
	// 10 calls and each further 100 instances wait 50 s: the last at 610 s.
	// Waves do not wait for health, but the run watches the last one
	// recover: + 2 m = 730 s.
	if e.Calls["StopInstances"] != 20 || e.Calls["StartInstances"] != 20 {
		t.Errorf("calls %v, want 20 stops and 20 starts", e.Calls)
	}
	if e.RateLimitWait != 550*time.Second {
		t.Errorf("rate-limit wait %v, want 550s", e.RateLimitWait)
	}
	if e.Typical != 730*time.Second {
		t.Errorf("typical %v, want 730s", e.Typical)
	}
}

func TestEstimateOfGatedWavesWithPhasesAndSchedule(t *testing.T) {
	s := simple(scenario.BlastRadius{Count: ptr(6)}, scenario.Waves{Count: 3,
		Interval: scenario.Duration{Duration: 30 * time.Second}, GateTimeout: scenario.Duration{Duration: 5 * time.Minute}})
	s.Verify.SteadyState = scenario.Duration{Duration: time.Minute}
	s.Verify.ObserveAfter = scenario.Duration{Duration: 2 * time.Minute}
	s.Phases = []scenario.Phase{{Name: "a"}, {Name: "b", After: &scenario.Duration{Duration: time.Minute}}}
	p, err := Build(Input{Scenario: s, Instances: [][]fleet.Instance{zoneFleet(6, 6), zoneFleet(6, 6)}, Seed: 1,
		Estimate: EstimateOptions{AssumedRecovery: 3 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	e := p.Estimate
	// Phase a: from the 1 m steady state, 3 waves of 3 m + 2 intervals of
	// 30 s = 10 m, ends at 11 m. Phase b starts 1 m after the start (at 2 m,
	// after steady state), also 10 m: ends at 12 m. Then 2 m observation.
	want := []PhaseTiming{{"a", time.Minute, 11 * time.Minute}, {"b", 2 * time.Minute, 12 * time.Minute}}
	if len(e.Phases) != 2 || e.Phases[0] != want[0] || e.Phases[1] != want[1] {
		t.Errorf("timeline %+v, want %+v", e.Phases, want)
	}
	if e.Typical != 14*time.Minute {
		t.Errorf("typical %v, want 14m", e.Typical)
	}
	// Worst: every gate runs its 5 m: 3*5 m + 1 m intervals, from 2 m: 18 m, + 2 m.
	if e.Worst != 20*time.Minute {
		t.Errorf("worst %v, want 20m", e.Worst)
	}
}
