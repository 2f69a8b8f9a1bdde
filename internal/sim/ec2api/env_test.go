package ec2api_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	gamedayec2 "gameday/internal/ec2"
	"gameday/internal/fleet"
	"gameday/internal/sim"
	"gameday/internal/sim/ec2api"
)

const testAccount = "210987654321"

// testFleet is 15 instances: 8 opted-in web (3 AZs), 4 opted-in workers
// (2 AZs) and 3 web hosts that are not opted in.
func testFleet() sim.FleetSpec {
	boot := sim.BootSpec{
		Down:     sim.Range{Min: 100 * time.Millisecond, Max: 200 * time.Millisecond},
		Starting: sim.Range{Min: 200 * time.Millisecond, Max: 300 * time.Millisecond},
	}
	return sim.FleetSpec{
		AccountID: testAccount,
		Groups: []sim.GroupSpec{
			{Name: "web", Count: 8, AvailabilityZones: []string{"us-east-1a", "us-east-1b", "us-east-1c"},
				Tags: map[string]string{"app": "web", "gameday": "opt-in"}, Boot: boot},
			{Name: "worker", Count: 4, AvailabilityZones: []string{"us-east-1a", "us-east-1b"}, InstanceType: "m5.large",
				Tags: map[string]string{"app": "worker", "gameday": "opt-in"}, Boot: boot},
			{Name: "web-legacy", Count: 3, AvailabilityZones: []string{"us-east-1a"},
				Tags: map[string]string{"app": "web"}, Boot: boot},
		},
	}
}

type env struct {
	sim    *sim.Sim
	server *ec2api.Server
	ec2    *ec2.Client
}

func newEnv(t *testing.T, listeners bool) *env {
	t.Helper()
	return newEnvWith(t, testFleet(), listeners)
}

// newEnvWith serves spec through ec2api.Start, as the product does, with
// an SDK client pointed at it over loopback.
func newEnvWith(t testing.TB, spec sim.FleetSpec, listeners bool) *env {
	t.Helper()
	s, err := sim.New(spec, sim.Options{Seed: 99, Listeners: listeners})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	srv, err := ec2api.Start(s, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	// These tests are about what the API answers, not how fast one may
	// ask: limits_test.go turns EC2's rate limits back on.
	srv.SetRateLimits(false)
	client := ec2.NewFromConfig(awsConfig(), func(o *ec2.Options) {
		o.BaseEndpoint = aws.String(srv.URL())
	})
	return &env{sim: s, server: srv, ec2: client}
}

// newInProcessEnv serves spec API-only to an SDK client that calls the
// handler in process, without sockets: inside a testing/synctest bubble the
// SDK, its waiters and the simulator's timers all run on the fake clock, so
// tests of minutes-long timings are exact and instant.
func newInProcessEnv(t testing.TB, spec sim.FleetSpec) *env {
	t.Helper()
	s, err := sim.New(spec, sim.Options{Seed: 99})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	cfg := awsConfig()
	cfg.HTTPClient = handlerClient{ec2api.NewHandler(s, nil)}
	client := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String("http://127.0.0.1:9") })
	return &env{sim: s, ec2: client}
}

// handlerClient hands SDK requests straight to an http.Handler.
type handlerClient struct{ h http.Handler }

func (c handlerClient) Do(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// awsConfig is the SDK configuration of every test client. Retries are off
// so that no wire error is masked.
func awsConfig() aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       gamedayec2.NewHTTPClient(), // the client the product uses
	}
}

// idsWhere lists, sorted, the ids of the fleet's instances that keep accepts:
// the expected answer computed without the API.
func (e *env) idsWhere(keep func(fleet.Instance) bool) []string {
	var ids []string
	for _, in := range e.sim.Instances() {
		if keep(in) {
			ids = append(ids, in.ID)
		}
	}
	return ids
}

// idsOfGroup lists the ids of the instances named group-NN.
func (e *env) idsOfGroup(group string) []string {
	name := regexp.MustCompile("^" + regexp.QuoteMeta(group) + `-\d+$`)
	return e.idsWhere(func(in fleet.Instance) bool { return name.MatchString(in.Tags["Name"]) })
}

// ctxBackground is for helpers that return errors instead of failing.
func ctxBackground() context.Context { return context.Background() }

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// withBoot is testFleet with every group's boot replaced.
func withBoot(boot sim.BootSpec) sim.FleetSpec {
	spec := testFleet()
	for i := range spec.Groups {
		spec.Groups[i].Boot = boot
	}
	return spec
}

// fastBoot walks every phase in 50-100 ms, for tests over sockets.
func fastBoot() sim.BootSpec {
	r := sim.Range{Min: 50 * time.Millisecond, Max: 100 * time.Millisecond}
	return sim.BootSpec{Pending: r, Stopping: r, Down: r, Starting: r}
}

// apiErrorOf returns the code and message of an API error, or "none" and
// the error text for anything else.
func apiErrorOf(err error) (code, message string) {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return "none", fmt.Sprint(err)
	}
	return apiErr.ErrorCode(), apiErr.ErrorMessage()
}

// wantAPIError checks err is the EC2 error code (and message, if given).
func wantAPIError(t *testing.T, err error, code, message string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v (%T), want API error %s", err, err, code)
	}
	if apiErr.ErrorCode() != code {
		t.Errorf("error code %q (%s), want %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), code)
	}
	if message != "" && apiErr.ErrorMessage() != message {
		t.Errorf("error message\n got %q\nwant %q", apiErr.ErrorMessage(), message)
	}
}

// probe GETs url on a fresh connection: the status, or -1 when refused.
func probe(url string) int {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// waitFor polls cond every 5 ms until it holds or 3 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
