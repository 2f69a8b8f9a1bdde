package scenario

import (
	"reflect"
	"testing"
	"time"
)

func TestApplyDefaultsFillsUnwritten(t *testing.T) {
	s := &Scenario{Verify: Verify{Instance: &InstanceProbe{URL: "http://x/"}}}
	applyDefaults(s, func(string) bool { return false })
	yes := true
	want := &Scenario{
		Target:     Target{States: []string{"running"}},
		Waves:      Waves{Count: 1, Order: "random", WaitForHealthy: &yes, GateTimeout: dur(10 * time.Minute), OnGateTimeout: "abort"},
		Schedule:   Schedule{Mode: "immediate"},
		Verify:     Verify{Instance: &InstanceProbe{Type: "http", URL: "http://x/", Interval: dur(2 * time.Second), Timeout: dur(time.Second), ExpectStatus: 200}},
		Guardrails: Guardrails{AvailabilityWindow: dur(time.Minute), RequireTag: map[string]string{"gameday": "opt-in"}},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}
	if s.Waves.Interval.Duration != 0 {
		t.Errorf("interval defaulted to %v, want 0", s.Waves.Interval)
	}
}

func TestApplyDefaultsKeepsWrittenZeros(t *testing.T) {
	written := map[string]bool{
		"waves.count": true, "waves.gate_timeout": true,
		"verify.instance.interval": true, "verify.instance.timeout": true, "verify.instance.expect_status": true,
	}
	s := &Scenario{Verify: Verify{Instance: &InstanceProbe{}}}
	applyDefaults(s, func(path string) bool { return written[path] })
	p := s.Verify.Instance
	if s.Waves.Count != 0 || s.Waves.GateTimeout.Duration != 0 || p.Interval.Duration != 0 || p.Timeout.Duration != 0 || p.ExpectStatus != 0 {
		t.Errorf("written zeros were replaced: waves %+v, probe %+v", s.Waves, *p)
	}
}

func TestApplyDefaultsKeepsValues(t *testing.T) {
	no := false
	s := &Scenario{
		Waves:      Waves{Count: 4, WaitForHealthy: &no, GateTimeout: dur(time.Second)},
		Guardrails: Guardrails{RequireTag: map[string]string{"team": "sre"}},
	}
	s.ApplyDefaults()
	if s.Waves.Count != 4 || s.Waves.WaitsForHealthy() || s.Waves.GateTimeout.Duration != time.Second {
		t.Errorf("waves changed: %+v", s.Waves)
	}
	if !reflect.DeepEqual(s.Guardrails.RequireTag, map[string]string{"team": "sre"}) {
		t.Errorf("require_tag changed: %v", s.Guardrails.RequireTag)
	}
}

func TestDefaultRequireTagIsCopied(t *testing.T) {
	s := &Scenario{}
	s.ApplyDefaults()
	s.Guardrails.RequireTag["gameday"] = "changed"
	if DefaultRequireTag["gameday"] != "opt-in" {
		t.Fatalf("changing a scenario changed DefaultRequireTag: %v", DefaultRequireTag)
	}
}
