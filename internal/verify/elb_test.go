package verify

import (
	"context"
	"slices"
	"testing"
)

func TestTargetVerdict(t *testing.T) {
	for _, tt := range []struct {
		in      ELBTarget
		healthy bool
		detail  string
	}{
		{ELBTarget{State: "healthy"}, true, "healthy"},
		{ELBTarget{State: "unhealthy", Reason: "Target.FailedHealthChecks"}, false, "unhealthy (Target.FailedHealthChecks)"},
		{ELBTarget{State: "initial", Reason: "Elb.InitialHealthChecking"}, false, "initial (Elb.InitialHealthChecking)"},
		{ELBTarget{State: "draining", Reason: "Target.DeregistrationInProgress"}, false, "draining (Target.DeregistrationInProgress)"},
		{ELBTarget{State: "unused", Reason: "Target.InvalidState"}, false, "unused (Target.InvalidState)"},
		{ELBTarget{State: "unavailable", Reason: "Target.HealthCheckDisabled"}, false, "unavailable (Target.HealthCheckDisabled)"},
		{ELBTarget{State: "unhealthy.draining"}, false, "unhealthy.draining"},
	} {
		if got := TargetVerdict(tt.in); got.Healthy != tt.healthy || got.Detail != tt.detail {
			t.Errorf("TargetVerdict(%+v) = %+v, want healthy=%v %q", tt.in, got, tt.healthy, tt.detail)
		}
	}
}

func TestELBSourceJudgesEveryRegistration(t *testing.T) {
	targets := []ELBTarget{
		{InstanceID: "i-a", Port: 80, State: "healthy"},
		{InstanceID: "i-b", Port: 80, State: "healthy"},
		{InstanceID: "i-b", Port: 8080, State: "unhealthy", Reason: "Target.Timeout"},
		{InstanceID: "i-c", Port: 80, State: "healthy"},
		{InstanceID: "i-c", Port: 8080, State: "healthy"},
	}
	s := NewELBSource("ELB web", func(context.Context) ([]ELBTarget, error) { return targets, nil })
	got, err := s.Check(t.Context(), []string{"i-a", "i-b", "i-c", "i-gone"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Result{
		"i-a":    {Healthy: true, Detail: "healthy"},
		"i-b":    {Detail: "unhealthy (Target.Timeout) on port 8080"},
		"i-c":    {Healthy: true, Detail: "healthy on 2 ports"},
		"i-gone": {Detail: "not registered"},
	}
	for id, w := range want {
		if g := got[id]; g.Healthy != w.Healthy || g.Detail != w.Detail {
			t.Errorf("%s: %+v, want %+v", id, g, w)
		}
	}
	if s.Name() != "ELB web" {
		t.Errorf("name %q", s.Name())
	}
	if m := Members(targets); !slices.Equal(m, []string{"i-a", "i-b", "i-c"}) {
		t.Errorf("Members = %v", m)
	}
}
