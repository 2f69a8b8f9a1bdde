package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"gameday/internal/ec2"
	"gameday/internal/scenario"
)

func TestConfirmRefusesWithoutATerminal(t *testing.T) {
	a := &app{in: strings.NewReader("demo\n"), out: &bytes.Buffer{}}
	r := rehearsal{scenario: &scenario.Scenario{Name: "demo"}, session: ec2.Session{}, regions: []string{"eu-west-1"}, account: "111122223333"}
	err := a.confirmByName(r, 12)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != ExitInvalid || !strings.Contains(err.Error(), "--yes") ||
		!strings.Contains(err.Error(), "account 111122223333, region eu-west-1") {
		t.Errorf("confirm without a terminal = %v, want a usage error naming --yes and where", err)
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
