package verify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Target is one instance to watch; URL is its probe address (unused when
// the monitor has no prober).
type Target struct {
	InstanceID string
	AZ         string
	URL        string
}

// Config tunes the monitor.
type Config struct {
	// Interval is the time between probes of one instance.
	Interval time.Duration
	// Concurrency bounds probes (and batch calls) in flight (default 64).
	Concurrency int
	// DowntimeGrace: an acted-on instance that stays healthy this long after
	// its action, never seen failing, counts as recovered with no downtime
	// observed (the reboot was shorter than the probe interval). Default:
	// five intervals (of the slowest source), at least 10 s.
	DowntimeGrace time.Duration
}

// Transition is a change of health seen by a probe.
type Transition struct {
	At      time.Time `json:"at"`
	Healthy bool      `json:"healthy"`
	Detail  string    `json:"detail"`
}

// CheckState is the latest verdict of one source on one instance.
type CheckState struct {
	// Source is "probe" (the per-instance HTTP or TCP probe) or a batch
	// source's name ("status checks", "ELB").
	Source  string
	Seen    bool
	Healthy bool
	Detail  string
	// At is when the latest observation was sent; Since when the source's
	// current verdict (healthy or not) began.
	At    time.Time
	Since time.Time
}

// InstanceHealth is everything the monitor knows about one target.
//
// An instance is healthy only when every source that covers it (the probe,
// EC2 status checks, each ELB target group, as configured) says so; it is
// Seen once each of them has answered. Probes and Failures count the
// observations of all sources.
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
	// Checks is the latest verdict of each source covering the instance.
	Checks []CheckState
	// ActedAt is when the executor acted on the instance (zero if never).
	ActedAt time.Time
	// DownAt is the first failed probe sent at or after ActedAt.
	DownAt time.Time
	// RecoveredAt is when, after DownAt, every source had said healthy
	// again, each in an observation sent after the action.
	RecoveredAt time.Time
	// NoDowntimeObserved: healthy for DowntimeGrace after the action
	// without a failure; RecoveredAt is then ActedAt.
	NoDowntimeObserved bool
}

// Recovered reports whether the instance came back after its action.
func (h InstanceHealth) Recovered() bool { return !h.RecoveredAt.IsZero() }

// RecoveryTime is the time from action to recovery.
func (h InstanceHealth) RecoveryTime() time.Duration { return h.RecoveredAt.Sub(h.ActedAt) }

// probeSource names the per-instance probe among an instance's checks. Its
// details are shown as they are ("HTTP 200"); a batch source's carry its
// name ("status checks: impaired").
const probeSource = "probe"

