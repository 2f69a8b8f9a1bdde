package cli

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"gameday/internal/ec2"
	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/scenario"
)

func TestConfirmRefusesWithoutATerminal(t *testing.T) {
	a := &app{in: strings.NewReader("demo\n"), out: &bytes.Buffer{}}
	r := rehearsal{scenario: &scenario.Scenario{Name: "demo"}, session: ec2.Session{}, regions: []string{"eu-west-1"}, account: "111122223333"}
	err := a.confirmByName(r, twoWaves(scenario.ActionStopStart))
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != ExitInvalid || !strings.Contains(err.Error(), "--yes") ||
		!strings.Contains(err.Error(), "stop and start 3 instances in account 111122223333, region eu-west-1") {
		t.Errorf("confirm without a terminal = %v, want a usage error naming the action, --yes and where", err)
	}
}

// twoWaves is a plan of three instances in two AZs, in waves of 2 and 1.
func twoWaves(action string) *plan.Plan {
	a, b, c := fleet.Instance{ID: "i-a", AZ: "eu-west-1a"}, fleet.Instance{ID: "i-b", AZ: "eu-west-1b"}, fleet.Instance{ID: "i-c", AZ: "eu-west-1a"}
	step := scenario.Step{Action: scenario.Action{Type: action}}
	return &plan.Plan{Phases: []*plan.Phase{{Name: "main", Step: step, Selected: []fleet.Instance{a, b, c},
		Waves: []plan.Wave{{Index: 1, Instances: []fleet.Instance{a, b}}, {Index: 2, Instances: []fleet.Instance{c}}}}}}
}

func TestConfirmShowsWhatWhereAndHowMany(t *testing.T) {
	// /dev/null is a character device: it passes for a terminal, and
	// reading it answers nothing, so the run is not confirmed.
	tty, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	out := &bytes.Buffer{}
	a := &app{in: tty, out: out}
	r := rehearsal{scenario: &scenario.Scenario{Name: "demo"}, regions: []string{"eu-west-1"}, account: "111122223333"}
	_ = a.confirmByName(r, twoWaves(scenario.ActionReboot))
	want := "About to reboot 3 instances in account 111122223333, region eu-west-1 (per AZ: eu-west-1a 2, eu-west-1b 1; waves: 2/1)"
	if !strings.Contains(out.String(), want) {
		t.Errorf("prompt %q, want it to contain %q", out.String(), want)
	}
}

func TestPlanVerb(t *testing.T) {
	for action, want := range map[string]string{
		scenario.ActionReboot: "reboot", scenario.ActionStopStart: "stop and start",
		scenario.ActionForceStopStart: "force-stop and start", scenario.ActionStop: "stop and leave stopped",
	} {
		if got := planVerb(twoWaves(action)); got != want {
			t.Errorf("planVerb(%s) = %q, want %q", action, got, want)
		}
	}
	mixed := twoWaves(scenario.ActionReboot)
	mixed.Phases = append(mixed.Phases, &plan.Phase{Step: scenario.Step{Action: scenario.Action{Type: scenario.ActionStop}}})
	if got := planVerb(mixed); got != "act on (2 phases)" {
		t.Errorf("planVerb of mixed phases = %q", got)
	}
}

func TestResolveRegion(t *testing.T) {
	t.Setenv("AWS_REGION", "ap-south-1")
	t.Setenv("AWS_DEFAULT_REGION", "")
	scn := func(region string) *scenario.Scenario {
		return &scenario.Scenario{Source: "s.yaml", Target: scenario.Target{Region: region}}
	}
	tests := []struct {
		flag, file, want string
		wantErr          bool
	}{
		{"", "us-east-1", "us-east-1", false},
		{"us-east-1", "us-east-1", "us-east-1", false},
		{"eu-west-1", "", "eu-west-1", false},
		{"eu-west-1", "us-east-1", "", true},
		{"", "", "ap-south-1", false},
	}
	for _, tt := range tests {
		got, err := resolveRegion(tt.flag, scn(tt.file))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("resolveRegion(%q, %q) = %q, %v; want %q, error %v", tt.flag, tt.file, got, err, tt.want, tt.wantErr)
		}
	}
	t.Setenv("AWS_REGION", "")
	if _, err := resolveRegion("", scn("")); exitCode(err) != ExitInvalid {
		t.Errorf("no region anywhere: %v, want a usage error", err)
	}
}
