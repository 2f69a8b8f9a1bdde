package scenario

import (
	"maps"
	"time"
)

// Defaults for the settings a scenario may leave out.
const (
	DefaultWaveCount     = 1
	DefaultGateTimeout   = 10 * time.Minute
	DefaultProbeInterval = 2 * time.Second
	DefaultProbeTimeout  = time.Second
	DefaultExpectStatus  = 200
)

// ApplyDefaults fills the zero-valued settings of a scenario built in code.
// Parse applies defaults itself, and only to settings the file leaves out.
func (s *Scenario) ApplyDefaults() {
	applyDefaults(s, func(string) bool { return false })
}

// applyDefaults fills settings that are zero and were not written; written
// reports whether a path appears in the file. An explicit zero such as
// "count: 0" is kept, so that validation rejects it instead of silently
// turning it into the default.
func applyDefaults(s *Scenario, written func(path string) bool) {
	unset := func(path string, zero bool) bool { return zero && !written(path) }

	w := &s.Waves
	if unset("waves.count", w.Count == 0) {
		w.Count = DefaultWaveCount
	}
	if w.WaitForHealthy == nil {
		wait := true
		w.WaitForHealthy = &wait
	}
	if unset("waves.gate_timeout", w.GateTimeout.Duration == 0) {
		w.GateTimeout.Duration = DefaultGateTimeout
	}
	if p := s.Verify.Instance; p != nil {
		if unset("verify.instance.interval", p.Interval.Duration == 0) {
			p.Interval.Duration = DefaultProbeInterval
		}
		if unset("verify.instance.timeout", p.Timeout.Duration == 0) {
			p.Timeout.Duration = DefaultProbeTimeout
		}
		if unset("verify.instance.expect_status", p.ExpectStatus == 0) {
			p.ExpectStatus = DefaultExpectStatus
		}
	}
	if s.Guardrails.RequireTag == nil {
		// A copy: a scenario must never be able to change the default.
		s.Guardrails.RequireTag = maps.Clone(DefaultRequireTag)
	}
}
