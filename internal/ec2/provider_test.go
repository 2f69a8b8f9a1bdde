package ec2

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"gameday/internal/fleet"
	"gameday/internal/sim"
	"gameday/internal/sim/ec2api"
)

// simProvider serves the demo fleet and returns a provider pointed at it
// through the real SDK.
func simProvider(t *testing.T, opts Options) (*Provider, *sim.Sim) {
	t.Helper()
	s, err := sim.New(sim.DemoFleet(), sim.Options{Seed: 21})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil { // API-only: assigns addresses, binds no listener
		t.Fatal(err)
	}
	srv, err := ec2api.Start(s, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(); s.Close() })
	cfg, err := LoadConfig(t.Context(), Session{Region: "us-east-1", EndpointURL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	return New(cfg, opts), s
}

func TestListFiltersServerSideAndFollowsEveryPage(t *testing.T) {
	p, s := simProvider(t, Options{PageSize: 5})
	got, err := p.List(t.Context(), fleet.Target{
		Tags:              map[string]string{"app": "web"},
		AvailabilityZones: []string{"us-east-1a", "us-east-1b"},
		States:            []string{fleet.StateRunning},
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, inst := range s.Instances() {
		if inst.Tags["app"] == "web" && inst.AZ != "us-east-1c" {
			want = append(want, inst.ID)
		}
	}
	if ids := fleet.IDs(got); strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("List returned %d instances %v\nwant %d %v", len(ids), ids, len(want), want)
	}
	// 32 web instances in two AZs at 5 per page is 7 DescribeInstances calls.
	describes := 0
	for _, rec := range s.Audit() {
		if rec.Action == "DescribeInstances" {
			describes++
		}
	}
	if len(want) != 32 || describes != 7 {
		t.Errorf("%d instances in %d Describe calls, want 32 in 7", len(want), describes)
	}
	for _, inst := range got {
		if inst.PrivateIP == "" || inst.Region != "us-east-1" || inst.State != fleet.StateRunning || inst.Tags["Name"] == "" {
			t.Errorf("incomplete instance %+v", inst)
		}
	}
}

func TestRebootBatchesCalls(t *testing.T) {
	p, s := simProvider(t, Options{BatchSize: 7})
	ids := fleet.IDs(s.Instances())[:20]
	if err := p.Reboot(t.Context(), ids); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, rec := range s.Audit() {
		if rec.Action == sim.ActionRebootInstances {
			sizes = append(sizes, len(rec.InstanceIDs))
		}
	}
	if len(sizes) != 3 || sizes[0] != 7 || sizes[1] != 7 || sizes[2] != 6 {
		t.Errorf("RebootInstances batch sizes %v, want [7 7 6]", sizes)
	}
	if counts := s.RebootCounts(); len(counts) != 20 {
		t.Errorf("%d instances rebooted, want 20", len(counts))
	}
}

func TestRebootReportsTheAWSCodeAndAHint(t *testing.T) {
	p, _ := simProvider(t, Options{})
	err := p.Reboot(t.Context(), []string{"i-0123456789abcdef0"})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "InvalidInstanceID.NotFound" || apiErr.Hint == "" {
		t.Fatalf("err = %v, want a classified InvalidInstanceID.NotFound with a hint", err)
	}
	if !strings.Contains(err.Error(), "ec2: reboot 1 instances") {
		t.Errorf("message %q does not say which call failed", err)
	}
}

func TestCallerIdentityComesFromSTS(t *testing.T) {
	p, _ := simProvider(t, Options{})
	id, err := p.CallerIdentity(t.Context())
	if err != nil || id.Account != "123456789012" || !strings.HasPrefix(id.ARN, "arn:aws:iam::123456789012:") {
		t.Errorf("CallerIdentity = %+v, %v", id, err)
	}
}

func TestClassifyHints(t *testing.T) {
	tests := []struct {
		code     string
		wantHint string
	}{
		{"UnauthorizedOperation", "ec2:RebootInstances"},
		{"AuthFailure", "rejected the credentials"},
		{"ExpiredToken", "expired"},
		{"RequestLimitExceeded", "throttled"},
		{"IncorrectInstanceState", "state"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			err := classify("reboot 3 instances", "ec2:RebootInstances", &smithy.GenericAPIError{Code: tt.code, Message: "m"})
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Code != tt.code || !strings.Contains(apiErr.Hint, tt.wantHint) {
				t.Errorf("classify(%s) = %#v, want hint containing %q", tt.code, err, tt.wantHint)
			}
		})
	}
	refused := classify("describe", "ec2:DescribeInstances", errors.New("dial tcp 127.0.0.1:1: connect: connection refused"))
	if !strings.Contains(refused.Error(), "hint:") {
		t.Errorf("transport error without a hint: %v", refused)
	}
}

func TestLoopbackEndpointNeverUsesTheCallersCredentials(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY00")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "real-looking-secret")
	t.Setenv("AWS_PROFILE", "no-such-profile")
	cfg, err := LoadConfig(context.Background(), Session{Region: "us-east-1", EndpointURL: "http://127.0.0.1:9"})
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != SimulatorAccessKeyID {
		t.Errorf("credentials for a loopback endpoint = %q, %v; want the simulator's dummy key", creds.AccessKeyID, err)
	}
}

func TestIsLoopbackEndpoint(t *testing.T) {
	for raw, want := range map[string]bool{
		"http://127.0.0.1:4566":               true,
		"http://127.9.9.9":                    true,
		"http://localhost:8080":               true,
		"http://[::1]:4566":                   true,
		"https://ec2.us-east-1.amazonaws.com": false,
		"http://10.0.0.1:4566":                false,
		"http://127.0.0.1.example.com":        false,
		"":                                    false,
		"not a url":                           false,
	} {
		if got := IsLoopbackEndpoint(raw); got != want {
			t.Errorf("IsLoopbackEndpoint(%q) = %v, want %v", raw, got, want)
		}
	}
}

func TestLoadConfigWithoutRegionFails(t *testing.T) {
	if _, err := LoadConfig(context.Background(), Session{EndpointURL: "http://127.0.0.1:9"}); err == nil || !strings.Contains(err.Error(), "region") {
		t.Errorf("err = %v, want a missing-region error", err)
	}
}
