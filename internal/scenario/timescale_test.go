package scenario

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTimeScaleDurationRounding(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
		f    float64
		want time.Duration
	}{
		{"half of 5m", 5 * time.Minute, 0.5, 150 * time.Second},
		{"a day at 1%", 24 * time.Hour, 0.01, 14*time.Minute + 24*time.Second},
		{"84h at 1e-5", 84 * time.Hour, 1e-5, 3024 * time.Millisecond},
		{"90s at 1%", 90 * time.Second, 0.01, 900 * time.Millisecond},
		// 3m x 1e-5 = 1.8 ms, to the nearest millisecond.
		{"rounds up", 3 * time.Minute, 1e-5, 2 * time.Millisecond},
		// 2m x 1e-5 = 1.2 ms.
		{"rounds down", 2 * time.Minute, 1e-5, time.Millisecond},
		// 30s x 1e-5 = 0.3 ms would round to 0: a delay stays a delay.
		{"never zero", 30 * time.Second, 1e-5, time.Millisecond},
		// 500 µs x 0.5 = 250 µs; 1 ms would lengthen it.
		{"never above the original", 500 * time.Microsecond, 0.5, 500 * time.Microsecond},
		{"zero stays zero", 0, 0.001, 0},
		{"identity", 1500 * time.Microsecond, 1, 1500 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scaleDuration(tt.d, tt.f); got != tt.want {
				t.Errorf("scaleDuration(%s, %g) = %s, want %s", tt.d, tt.f, got, tt.want)
			}
		})
	}
}

const timeScaleScenario = `apiVersion: gameday/v1
name: timeline
description: Three stages.
target: {region: us-east-1, tags: {app: web}, availability_zones: [us-east-1a]}
blast_radius: {percent: 10%}
action: {type: stop-start, stopped_for: 20m}
waves: {count: 2, interval: 2m, wait_for_healthy: false}
schedule:
  mode: scheduled
  window: {start: "02:00", duration: 4h}
  not_after: 2030-01-01T00:00:00Z
phases:
  - name: first
  - name: spreading
    after: 5m
    action: {type: force-stop-start, stopped_for: 10m}
    waves: {count: 3, interval: 90s, gate_timeout: 15m}
  - name: peak
    after_phase: spreading
verify:
  instance: {url: "http://{{.PrivateIP}}:8080/healthz", interval: 2s, timeout: 1s, max_latency: 500ms}
  services: [{name: shop, url: "https://shop.example.com/", interval: 5s}]
  steady_state: 1m
  observe_after: 15m
objectives: {recover_all_within: 10m, recovery_p95: 5m, recovery_max: 8m}
guardrails: {abort_below_availability: 95%, availability_window: 2m}
`

