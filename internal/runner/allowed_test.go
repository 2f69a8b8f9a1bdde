package runner

import (
	"errors"
	"slices"
	"testing"

	"go.uber.org/zap"

	"gameday/internal/scenario"
)

func TestUnsupportedListsWhatRunCannotExecute(t *testing.T) {
	s := &scenario.Scenario{Action: scenario.Action{Type: scenario.ActionReboot}}
	if got := Unsupported(s); len(got) != 0 {
		t.Errorf("a plain reboot scenario: %v, want nothing unsupported", got)
	}
	s.Phases = []scenario.Phase{{Name: "a", Action: &scenario.Action{Type: scenario.ActionStopStart}}, {Name: "b",
		Action: &scenario.Action{Type: scenario.ActionStopStart}}}
	s.Schedule.Mode = scenario.ScheduleScheduled
	s.Verify.Services = []scenario.ServiceProbe{{Name: "web"}}
	want := []string{"action stop-start", "phases", "schedule mode scheduled", "verify.services"}
	if got := Unsupported(s); !slices.Equal(got, want) {
		t.Errorf("Unsupported = %v, want %v (sorted, each once)", got, want)
	}
}

func TestCheckAllowed(t *testing.T) {
	g := scenario.Guardrails{AllowedAccounts: []string{"111122223333"}, AllowedRegions: []string{"eu-west-1"}}
	for _, tt := range []struct {
		account, region string
		ok              bool
	}{
		{"111122223333", "eu-west-1", true},
		{"999988887777", "eu-west-1", false},
		{"111122223333", "us-east-1", false},
	} {
		err := checkAllowed(g, tt.account, tt.region, zap.NewNop())
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrAborted)) {
			t.Errorf("checkAllowed(%s, %s) = %v, want ok=%v (an abort)", tt.account, tt.region, err, tt.ok)
		}
	}
	if err := checkAllowed(scenario.Guardrails{}, "any", "any", zap.NewNop()); err != nil {
		t.Errorf("no allow-lists: %v", err)
	}
}
