package scenario

import (
	"errors"
	"fmt"
	"time"

	"gameday/internal/strictyaml"
)

const maxWaves = 1000

func (v *validator) waves(w Waves) {
	if w.Count < 1 || w.Count > maxWaves {
		v.atValue("waves.count", fmt.Sprintf("must be between 1 and %d, got %d", maxWaves, w.Count), "")
	}
	v.notNegative("waves.interval", w.Interval.Duration)
	v.positive("waves.gate_timeout", w.GateTimeout.Duration)
}

func (v *validator) notNegative(path string, d time.Duration) {
	if d < 0 {
		v.atValue(path, fmt.Sprintf("must not be negative, got %s", d), "")
	}
}

func (v *validator) positive(path string, d time.Duration) {
	if d <= 0 {
		v.atValue(path, fmt.Sprintf("must be more than 0, got %s", d), "")
	}
}

func (v *validator) verify(s *Scenario) {
	p := s.Verify.Instance
	if p == nil {
		if s.Waves.WaitsForHealthy() {
			v.atKey("verify.instance", "required when waves.wait_for_healthy is true, which is the default",
				"add verify.instance.url, or set waves.wait_for_healthy: false")
		}
		return
	}
	v.positive("verify.instance.interval", p.Interval.Duration)
	v.positive("verify.instance.timeout", p.Timeout.Duration)
	if p.ExpectStatus < 100 || p.ExpectStatus > 599 {
		v.atValue("verify.instance.expect_status", fmt.Sprintf("must be between 100 and 599, got %d", p.ExpectStatus), "")
	}
	if p.URL == "" {
		v.atKey("verify.instance.url", "required", `e.g. "http://{{.PrivateIP}}:8080/healthz"`)
		return
	}
	v.urlTemplate(s)
}

// urlTemplate checks the health URL the only way that catches everything:
// by rendering it for a made-up instance of this scenario's target.
func (v *validator) urlTemplate(s *Scenario) {
	t, tagKeys, err := parseURLTemplate(s.Verify.Instance.URL)
	if err == nil {
		_, err = renderURL(t, sampleURLFields(s.Target, tagKeys))
	}
	if err == nil {
		return
	}
	var e *strictyaml.Error
	if errors.As(err, &e) {
		v.atValue("verify.instance.url", e.Msg, e.Hint)
		return
	}
	v.atValue("verify.instance.url", err.Error(), "")
}

func (v *validator) objectives(s *Scenario) {
	within := s.Objectives.RecoverAllWithin
	if within == nil {
		return
	}
	v.positive("objectives.recover_all_within", within.Duration)
	if s.Verify.Instance == nil && !s.Waves.WaitsForHealthy() {
		v.atKey("objectives.recover_all_within", "needs verify.instance to observe recovery", "add verify.instance.url")
	}
}

func (v *validator) guardrails(g Guardrails) {
	if g.RequireTag != nil && len(g.RequireTag) == 0 {
		v.atValue("guardrails.require_tag", "require_tag cannot be empty; gameday only touches opted-in instances",
			`leave it out for the default {gameday: opt-in}, or name your own tag`)
	}
	v.tagKeys("guardrails.require_tag", g.RequireTag)
}
