package verify

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// scriptedSource is a batch source answering from a per-instance schedule
// of bad spells in virtual time.
type scriptedSource struct {
	name   string
	origin time.Time
	bad    map[string][]spell
	mu     sync.Mutex
	calls  int
	err    error
}

type spell struct {
	from, to time.Duration
	detail   string
}

func (s *scriptedSource) Name() string { return s.name }

func (s *scriptedSource) Check(_ context.Context, ids []string) (map[string]Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.err != nil {
		return nil, s.err
	}
	since := time.Since(s.origin)
	out := map[string]Result{}
	for _, id := range ids {
		out[id] = Result{Healthy: true, Detail: "ok"}
		for _, b := range s.bad[id] {
			if since >= b.from && since < b.to {
				out[id] = Result{Detail: b.detail}
			}
		}
	}
	return out, nil
}

func targets(ids ...string) []Target {
	var out []Target
	for _, id := range ids {
		out = append(out, Target{InstanceID: id, AZ: "us-east-1a", URL: "http://" + id})
	}
	return out
}

func addBatch(t *testing.T, m *Monitor, s BatchSource, interval time.Duration, ids ...string) {
	t.Helper()
	if err := m.AddBatch(Batch{Source: s, IDs: ids, Interval: interval}); err != nil {
		t.Fatal(err)
	}
}

// TestMonitorCombinesProbeStatusChecksAndELB: the probe never fails, but
// the status checks and the load balancer see the reboot; the instance is
// down from the first of them after the action and recovered when the last
// one says healthy again.
func TestMonitorCombinesProbeStatusChecksAndELB(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		origin := time.Now()
		probe := &scriptedProber{origin: origin}
		status := &scriptedSource{name: "status checks", origin: origin, bad: map[string][]spell{
			"i-a": {{1200 * time.Millisecond, 6 * time.Second, "initializing (instance check)"}},
		}}
		elb := &scriptedSource{name: "ELB", origin: origin, bad: map[string][]spell{
			"i-a": {{1200 * time.Millisecond, 3 * time.Second, "unhealthy (Target.FailedHealthChecks)"}},
		}}
		m := NewMonitor(Config{Interval: 500 * time.Millisecond}, targets("i-a", "i-b"), probe, zap.NewNop())
		addBatch(t, m, status, time.Second, "i-a", "i-b")
		addBatch(t, m, elb, time.Second, "i-a", "i-b")
		m.Start(t.Context())
		defer m.Stop()

		time.Sleep(time.Second)
		m.MarkActed([]string{"i-a"}, time.Now())
		res, err := m.WaitRecovered(t.Context(), []string{"i-a"}, time.Minute)
		if err != nil || res.TimedOut {
			t.Fatalf("WaitRecovered = %+v, %v", res, err)
		}
		h := m.Snapshot()[0]
		// Status checks are read at 0, 1, 2, ... s; ELB at 0.5, 1.5, 2.5, ...
		// s. First failure: ELB at 1.5 s; status ok again at 6 s.
		if got, want := h.DownAt.Sub(origin), 1500*time.Millisecond; got != want {
			t.Errorf("down at %v, want %v", got, want)
		}
		if got, want := h.RecoveredAt.Sub(origin), 6*time.Second; got != want {
			t.Errorf("recovered at %v, want %v (when the status checks passed again)", got, want)
		}
		if h.NoDowntimeObserved || h.Probes <= h.Failures || h.Failures == 0 {
			t.Errorf("no downtime %v, %d observations, %d failed", h.NoDowntimeObserved, h.Probes, h.Failures)
		}
		var details []string
		for _, tr := range h.Transitions {
			details = append(details, tr.Detail)
		}
		want := []string{
			"HTTP 200; status checks: ok; ELB: ok",
			"ELB: unhealthy (Target.FailedHealthChecks)",
			"HTTP 200; status checks: ok; ELB: ok",
		}
		if len(details) != 3 || details[0] != want[0] || details[2] != want[2] {
			t.Errorf("transitions %q, want %q", details, want)
		}
		// The detail while down names every failing source.
		if !slices.ContainsFunc(h.Transitions, func(tr Transition) bool {
			return strings.Contains(tr.Detail, "ELB: unhealthy (Target.FailedHealthChecks)")
		}) {
			t.Errorf("no transition names the load balancer's verdict: %q", details)
		}
		if got := len(h.Checks); got != 3 || h.Checks[0].Source != "probe" || h.Checks[1].Source != "status checks" || h.Checks[2].Source != "ELB" {
			t.Errorf("checks %+v, want probe, status checks, ELB", h.Checks)
		}
		if b := m.Snapshot()[1]; !b.Healthy || len(b.Transitions) != 1 {
			t.Errorf("untouched i-b: %+v", b)
		}
	})
}

