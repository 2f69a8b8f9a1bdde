package ec2

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"gameday/internal/fleet"
	"gameday/internal/sim"
	"gameday/internal/sim/ec2api"
)

// simEnv is a simulated fleet served API-only on loopback, with EC2's rate
// limits on (the simulator's default), for providers that reach it through
// the real SDK.
type simEnv struct {
	t    *testing.T
	sim  *sim.Sim
	srv  *ec2api.Server
	wire *wireLog
}

func newSimEnv(t *testing.T, spec sim.FleetSpec) *simEnv {
	t.Helper()
	s, err := sim.New(spec, sim.Options{Seed: 21})
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
	t.Cleanup(func() { _ = srv.Close(); _ = s.Close() })
	return &simEnv{t: t, sim: s, srv: srv, wire: &wireLog{}}
}

// appFleet is n opted-in instances in two zones whose every lifecycle
// phase is instant.
func appFleet(n int) sim.FleetSpec {
	return sim.FleetSpec{Groups: []sim.GroupSpec{{Name: "app", Count: n,
		AvailabilityZones: []string{"us-east-1a", "us-east-1b"},
		Tags:              map[string]string{"gameday": "opt-in", "app": "api"}}}}
}

// provider points a provider at the simulator through LoadConfig, as the
// CLI does, with every request also recorded in e.wire.
func (e *simEnv) provider(opts Options) *Provider {
	e.t.Helper()
	cfg, err := LoadConfig(e.t.Context(), Session{Region: "us-east-1", EndpointURL: e.srv.URL()})
	if err != nil {
		e.t.Fatal(err)
	}
	cfg.HTTPClient = recordingClient{next: cfg.HTTPClient, log: e.wire}
	return New(cfg, opts)
}

func (e *simEnv) setFaults(f ec2api.Faults) {
	e.t.Helper()
	e.srv.SetRateLimits(false) // fault tests are about faults, not pacing
	if err := e.srv.SetFaults(f); err != nil {
		e.t.Fatal(err)
	}
}

func (e *simEnv) ids() []string { return fleet.IDs(e.sim.Instances()) }

// calls lists the audit records of action, in order.
func (e *simEnv) calls(action string) []sim.AuditRecord {
	var out []sim.AuditRecord
	for _, rec := range e.sim.Audit() {
		if rec.Action == action {
			out = append(out, rec)
		}
	}
	return out
}

// batchSizes lists the ids of each successful, real (not DryRun) call.
func (e *simEnv) batchSizes(action string) []int {
	var sizes []int
	for _, rec := range e.calls(action) {
		if rec.ErrorCode == "" && !rec.DryRun {
			sizes = append(sizes, len(rec.InstanceIDs))
		}
	}
	return sizes
}

// codes counts the audit records of action by error code ("" = served).
func (e *simEnv) codes(action string) map[string]int {
	out := map[string]int{}
	for _, rec := range e.calls(action) {
		out[rec.ErrorCode]++
	}
	return out
}

func (e *simEnv) state(id string) string {
	for _, in := range e.sim.Instances() {
		if in.ID == id {
			return in.State
		}
	}
	return ""
}

// waitForState polls until every id is in state, for 3 s at most.
func (e *simEnv) waitForState(ids []string, state string) {
	e.t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for slices.ContainsFunc(ids, func(id string) bool { return e.state(id) != state }) {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %d instances to be %s", len(ids), state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// observed is a logger whose Info and above entries a test can read.
func observed() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zap.InfoLevel)
	return zap.New(core), logs
}

// wireLog keeps the form of every request sent, and who signed it.
type wireLog struct {
	mu       sync.Mutex
	forms    []url.Values
	signedBy []string
}

func (w *wireLog) requests(action string) []url.Values {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []url.Values
	for _, f := range w.forms {
		if f.Get("Action") == action {
			out = append(out, f)
		}
	}
	return out
}

func (w *wireLog) signers() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.signedBy)
}

// recordingClient records each request's form and access key, then sends it.
type recordingClient struct {
	next aws.HTTPClient
	log  *wireLog
}

func (c recordingClient) Do(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	_, scope, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	key, _, _ := strings.Cut(scope, "/")
	c.log.mu.Lock()
	c.log.forms = append(c.log.forms, form)
	c.log.signedBy = append(c.log.signedBy, key)
	c.log.mu.Unlock()
	return c.next.Do(r)
}