// Monitor probes targets until stopped. Start/Stop bracket its goroutines.
type Monitor struct {
	cfg          Config
	defaultGrace bool
	prober       Prober
	batches      []Batch
	log          *zap.Logger

	mu      sync.Mutex
	order   []string
	health  map[string]*InstanceHealth
	checks  map[string][]*CheckState // per instance, in the order sources were added
	changed chan struct{}            // closed and replaced on every recorded probe

	sem    chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewMonitor builds a monitor over targets; nothing runs until Start. With
// a prober, every target is probed at its URL; a nil prober probes nothing
// and health comes from batch sources only (AddBatch).
func NewMonitor(cfg Config, targets []Target, prober Prober, log *zap.Logger) *Monitor {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	m := &Monitor{
		cfg: cfg, prober: prober, log: log,
		health:  make(map[string]*InstanceHealth, len(targets)),
		checks:  make(map[string][]*CheckState, len(targets)),
		changed: make(chan struct{}),
		sem:     make(chan struct{}, cfg.Concurrency),
	}
	if cfg.DowntimeGrace <= 0 {
		m.defaultGrace = true
		m.cfg.DowntimeGrace = max(10*time.Second, 5*cfg.Interval)
	}
	for _, t := range targets {
		m.order = append(m.order, t.InstanceID)
		m.health[t.InstanceID] = &InstanceHealth{InstanceID: t.InstanceID, AZ: t.AZ, URL: t.URL}
		if prober != nil {
			m.checks[t.InstanceID] = []*CheckState{{Source: probeSource}}
		}
	}
	return m
}

// Start begins probing. First probes are spread evenly over one interval so
// a large fleet is not probed in one burst; batch sources are spread over
// theirs.
func (m *Monitor) Start(ctx context.Context) {
	ctx, m.cancel = context.WithCancel(ctx)
	if m.prober != nil {
		for i, id := range m.order {
			offset := m.cfg.Interval * time.Duration(i) / time.Duration(len(m.order))
			h := m.health[id]
			m.wg.Add(1)
			go m.loop(ctx, id, h.URL, offset)
		}
	}
	for i, b := range m.batches {
		m.wg.Add(1)
		go m.batchLoop(ctx, b, b.Interval*time.Duration(i)/time.Duration(len(m.batches)))
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

// record applies one probe result.
func (m *Monitor) record(id string, start time.Time, res Result) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.observe(id, probeSource, start, res)
	m.broadcast()
}

func (m *Monitor) broadcast() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// observe applies one source's verdict on one instance, sent at start, and
// works out the instance's combined health. The caller holds m.mu.
func (m *Monitor) observe(id, source string, start time.Time, res Result) {
	h := m.health[id]
	i := slices.IndexFunc(m.checks[id], func(c *CheckState) bool { return c.Source == source })
	if h == nil || i < 0 {
		return
	}
	c := m.checks[id][i]
	if c.Seen && start.Before(c.At) {
		return // overtaken by a later observation of the same source
	}
	h.Probes++
	if !res.Healthy {
		h.Failures++
	}
	if !c.Seen || c.Healthy != res.Healthy {
		c.Since = start
	}
	c.Seen, c.Healthy, c.Detail, c.At = true, res.Healthy, res.Detail, start

	seen, healthy, detail := m.combined(id)
	if !seen {
		return // until every source has answered, the instance is not seen
	}
	if !h.Seen || h.Healthy != healthy {
		h.Transitions = append(h.Transitions, Transition{At: start, Healthy: healthy, Detail: detail})
		m.log.Debug("health changed", zap.String("instance_id", id), zap.Bool("healthy", healthy), zap.String("detail", detail))
	}
	h.Seen, h.Healthy, h.LastDetail = true, healthy, detail
	m.trackRecovery(h, m.checks[id], start)
}

// combined is an instance's health over all its sources: seen once each
// has answered, healthy when each says so. The detail lists the failing
// sources' details, or all of them when healthy.
func (m *Monitor) combined(id string) (seen, healthy bool, detail string) {
	var good, bad []string
	for _, c := range m.checks[id] {
		if !c.Seen {
			return false, false, ""
		}
		d := labelled(c.Source, c.Detail)
		if c.Healthy {
			good = append(good, d)
		} else {
			bad = append(bad, d)
		}
	}
	if len(bad) > 0 {
		return true, false, strings.Join(bad, "; ")
	}
	return true, true, strings.Join(good, "; ")
}

func labelled(source, detail string) string {
	if source == probeSource {
		return detail
	}
	return source + ": " + detail
}

// trackRecovery applies the recovery rule after an observation of an
// acted-on instance. Observations sent before the action say nothing about
// it: the instance is down at the first failing observation of any source
// sent after the action, and recovered when every source has since said
// healthy in an observation sent after the action (at the latest of the
// times each source turned healthy).
func (m *Monitor) trackRecovery(h *InstanceHealth, checks []*CheckState, start time.Time) {
	if h.ActedAt.IsZero() || start.Before(h.ActedAt) || h.Recovered() {
		return
	}
	fresh, recoveredAt, downAt := true, time.Time{}, start
	var failing []string
	for _, c := range checks {
		switch {
		case c.At.Before(h.ActedAt):
			fresh = false
		case !c.Healthy:
			failing = append(failing, labelled(c.Source, c.Detail))
			if !c.Since.Before(h.ActedAt) && c.Since.Before(downAt) {
				downAt = c.Since // failing since its first observation after the action
			}
		default:
			recoveredAt = later(recoveredAt, c.Since)
		}
	}
	switch {
	case len(failing) > 0 && h.DownAt.IsZero():
		h.DownAt = downAt
		m.log.Debug("instance down", zap.String("instance_id", h.InstanceID), zap.String("detail", strings.Join(failing, "; ")),
			zap.Duration("after_action", downAt.Sub(h.ActedAt)))
	case len(failing) > 0 || !fresh:
	case !h.DownAt.IsZero():
		h.RecoveredAt = later(recoveredAt, h.DownAt)
		m.log.Debug("instance recovered", zap.String("instance_id", h.InstanceID), zap.Duration("recovery", h.RecoveryTime()))
	case start.Sub(h.ActedAt) >= m.cfg.DowntimeGrace:
		h.RecoveredAt, h.NoDowntimeObserved = h.ActedAt, true
		m.log.Warn("instance never seen down after its action; counted as recovered with no downtime",
			zap.String("instance_id", h.InstanceID), zap.Duration("grace", m.cfg.DowntimeGrace),
			zap.String("reason", "the outage, if any, was shorter than the probe interval"))
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Snapshot copies the health of every target, in target order.
func (m *Monitor) Snapshot() []InstanceHealth {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]InstanceHealth, 0, len(m.order))
	for _, id := range m.order {
		h := *m.health[id]
		h.Transitions = append([]Transition(nil), h.Transitions...)
		h.Checks = make([]CheckState, len(m.checks[id]))
		for i, c := range m.checks[id] {
			h.Checks[i] = *c
		}
		out = append(out, h)
	}
	return out
}

// Batch is a source that checks many instances with one call, polled every
// Interval for the instances in IDs.
type Batch struct {
	Source   BatchSource
	IDs      []string
	Interval time.Duration
}

// BatchSource answers for many instances at once: EC2 status checks, an
// ELB target group's target health.
type BatchSource interface {
	// Name labels the source's verdicts: "status checks", "ELB".
	Name() string
	// Check returns a verdict for each of ids. An error means nothing was
	// learned (the call failed); ids missing from the result are left as
	// they were.
	Check(ctx context.Context, ids []string) (map[string]Result, error)
}

// AddBatch adds a batch source covering b.IDs, each of which must be a
// target; every one of them is then healthy only when this source agrees.
// Call it before Start.
func (m *Monitor) AddBatch(b Batch) error {
	if b.Interval <= 0 {
		return fmt.Errorf("verify: batch source %s: interval %s is not positive", b.Source.Name(), b.Interval)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	name := b.Source.Name()
	for _, id := range b.IDs {
		if m.health[id] == nil {
			return fmt.Errorf("verify: batch source %s covers %s, which is not a target", name, id)
		}
		if slices.ContainsFunc(m.checks[id], func(c *CheckState) bool { return c.Source == name }) {
			return fmt.Errorf("verify: %s is covered twice by sources named %s", id, name)
		}
	}
	for _, id := range b.IDs {
		m.checks[id] = append(m.checks[id], &CheckState{Source: name})
	}
	b.IDs = slices.Clone(b.IDs)
	m.batches = append(m.batches, b)
	if m.defaultGrace {
		m.cfg.DowntimeGrace = max(m.cfg.DowntimeGrace, 5*b.Interval)
	}
	return nil
}

// Uncovered lists the targets no source covers, in target order: they
// would never be seen.
func (m *Monitor) Uncovered() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, id := range m.order {
		if len(m.checks[id]) == 0 {
			out = append(out, id)
		}
	}
	return out
}

// batchLoop polls one batch source on the same scheduler as the probes
// (probeLoop: spread, jittered, one concurrency slot per call). A failed
// call records nothing: an API error says nothing about the instances. It
// is logged when it starts and when it changes, and the recovery noted.
func (m *Monitor) batchLoop(ctx context.Context, b Batch, offset time.Duration) {
	defer m.wg.Done()
	name := b.Source.Name()
	var (
		results map[string]Result
		err     error
		lastErr string
	)
	probeLoop(ctx, b.Interval, offset, m.sem,
		func(ctx context.Context) Result {
			results, err = b.Source.Check(ctx, b.IDs)
			return Result{}
		},
		func(start time.Time, _ Result) {
			switch {
			case err != nil && err.Error() != lastErr:
				lastErr = err.Error()
				m.log.Warn("health source failed; its verdicts are unchanged until it answers", zap.String("source", name),
					zap.Int("instances", len(b.IDs)), zap.Error(err))
			case err == nil && lastErr != "":
				lastErr = ""
				m.log.Info("health source answers again", zap.String("source", name))
			}
			if err != nil {
				return
			}
			m.recordBatch(name, start, results)
		})
}

func (m *Monitor) recordBatch(source string, start time.Time, results map[string]Result) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, res := range results {
		m.observe(id, source, start, res)
	}
	m.broadcast()
}