// TestMonitorWithStatusChecksOnly gates on a batch source alone: no
// prober, no URL.
func TestMonitorWithStatusChecksOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		origin := time.Now()
		status := &scriptedSource{name: "status checks", origin: origin, bad: map[string][]spell{
			"i-a": {{1500 * time.Millisecond, 4 * time.Second, "impaired (instance check, reachability failed)"}},
		}}
		m := NewMonitor(Config{Interval: time.Second}, []Target{{InstanceID: "i-a"}, {InstanceID: "i-b"}}, nil, zap.NewNop())
		addBatch(t, m, status, time.Second, "i-a", "i-b")
		if u := m.Uncovered(); len(u) != 0 {
			t.Fatalf("uncovered %v", u)
		}
		m.Start(t.Context())
		defer m.Stop()
		bad, err := m.WaitSteady(t.Context(), 5*time.Second)
		if err != nil || len(bad) != 0 {
			t.Fatalf("WaitSteady = %+v, %v", bad, err)
		}
		time.Sleep(time.Second)
		m.MarkActed([]string{"i-a"}, time.Now())
		res, err := m.WaitRecovered(t.Context(), []string{"i-a"}, time.Minute)
		if err != nil || res.TimedOut {
			t.Fatalf("WaitRecovered = %+v, %v", res, err)
		}
		h := m.Snapshot()[0]
		if got, want := h.RecoveryTime(), 3*time.Second; got != want {
			t.Errorf("recovery time %v, want %v (acted at 1 s, impaired at 2 s, ok at 4 s)", got, want)
		}
		if got := h.Transitions[1].Detail; got != "status checks: impaired (instance check, reachability failed)" {
			t.Errorf("transition detail %q", got)
		}
	})
}

// TestRecoveryWaitsForEverySourceAfterTheAction: the status checks are read
// every 10 s and never fail. The probe sees the instance down and back, but
// recovery is only settled when the status checks have answered after the
// action; it is then dated from when all were healthy.
func TestRecoveryWaitsForEverySourceAfterTheAction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		origin := time.Now()
		probe := &scriptedProber{origin: origin, outages: map[string][][2]time.Duration{
			"http://i-a": {{1500 * time.Millisecond, 2 * time.Second}},
		}}
		status := &scriptedSource{name: "status checks", origin: origin}
		m := NewMonitor(Config{Interval: 500 * time.Millisecond}, targets("i-a"), probe, zap.NewNop())
		addBatch(t, m, status, 10*time.Second, "i-a")
		m.Start(t.Context())
		defer m.Stop()
		time.Sleep(time.Second)
		acted := time.Now()
		m.MarkActed([]string{"i-a"}, acted)
		res, err := m.WaitRecovered(t.Context(), []string{"i-a"}, time.Minute)
		if err != nil || res.TimedOut {
			t.Fatalf("WaitRecovered = %+v, %v", res, err)
		}
		if got := time.Since(origin); got < 10*time.Second {
			t.Errorf("gate passed at %v, before the status checks answered after the action (10 s)", got)
		}
		if got, want := m.Snapshot()[0].RecoveryTime(), time.Second; got != want {
			t.Errorf("recovery time %v, want %v (the probe healthy again at 2 s)", got, want)
		}
	})
}