func TestTimeScaleScalesTheTimelineOnly(t *testing.T) {
	s, err := Parse("t.yaml", []byte(timeScaleScenario))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Scaled(0.1)
	if err != nil {
		t.Fatal(err)
	}
	scaled := []struct {
		what      string
		got, want time.Duration
	}{
		{"action.stopped_for", got.Action.StoppedFor.Duration, 2 * time.Minute},
		{"waves.interval", got.Waves.Interval.Duration, 12 * time.Second},
		{"verify.steady_state", got.Verify.SteadyState.Duration, 6 * time.Second},
		{"verify.observe_after", got.Verify.ObserveAfter.Duration, 90 * time.Second},
		{"phases[1].after", got.Phases[1].After.Duration, 30 * time.Second},
		{"phases[1].action.stopped_for", got.Phases[1].Action.StoppedFor.Duration, time.Minute},
		{"phases[1].waves.interval", got.Phases[1].Waves.Interval.Duration, 9 * time.Second},
		// Not the timeline: as written.
		{"phases[1].waves.gate_timeout", got.Phases[1].Waves.GateTimeout.Duration, 15 * time.Minute},
		{"waves.gate_timeout", got.Waves.GateTimeout.Duration, DefaultGateTimeout},
		{"verify.instance.interval", got.Verify.Instance.Interval.Duration, 2 * time.Second},
		{"verify.instance.timeout", got.Verify.Instance.Timeout.Duration, time.Second},
		{"verify.instance.max_latency", got.Verify.Instance.MaxLatency.Duration, 500 * time.Millisecond},
		{"verify.services[0].interval", got.Verify.Services[0].Interval.Duration, 5 * time.Second},
		{"objectives.recover_all_within", got.Objectives.RecoverAllWithin.Duration, 10 * time.Minute},
		{"objectives.recovery_p95", got.Objectives.RecoveryP95.Duration, 5 * time.Minute},
		{"objectives.recovery_max", got.Objectives.RecoveryMax.Duration, 8 * time.Minute},
		{"guardrails.availability_window", got.Guardrails.AvailabilityWindow.Duration, 2 * time.Minute},
		{"schedule.window.duration", got.Schedule.Window.Duration.Duration, 4 * time.Hour},
	}
	for _, c := range scaled {
		if c.got != c.want {
			t.Errorf("%s = %s, want %s", c.what, c.got, c.want)
		}
	}
	if got.Phases[0].After != nil || got.Phases[2].After != nil || got.Phases[2].AfterPhase != "spreading" {
		t.Errorf("phase starts changed: %+v", got.Phases)
	}
	if got.Schedule.Window.Start != "02:00" || !got.Schedule.NotAfter.Equal(s.Schedule.NotAfter.Time) {
		t.Errorf("schedule changed: %+v", got.Schedule)
	}
	if want := "Three stages. (timeline scaled by 0.1)"; got.Description != want {
		t.Errorf("description %q, want %q", got.Description, want)
	}

	// The original is untouched, pointers included.
	if s.Action.StoppedFor.Duration != 20*time.Minute || s.Phases[1].After.Duration != 5*time.Minute ||
		s.Phases[1].Action.StoppedFor.Duration != 10*time.Minute || s.Phases[1].Waves.Interval.Duration != 90*time.Second ||
		s.Verify.ObserveAfter.Duration != 15*time.Minute || s.Description != "Three stages." {
		t.Errorf("Scaled modified the original: %+v", s)
	}

	// Steps see the scaled phases.
	steps := got.Steps()
	if *steps[1].After != 30*time.Second || steps[1].Action.StoppedFor.Duration != time.Minute || steps[0].Action.StoppedFor.Duration != 2*time.Minute {
		t.Errorf("steps after scaling: %+v", steps)
	}
}

func TestTimeScaleOneIsTheScenarioUnchanged(t *testing.T) {
	s, err := Parse("t.yaml", []byte(timeScaleScenario))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Scaled(1)
	if err != nil {
		t.Fatal(err)
	}
	if got == s || got.Description != s.Description || got.Phases[1].After.Duration != 5*time.Minute || got.Verify.SteadyState.Duration != time.Minute {
		t.Errorf("Scaled(1) = %+v, want an unchanged copy", got)
	}
}

func TestTimeScaleRejectsFactorsOutsideZeroToOne(t *testing.T) {
	s, err := Parse("t.yaml", []byte(timeScaleScenario))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []float64{0, -0.5, 1.5, math.NaN(), math.Inf(1), math.Inf(-1)} {
		_, err := s.Scaled(f)
		if err == nil || !strings.Contains(err.Error(), "more than 0 and at most 1") {
			t.Errorf("Scaled(%g): err %v, want a range error", f, err)
		}
	}
}

// Every shipped scenario, scaled hard, still validates: scaling only
// shortens durations that may be zero.
func TestTimeScaleKeepsEveryShippedScenarioValid(t *testing.T) {
	files, _ := filepath.Glob("../../scenarios/*.yaml")
	library, _ := filepath.Glob("../../scenarios/library/*.yaml")
	files = append(files, library...)
	if len(files) == 0 {
		t.Fatal("no scenarios found")
	}
	for _, file := range files {
		s, err := Load(file)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, f := range []float64{0.5, 1e-3, 1e-9} {
			if _, err := s.Scaled(f); err != nil {
				t.Errorf("%s scaled by %g: %v", file, f, err)
			}
		}
	}
}
