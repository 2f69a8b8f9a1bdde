package verify

import (
	"context"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Service is a health check of something users see (a load balancer URL),
// probed on its own schedule.
type Service struct {
	Name     string
	URL      string
	Interval time.Duration
	Prober   Prober
}

// Sample is one probe of a service.
type Sample struct {
	At      time.Time     `json:"at"`
	OK      bool          `json:"ok"`
	Latency time.Duration `json:"latency"`
	Detail  string        `json:"detail,omitempty"`
}

// Services probes every service until stopped and keeps every sample: a
// run lasts minutes to hours at a few probes a second per service, a few
// thousand samples, which the report needs in full (availability over
// time, longest outage, latency percentiles).
type Services struct {
	services []Service
	log      *zap.Logger

	mu      sync.Mutex
	samples map[string][]Sample

	sem    chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewServices builds the service monitor; nothing runs until Start.
func NewServices(services []Service, log *zap.Logger) *Services {
	return &Services{services: services, log: log, samples: map[string][]Sample{}, sem: make(chan struct{}, 16)}
}

// Start begins probing.
func (s *Services) Start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	for _, svc := range s.services {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			probeLoop(ctx, svc.Interval, 0, s.sem, func(ctx context.Context) Result { return svc.Prober.Probe(ctx, svc.URL) },
				func(start time.Time, res Result) { s.record(svc.Name, start, res) })
		}()
	}
}

// Stop ends probing; safe to call more than once.
func (s *Services) Stop() {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	for _, svc := range s.services {
		if c, ok := svc.Prober.(interface{ CloseIdleConnections() }); ok {
			c.CloseIdleConnections()
		}
	}
}

func (s *Services) record(name string, start time.Time, res Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.samples[name]
	if n := len(list); n == 0 || list[n-1].OK != res.Healthy {
		s.log.Info("service health changed", zap.String("service", name), zap.Bool("ok", res.Healthy), zap.String("detail", res.Detail))
	}
	s.samples[name] = append(list, Sample{At: start, OK: res.Healthy, Latency: res.Latency, Detail: res.Detail})
}

// Samples copies every service's samples, by service name.
func (s *Services) Samples() map[string][]Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]Sample, len(s.samples))
	for name, list := range s.samples {
		out[name] = append([]Sample(nil), list...)
	}
	return out
}

// Availability is the share of successful probes of one service.
type Availability struct {
	Service string
	OK      int
	Total   int
}

// Percent is the availability in percent; 100 when nothing was probed.
func (a Availability) Percent() float64 {
	if a.Total == 0 {
		return 100
	}
	return 100 * float64(a.OK) / float64(a.Total)
}

// AvailabilitySince computes each service's availability over the samples
// sent at or after since, by service name order.
func (s *Services) AvailabilitySince(since time.Time) []Availability {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Availability, 0, len(s.services))
	for _, svc := range s.services {
		a := Availability{Service: svc.Name}
		list := s.samples[svc.Name]
		// Samples are in time order: find the first one in the window.
		for _, sm := range list[sort.Search(len(list), func(i int) bool { return !list[i].At.Before(since) }):] {
			a.Total++
			if sm.OK {
				a.OK++
			}
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Service < out[j].Service })
	return out
}
