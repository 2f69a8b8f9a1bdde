package verify

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// scriptedProber answers from a per-URL schedule of outages in virtual time.
type scriptedProber struct {
	mu      sync.Mutex
	origin  time.Time
	outages map[string][][2]time.Duration // [from, to) since origin
}

func (p *scriptedProber) Probe(_ context.Context, url string) Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	since := time.Since(p.origin)
	for _, o := range p.outages[url] {
		if since >= o[0] && since < o[1] {
			return Result{Detail: "connection refused"}
		}
	}
	return Result{Healthy: true, Detail: "HTTP 200"}
}

func newTestMonitor(t *testing.T, p Prober, cfg Config, ids ...string) (*Monitor, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	var targets []Target
	for _, id := range ids {
		targets = append(targets, Target{InstanceID: id, AZ: "us-east-1a", URL: "http://" + id})
	}
	return NewMonitor(cfg, targets, p, zap.New(core)), logs
}

func TestMonitorMeasuresRecoveryFromActionToFirstHealthyProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &scriptedProber{origin: time.Now(), outages: map[string][][2]time.Duration{
			"http://i-a": {{1200 * time.Millisecond, 4 * time.Second}},
		}}
		m, _ := newTestMonitor(t, p, Config{Interval: 500 * time.Millisecond}, "i-a", "i-b")
		m.Start(t.Context())
		defer m.Stop()

		time.Sleep(time.Second)
		m.MarkActed([]string{"i-a"}, time.Now())
		res, err := m.WaitRecovered(t.Context(), []string{"i-a"}, time.Minute)
		if err != nil || res.TimedOut {
			t.Fatalf("WaitRecovered = %+v, %v; want recovered", res, err)
		}
		h := m.Snapshot()[0]
		// i-a is probed at 0, 0.5 s, 1 s, ...: first failure at 1.5 s, first
		// success at 4 s; the action was at 1 s.
		if got, want := h.DownAt.Sub(p.origin), 1500*time.Millisecond; got != want {
			t.Errorf("down at %v, want %v", got, want)
		}
		if got, want := h.RecoveryTime(), 3*time.Second; got != want {
			t.Errorf("recovery time %v, want %v", got, want)
		}
		if h.NoDowntimeObserved {
			t.Error("NoDowntimeObserved = true for an instance seen down")
		}
		if got := len(h.Transitions); got != 3 {
			t.Errorf("transitions = %d (%+v), want healthy, unhealthy, healthy", got, h.Transitions)
		}
		if b := m.Snapshot()[1]; b.Recovered() || !b.ActedAt.IsZero() {
			t.Errorf("untouched i-b has recovery data: %+v", b)
		}
	})
}

func TestMonitorIgnoresFailuresBeforeTheAction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Down from 0 to 2 s, acted on at 3 s while healthy, never down again.
		p := &scriptedProber{origin: time.Now(), outages: map[string][][2]time.Duration{
			"http://i-a": {{0, 2 * time.Second}},
		}}
		m, logs := newTestMonitor(t, p, Config{Interval: time.Second, DowntimeGrace: 5 * time.Second}, "i-a")
		m.Start(t.Context())
		defer m.Stop()

		time.Sleep(3 * time.Second)
		acted := time.Now()
		m.MarkActed([]string{"i-a"}, acted)
		if _, err := m.WaitRecovered(t.Context(), []string{"i-a"}, time.Minute); err != nil {
			t.Fatal(err)
		}
		h := m.Snapshot()[0]
		if !h.NoDowntimeObserved || !h.DownAt.IsZero() || !h.RecoveredAt.Equal(acted) {
			t.Errorf("got %+v; want recovered at the action with no downtime observed", h)
		}
		if got := time.Since(acted); got < 5*time.Second {
			t.Errorf("gate passed after %v, before the %v grace", got, 5*time.Second)
		}
		if logs.FilterMessageSnippet("never seen down").Len() != 1 {
			t.Error("no warning logged for an action without observed downtime")
		}
	})
}

func TestWaitRecoveredTimesOutAndNamesThePending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &scriptedProber{origin: time.Now(), outages: map[string][][2]time.Duration{
			"http://i-a": {{0, time.Hour}},
		}}
		m, _ := newTestMonitor(t, p, Config{Interval: time.Second}, "i-a", "i-b")
		m.Start(t.Context())
		defer m.Stop()
		m.MarkActed([]string{"i-a", "i-b"}, time.Now())

		res, err := m.WaitRecovered(t.Context(), []string{"i-a", "i-b"}, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if !res.TimedOut || len(res.Pending) != 1 || res.Pending[0] != "i-a" {
			t.Errorf("got %+v, want timed out with i-a pending", res)
		}
		if res.Elapsed != 30*time.Second {
			t.Errorf("elapsed %v, want the 30s timeout", res.Elapsed)
		}
	})
}

func TestWaitRecoveredReturnsWhenContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &scriptedProber{origin: time.Now(), outages: map[string][][2]time.Duration{"http://i-a": {{0, time.Hour}}}}
		m, _ := newTestMonitor(t, p, Config{Interval: time.Second}, "i-a")
		m.Start(t.Context())
		defer m.Stop()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if _, err := m.WaitRecovered(ctx, []string{"i-a"}, time.Hour); err == nil {
			t.Fatal("WaitRecovered returned no error after its context ended")
		}
	})
}

func TestWaitSteadyReportsUnhealthyTargets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &scriptedProber{origin: time.Now(), outages: map[string][][2]time.Duration{"http://i-b": {{0, time.Hour}}}}
		m, _ := newTestMonitor(t, p, Config{Interval: time.Second}, "i-a", "i-b", "i-c")
		m.Start(t.Context())
		defer m.Stop()
		bad, err := m.WaitSteady(t.Context(), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(bad) != 1 || bad[0].InstanceID != "i-b" || bad[0].LastDetail != "connection refused" {
			t.Errorf("WaitSteady = %+v, want only i-b, refused", bad)
		}
		// All three were probed within the first interval.
		if got := time.Since(p.origin); got >= time.Second {
			t.Errorf("steady state took %v, want under one interval", got)
		}
	})
}
