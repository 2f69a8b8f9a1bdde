package ec2

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gameday/internal/fleet"
	"gameday/internal/sim"
)

// roleProvider loads a configuration that assumes role at the simulator,
// as `--role-arn` does, with the wire recorded.
func (e *simEnv) roleProvider(role string) *Provider {
	e.t.Helper()
	session := Session{Region: "us-east-1", EndpointURL: e.srv.URL(), RoleARN: role}
	cfg, err := loadConfig(e.t.Context(), session, recordingClient{next: NewHTTPClient(), log: e.wire})
	if err != nil {
		e.t.Fatal(err)
	}
	return New(cfg, Options{})
}

func TestRoleARNActsAsTheAssumedRole(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY00")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "real-looking-secret")
	e := newSimEnv(t, appFleet(2))
	p := e.roleProvider("arn:aws:iam::123456789012:role/ops/gameday")
	id, err := p.CallerIdentity(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := "arn:aws:sts::123456789012:assumed-role/gameday/" + RoleSessionName()
	if id.ARN != want || id.Account != "123456789012" {
		t.Errorf("CallerIdentity = %+v, want %s", id, want)
	}
	if err := p.Reboot(t.Context(), e.ids()); err != nil {
		t.Fatal(err)
	}
	// AssumeRole is signed with the simulator's dummy key, never the
	// caller's; every later call with the role's temporary key.
	signers := e.wire.signers()
	if len(signers) != 3 || signers[0] != SimulatorAccessKeyID || !strings.HasPrefix(signers[1], "ASIA") || signers[2] != signers[1] {
		t.Errorf("requests signed by %v, want the dummy key for AssumeRole, then one ASIA key", signers)
	}
	if got := e.wire.requests("AssumeRole"); len(got) != 1 || got[0].Get("RoleSessionName") != RoleSessionName() {
		t.Errorf("AssumeRole requests %v, want one, in session %s", got, RoleSessionName())
	}
}

func TestRoleOfAnotherAccountIsDeniedWithAHint(t *testing.T) {
	e := newSimEnv(t, appFleet(1))
	p := e.roleProvider("arn:aws:iam::999999999999:role/gameday")
	_, err := p.CallerIdentity(t.Context())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "AccessDenied" || apiErr.Action != "sts:AssumeRole" ||
		!strings.Contains(apiErr.Hint, "trust policy") {
		t.Fatalf("CallerIdentity = %#v, want AccessDenied on sts:AssumeRole with a hint about the trust policy", err)
	}
	// A mutating call whose credentials cannot be had was never sent:
	// refused, not uncertain, and not retried.
	err = p.Reboot(t.Context(), e.ids())
	var uncertain *fleet.UncertainError
	if !errors.As(err, &apiErr) || apiErr.Code != "AccessDenied" || errors.As(err, &uncertain) {
		t.Errorf("Reboot = %v, want AccessDenied, not uncertain", err)
	}
	if got := e.codes(sim.ActionRebootInstances); len(got) != 0 {
		t.Errorf("RebootInstances reached the simulator: %v", got)
	}
}

func TestRoleSessionNameIsValidForSTS(t *testing.T) {
	name := RoleSessionName()
	if !regexp.MustCompile(`^gameday-[\w+=,.@-]{1,56}$`).MatchString(name) {
		t.Errorf("RoleSessionName() = %q, want gameday- and 1 to 56 of [\\w+=,.@-]", name)
	}
}

func TestEndpointPerRegion(t *testing.T) {
	east := newSimEnv(t, appFleet(3))
	west := newSimEnv(t, sim.FleetSpec{Region: "eu-west-1", Groups: []sim.GroupSpec{{Name: "db", Count: 2,
		AvailabilityZones: []string{"eu-west-1a"}, Tags: map[string]string{"gameday": "opt-in"}}}})
	session := Session{EndpointURL: east.srv.URL(), EndpointURLs: map[string]string{"eu-west-1": west.srv.URL()}}
	for _, tt := range []struct {
		region string
		env    *simEnv
	}{{"us-east-1", east}, {"eu-west-1", west}} {
		s := session
		s.Region = tt.region
		cfg, err := LoadConfig(t.Context(), s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := New(cfg, Options{}).List(t.Context(), fleet.Target{Tags: map[string]string{"gameday": "opt-in"}})
		if err != nil {
			t.Fatalf("%s: %v", tt.region, err)
		}
		if want := slices.Sorted(slices.Values(tt.env.ids())); !slices.Equal(fleet.IDs(got), want) {
			t.Errorf("%s listed %v, want its own simulator's %v", tt.region, fleet.IDs(got), want)
		}
	}
}

func TestSessionValidate(t *testing.T) {
	tests := []struct {
		name string
		s    Session
		want string // "" valid
	}{
		{"zero", Session{}, ""},
		{"batch 1000", Session{BatchSize: 1000}, ""},
		{"batch too large", Session{BatchSize: 1001}, "batch size 1001"},
		{"negative batch", Session{BatchSize: -1}, "batch size -1"},
		{"role", Session{RoleARN: "arn:aws:iam::123456789012:role/path/name"}, ""},
		{"gov role", Session{RoleARN: "arn:aws-us-gov:iam::123456789012:role/x"}, ""},
		{"user is no role", Session{RoleARN: "arn:aws:iam::123456789012:user/bob"}, "role ARN"},
		{"endpoint", Session{EndpointURLs: map[string]string{"eu-west-1": "http://127.0.0.1:4567"}}, ""},
		{"endpoint not a URL", Session{EndpointURLs: map[string]string{"eu-west-1": "127.0.0.1:4567"}}, "endpoint for eu-west-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestResolveEndpointPrefersTheRegionsOwn(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_EC2", "")
	t.Setenv("AWS_ENDPOINT_URL", "http://from-env")
	s := Session{Region: "eu-west-1", EndpointURL: "http://default", EndpointURLs: map[string]string{"eu-west-1": "http://west"}}
	if got := s.ResolveEndpoint(); got != "http://west" {
		t.Errorf("eu-west-1 resolves to %q, want its own endpoint", got)
	}
	s.Region = "us-east-1"
	if got := s.ResolveEndpoint(); got != "http://default" {
		t.Errorf("us-east-1 resolves to %q, want the default --endpoint-url", got)
	}
	s.EndpointURL = ""
	if got := s.ResolveEndpoint(); got != "http://from-env" {
		t.Errorf("us-east-1 without flags resolves to %q, want the environment's", got)
	}
}
