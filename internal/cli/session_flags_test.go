package cli

import (
	"maps"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"gameday/internal/ec2"
	"gameday/internal/sim"
)

func parseSessionFlags(args ...string) (ec2.Session, error) {
	var session ec2.Session
	var seed seedFlag
	f := pflag.NewFlagSet("test", pflag.ContinueOnError)
	addSessionFlags(f, &session, &seed)
	err := f.Parse(args)
	return session, err
}

func TestSessionFlags(t *testing.T) {
	s, err := parseSessionFlags("--endpoint-url", "http://127.0.0.1:1",
		"--endpoint-url-for", "eu-west-1=http://127.0.0.1:2", "--endpoint-url-for", "us-gov-east-1=https://ec2.example",
		"--role-arn", "arn:aws:iam::123456789012:role/gameday", "--batch-size", "250", "--profile", "staging")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"eu-west-1": "http://127.0.0.1:2", "us-gov-east-1": "https://ec2.example"}
	if !maps.Equal(s.EndpointURLs, want) || s.EndpointURL != "http://127.0.0.1:1" || s.BatchSize != 250 ||
		s.RoleARN != "arn:aws:iam::123456789012:role/gameday" || s.Profile != "staging" {
		t.Errorf("session %+v", s)
	}
	if s, _ := parseSessionFlags(); s.BatchSize != ec2.DefaultBatchSize || s.EndpointURLs != nil {
		t.Errorf("defaults: batch size %d, endpoints %v; want %d and none", s.BatchSize, s.EndpointURLs, ec2.DefaultBatchSize)
	}
}

func TestSessionFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--endpoint-url-for", "http://127.0.0.1:2"}, "REGION=URL"},
		{[]string{"--endpoint-url-for", "eu-west-1=127.0.0.1:2"}, "not an http(s) URL"},
		{[]string{"--endpoint-url-for", "eu-west-1=http://a", "--endpoint-url-for", "eu-west-1=http://b"}, "given twice"},
		{[]string{"--batch-size", "0"}, "1 to 1000"},
		{[]string{"--batch-size", "1001"}, "1 to 1000"},
	}
	for _, tt := range tests {
		if _, err := parseSessionFlags(tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.args, err, tt.want)
		}
	}
}

// TestPlanWithRoleAndPerRegionEndpoint: connect assumes the role at the
// region's own endpoint (the simulator's STS) and acts as it.
func TestPlanWithRoleAndPerRegionEndpoint(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 3)
	res := runCLI(t, "plan", "../../scenarios/demo.yaml", "--endpoint-url", "http://127.0.0.1:1",
		"--endpoint-url-for", "us-east-1="+f.url, "--role-arn", "arn:aws:iam::123456789012:role/gameday")
	if res.code != ExitMet {
		t.Fatalf("exit %d, want 0\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, "assumed-role/gameday/gameday-") {
		t.Errorf("stderr does not show the assumed role:\n%s", res.stderr)
	}
	if n := countAudit(f.sim, "AssumeRole"); n != 1 {
		t.Errorf("%d AssumeRole calls reached the simulator, want 1", n)
	}

	if bad := runCLI(t, "plan", "../../scenarios/demo.yaml", "--endpoint-url", f.url, "--role-arn", "gameday"); bad.code != ExitInvalid {
		t.Errorf("--role-arn gameday: exit %d, want %d\n%s", bad.code, ExitInvalid, bad.stderr)
	}
	denied := runCLI(t, "plan", "../../scenarios/demo.yaml", "--endpoint-url", f.url,
		"--role-arn", "arn:aws:iam::999999999999:role/gameday")
	if denied.code != ExitInfrastructure || !strings.Contains(denied.stderr, "AccessDenied") || !strings.Contains(denied.stderr, "trust policy") {
		t.Errorf("cross-account role: exit %d, want %d with AccessDenied and a hint\n%s", denied.code, ExitInfrastructure, denied.stderr)
	}
}

func countAudit(s *sim.Sim, action string) int {
	n := 0
	for _, rec := range s.Audit() {
		if rec.Action == action {
			n++
		}
	}
	return n
}
