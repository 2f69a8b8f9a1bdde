package verify

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Target is one instance health endpoint to watch.
type Target struct {
	InstanceID string
	AZ         string
	URL        string
}

// Config tunes the monitor.
type Config struct {
	Interval time.Duration
	// Concurrency bounds probes in flight (default 64).
	Concurrency int
	// DowntimeGrace: an acted-on instance that stays healthy this long after
	// its action, never seen failing, counts as recovered with no downtime
	// observed (the reboot was shorter than the probe interval). Default:
	// five intervals, at least 10 s.
	DowntimeGrace time.Duration
}

// Transition is a change of health seen by a probe.
type Transition struct {
	At      time.Time `json:"at"`
	Healthy bool      `json:"healthy"`
	Detail  string    `json:"detail"`
}

// InstanceHealth is everything the monitor knows about one target.
//
// Times are probe start times: a probe reports the state at the moment it
// was sent, so recovery times have the resolution of the probe interval.
type InstanceHealth struct {
	InstanceID  string
	AZ          string
	URL         string
	Probes      int
	Failures    int
	Seen        bool
	Healthy     bool
	LastDetail  string
	Transitions []Transition
	// ActedAt is when the executor acted on the instance (zero if never).
	ActedAt time.Time
	// DownAt is the first failed probe sent at or after ActedAt.
	DownAt time.Time
	// RecoveredAt is the first healthy probe after DownAt.
	RecoveredAt time.Time
	// NoDowntimeObserved: healthy for DowntimeGrace after the action
	// without a failure; RecoveredAt is then ActedAt.
	NoDowntimeObserved bool
}

// Recovered reports whether the instance came back after its action.
func (h InstanceHealth) Recovered() bool { return !h.RecoveredAt.IsZero() }

// RecoveryTime is the time from action to recovery.
func (h InstanceHealth) RecoveryTime() time.Duration { return h.RecoveredAt.Sub(h.ActedAt) }

// Monitor probes targets until stopped. Start/Stop bracket its goroutines.
type Monitor struct {
	cfg    Config
	prober Prober
	log    *zap.Logger

	mu      sync.Mutex
	order   []string
	health  map[string]*InstanceHealth
	changed chan struct{} // closed and replaced on every recorded probe

	sem    chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewMonitor builds a monitor over targets; nothing runs until Start.
func NewMonitor(cfg Config, targets []Target, prober Prober, log *zap.Logger) *Monitor {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	if cfg.DowntimeGrace <= 0 {
		cfg.DowntimeGrace = max(10*time.Second, 5*cfg.Interval)
	}
	m := &Monitor{
		cfg: cfg, prober: prober, log: log,
		health:  make(map[string]*InstanceHealth, len(targets)),
		changed: make(chan struct{}),
		sem:     make(chan struct{}, cfg.Concurrency),
	}
	for _, t := range targets {
		m.order = append(m.order, t.InstanceID)
		m.health[t.InstanceID] = &InstanceHealth{InstanceID: t.InstanceID, AZ: t.AZ, URL: t.URL}
	}
	return m
}

// Start begins probing. First probes are spread evenly over one interval so
// a large fleet is not probed in one burst.
func (m *Monitor) Start(ctx context.Context) {
	ctx, m.cancel = context.WithCancel(ctx)
	for i, id := range m.order {
		offset := m.cfg.Interval * time.Duration(i) / time.Duration(len(m.order))
		h := m.health[id]
		m.wg.Add(1)
		go m.loop(ctx, id, h.URL, offset)
	}
}

// Stop ends probing, waits for in-flight probes and releases the prober's
// pooled connections. It is safe to call more than once.
func (m *Monitor) Stop() {
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	if c, ok := m.prober.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (m *Monitor) loop(ctx context.Context, id, url string, offset time.Duration) {
	defer m.wg.Done()
	probeLoop(ctx, m.cfg.Interval, offset, m.sem, func(ctx context.Context) Result { return m.prober.Probe(ctx, url) },
		func(start time.Time, res Result) { m.record(id, start, res) })
}

// MarkActed records that the executor acted on ids at the given time. Call
// it before the API call, so no probe after the action is misattributed.
func (m *Monitor) MarkActed(ids []string, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		if h, ok := m.health[id]; ok {
			h.ActedAt, h.DownAt, h.RecoveredAt, h.NoDowntimeObserved = at, time.Time{}, time.Time{}, false
		}
	}
}

func (m *Monitor) record(id string, start time.Time, res Result) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.health[id]
	h.Probes++
	if !res.Healthy {
		h.Failures++
	}
	if !h.Seen || h.Healthy != res.Healthy {
		h.Transitions = append(h.Transitions, Transition{At: start, Healthy: res.Healthy, Detail: res.Detail})
		m.log.Debug("health changed", zap.String("instance_id", id), zap.Bool("healthy", res.Healthy), zap.String("detail", res.Detail))
	}
	h.Seen, h.Healthy, h.LastDetail = true, res.Healthy, res.Detail
	m.trackRecovery(h, start, res)
	close(m.changed)
	m.changed = make(chan struct{})
}

// trackRecovery applies the recovery rule to one probe of an acted-on
// instance. Probes sent before the action say nothing about it.
func (m *Monitor) trackRecovery(h *InstanceHealth, start time.Time, res Result) {
	if h.ActedAt.IsZero() || start.Before(h.ActedAt) || h.Recovered() {
		return
	}
	switch {
	case !res.Healthy && h.DownAt.IsZero():
		h.DownAt = start
		m.log.Debug("instance down", zap.String("instance_id", h.InstanceID), zap.String("detail", res.Detail),
			zap.Duration("after_action", start.Sub(h.ActedAt)))
	case res.Healthy && !h.DownAt.IsZero():
		h.RecoveredAt = start
		m.log.Debug("instance recovered", zap.String("instance_id", h.InstanceID), zap.Duration("recovery", h.RecoveryTime()))
	case res.Healthy && start.Sub(h.ActedAt) >= m.cfg.DowntimeGrace:
		h.RecoveredAt, h.NoDowntimeObserved = h.ActedAt, true
		m.log.Warn("instance never seen down after its action; counted as recovered with no downtime",
			zap.String("instance_id", h.InstanceID), zap.Duration("grace", m.cfg.DowntimeGrace),
			zap.String("reason", "the outage, if any, was shorter than the probe interval"))
	}
}

// Snapshot copies the health of every target, in target order.
func (m *Monitor) Snapshot() []InstanceHealth {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]InstanceHealth, 0, len(m.order))
	for _, id := range m.order {
		h := *m.health[id]
		h.Transitions = append([]Transition(nil), h.Transitions...)
		out = append(out, h)
	}
	return out
}
