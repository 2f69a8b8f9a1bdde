package scenario

import (
	"maps"
	"time"

	_ "time/tzdata" // time zones load on machines without a zoneinfo database

	"gameday/internal/strictyaml"
)

// Defaults for the settings a scenario may leave out.
const (
	DefaultWaveCount          = 1
	DefaultOrder              = OrderRandom
	DefaultGateTimeout        = 10 * time.Minute
	DefaultOnGateTimeout      = OnGateTimeoutAbort
	DefaultScheduleMode       = ScheduleImmediate
	DefaultTimeZone           = "UTC"
	DefaultProbeType          = ProbeHTTP
	DefaultProbeInterval      = 2 * time.Second
	DefaultProbeTimeout       = time.Second
	DefaultExpectStatus       = 200
	DefaultAvailabilityWindow = time.Minute
	// DefaultState is the instance state a target selects unless it names
	// others.
	DefaultState = "running"
)

// ApplyDefaults fills the zero-valued settings of a scenario built in code.
// Parse applies defaults itself, and only to settings the file leaves out.
func (s *Scenario) ApplyDefaults() {
	applyDefaults(s, func(string) bool { return false })
}

// defaulter fills settings that are zero and were not written; written
// reports whether a path appears in the file. An explicit zero such as
// "count: 0" is kept, so that validation rejects it instead of silently
// turning it into the default.
type defaulter struct {
	written func(path string) bool
}

func (d defaulter) unset(path string, zero bool) bool { return zero && !d.written(path) }

func applyDefaults(s *Scenario, written func(path string) bool) {
	d := defaulter{written: written}
	d.target("target", &s.Target)
	d.waves("waves", &s.Waves)
	for i := range s.Phases {
		p, base := &s.Phases[i], strictyaml.JoinIndex("phases", i)
		if p.Target != nil {
			d.target(base+".target", p.Target)
		}
		if p.Waves != nil {
			d.waves(base+".waves", p.Waves)
		}
	}
	d.schedule(&s.Schedule)
	d.verify(&s.Verify)
	d.guardrails(&s.Guardrails)
}

func (d defaulter) target(base string, t *Target) {
	if d.unset(base+".states", t.States == nil) {
		t.States = []string{DefaultState}
	}
}

func (d defaulter) waves(base string, w *Waves) {
	given := d.written(base+".count") || d.written(base+".size") || d.written(base+".percent") ||
		w.Count != 0 || w.Size != 0 || w.Percent != nil
	if !given {
		w.Count = DefaultWaveCount
	}
	if d.unset(base+".order", w.Order == "") {
		w.Order = DefaultOrder
	}
	if w.WaitForHealthy == nil {
		wait := true
		w.WaitForHealthy = &wait
	}
	if d.unset(base+".gate_timeout", w.GateTimeout.Duration == 0) {
		w.GateTimeout.Duration = DefaultGateTimeout
	}
	if d.unset(base+".on_gate_timeout", w.OnGateTimeout == "") {
		w.OnGateTimeout = DefaultOnGateTimeout
	}
}

func (d defaulter) schedule(s *Schedule) {
	if d.unset("schedule.mode", s.Mode == "") {
		s.Mode = DefaultScheduleMode
	}
	if w := s.Window; w != nil && d.unset("schedule.window.time_zone", w.TimeZone == "") {
		w.TimeZone = DefaultTimeZone
	}
}

func (d defaulter) verify(v *Verify) {
	if p := v.Instance; p != nil {
		const base = "verify.instance"
		if d.unset(base+".type", p.Type == "") {
			p.Type = DefaultProbeType
		}
		d.timing(base, &p.Interval, &p.Timeout)
		if p.Type == ProbeHTTP && d.unset(base+".expect_status", p.ExpectStatus == 0) {
			p.ExpectStatus = DefaultExpectStatus
		}
	}
	for i := range v.Services {
		p, base := &v.Services[i], strictyaml.JoinIndex("verify.services", i)
		d.timing(base, &p.Interval, &p.Timeout)
		if d.unset(base+".expect_status", p.ExpectStatus == 0) {
			p.ExpectStatus = DefaultExpectStatus
		}
	}
}

func (d defaulter) timing(base string, interval, timeout *Duration) {
	if d.unset(base+".interval", interval.Duration == 0) {
		interval.Duration = DefaultProbeInterval
	}
	if d.unset(base+".timeout", timeout.Duration == 0) {
		timeout.Duration = DefaultProbeTimeout
	}
}

func (d defaulter) guardrails(g *Guardrails) {
	if d.unset("guardrails.availability_window", g.AvailabilityWindow.Duration == 0) {
		g.AvailabilityWindow.Duration = DefaultAvailabilityWindow
	}
	if g.RequireTag == nil {
		// A copy: a scenario must never be able to change the default.
		g.RequireTag = maps.Clone(DefaultRequireTag)
	}
}
