package runner

import (
	"errors"
	"testing"

	"go.uber.org/zap"

	"gameday/internal/scenario"
)

func TestUnsupportedListsWhatRunCannotExecute(t *testing.T) {
	s := &scenario.Scenario{Action: scenario.Action{Type: scenario.ActionStopStart}, Phases: []scenario.Phase{{Name: "a"}}}
	s.Schedule.Mode = scenario.ScheduleScheduled
	if got := Unsupported(s); len(got) != 0 {
		t.Errorf("phases, stop-start and schedules run now: %v, want nothing unsupported", got)
	}
	s.Verify.EC2StatusChecks = true
	s.Verify.TargetGroups = []string{"web"}
	if got := Unsupported(s); len(got) != 0 {
		t.Errorf("status checks and target groups run now: %v, want nothing unsupported", got)
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
		err := checkAllowed(g, tt.account, []string{tt.region}, zap.NewNop())
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrAborted)) {
			t.Errorf("checkAllowed(%s, %s) = %v, want ok=%v (an abort)", tt.account, tt.region, err, tt.ok)
		}
	}
	if err := checkAllowed(scenario.Guardrails{}, "any", []string{"any"}, zap.NewNop()); err != nil {
		t.Errorf("no allow-lists: %v", err)
	}
}
