package verify

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
)

// flakyProber fails while down is true.
type flakyProber struct {
	mu   sync.Mutex
	down bool
}

func (p *flakyProber) set(down bool) { p.mu.Lock(); p.down = down; p.mu.Unlock() }

func (p *flakyProber) Probe(context.Context, string) Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return Result{Detail: "HTTP 503", Latency: 20 * time.Millisecond}
	}
	return Result{Healthy: true, Detail: "HTTP 200", Latency: 5 * time.Millisecond}
}

func TestServicesAvailabilityOverAWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store, db := &flakyProber{}, &flakyProber{}
		s := NewServices([]Service{
			{Name: "storefront", URL: "http://a", Interval: time.Second, Prober: store},
			{Name: "db", URL: "http://b", Interval: time.Second, Prober: db},
		}, zap.NewNop())
		start := time.Now()
		s.Start(t.Context())
		time.Sleep(10500 * time.Millisecond) // samples at 0..10 s, all fine
		store.set(true)
		windowStart := time.Now()
		time.Sleep(5 * time.Second) // storefront fails at 11..15 s
		store.set(false)
		time.Sleep(5 * time.Second) // fine again at 16..20 s
		s.Stop()

		all := s.AvailabilitySince(start)
		if all[0].Service != "db" || all[0].Percent() != 100 {
			t.Errorf("db availability %+v, want 100%%", all[0])
		}
		if sf := all[1]; sf.Total != 21 || sf.OK != 16 {
			t.Errorf("storefront over the run %+v, want 16 of 21", sf)
		}
		if w := s.AvailabilitySince(windowStart)[1]; w.Total != 10 || w.OK != 5 {
			t.Errorf("storefront over the last 10 s %+v, want 5 of 10", w)
		}
		if got := len(s.Samples()["storefront"]); got != 21 {
			t.Errorf("%d samples kept, want 21", got)
		}
	})
}