// TestFailingSourceLeavesInstancesUnseen: an API error is no verdict. The
// instances stay unseen (steady state names them) and the error is logged
// once, however often it repeats.
func TestFailingSourceLeavesInstancesUnseen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		core, logs := observer.New(zap.InfoLevel)
		status := &scriptedSource{name: "status checks", origin: time.Now(), err: errors.New("ec2: UnauthorizedOperation")}
		m := NewMonitor(Config{Interval: time.Second}, targets("i-a"), &scriptedProber{origin: time.Now()}, zap.New(core))
		addBatch(t, m, status, time.Second, "i-a")
		m.Start(t.Context())
		defer m.Stop()
		bad, err := m.WaitSteady(t.Context(), 5*time.Second)
		if err != nil || len(bad) != 1 || bad[0].Seen {
			t.Fatalf("WaitSteady = %+v, %v; want i-a unseen", bad, err)
		}
		status.mu.Lock()
		calls := status.calls
		status.err = nil
		status.mu.Unlock()
		if n := logs.FilterMessageSnippet("health source failed").Len(); n != 1 || calls < 4 {
			t.Errorf("%d warnings over %d failed calls, want 1", n, calls)
		}
		time.Sleep(2 * time.Second)
		if h := m.Snapshot()[0]; !h.Seen || !h.Healthy || logs.FilterMessageSnippet("answers again").Len() != 1 {
			t.Errorf("after the source recovered: %+v", h)
		}
	})
}

func TestAddBatchRefusesWhatItCannotWatch(t *testing.T) {
	m := NewMonitor(Config{Interval: time.Second}, targets("i-a"), nil, zap.NewNop())
	s := &scriptedSource{name: "ELB"}
	if err := m.AddBatch(Batch{Source: s, IDs: []string{"i-zz"}, Interval: time.Second}); err == nil {
		t.Error("a source over an instance that is not a target was accepted")
	}
	if err := m.AddBatch(Batch{Source: s, IDs: []string{"i-a"}}); err == nil {
		t.Error("a source without an interval was accepted")
	}
	if u := m.Uncovered(); !slices.Equal(u, []string{"i-a"}) {
		t.Errorf("Uncovered = %v, want i-a (no prober, no source)", u)
	}
	addBatch(t, m, s, time.Second, "i-a")
	if err := m.AddBatch(Batch{Source: s, IDs: []string{"i-a"}, Interval: time.Second}); err == nil {
		t.Error("a second source of the same name over i-a was accepted")
	}
}

func TestStatusVerdict(t *testing.T) {
	for _, tt := range []struct {
		in      EC2Status
		healthy bool
		detail  string
	}{
		{EC2Status{State: "running", System: "ok", Instance: "ok"}, true, "ok"},
		{EC2Status{State: "running", System: "ok", Instance: "initializing", InstanceDetail: "initializing"}, false, "initializing (instance check, reachability initializing)"},
		{EC2Status{State: "running", System: "ok", Instance: "impaired", InstanceDetail: "failed"}, false, "impaired (instance check, reachability failed)"},
		{EC2Status{State: "running", System: "impaired", Instance: "ok"}, false, "impaired (system check)"},
		{EC2Status{State: "running", System: "impaired", Instance: "impaired"}, false, "impaired (system and instance checks)"},
		{EC2Status{State: "running", System: "insufficient-data", Instance: "initializing"}, false, "system insufficient-data, instance initializing"},
		{EC2Status{State: "stopped", System: "not-applicable", Instance: "not-applicable"}, false, "instance stopped"},
		{EC2Status{State: "pending"}, false, "instance pending"},
		{EC2Status{State: "running"}, false, "unknown (system and instance checks)"},
	} {
		if got := StatusVerdict(tt.in); got.Healthy != tt.healthy || got.Detail != tt.detail {
			t.Errorf("StatusVerdict(%+v) = %+v, want healthy=%v %q", tt.in, got, tt.healthy, tt.detail)
		}
	}
}

func TestStatusSourceReportsVanishedInstances(t *testing.T) {
	s := NewStatusSource(func(_ context.Context, ids []string) (map[string]EC2Status, error) {
		return map[string]EC2Status{"i-a": {State: "running", System: "ok", Instance: "ok"}}, nil
	})
	got, err := s.Check(t.Context(), []string{"i-a", "i-gone"})
	if err != nil || !got["i-a"].Healthy || got["i-gone"].Healthy || got["i-gone"].Detail != "instance not found" {
		t.Errorf("Check = %+v, %v", got, err)
	}
	failing := NewStatusSource(func(context.Context, []string) (map[string]EC2Status, error) { return nil, errors.New("denied") })
	if _, err := failing.Check(t.Context(), []string{"i-a"}); err == nil {
		t.Error("a failed read gave verdicts")
	}
}
