package verify

import (
	"context"
	"time"
)

// GateResult says whether a group of instances recovered in time.
type GateResult struct {
	Recovered []string
	// Pending did not recover before the gate gave up.
	Pending  []string
	TimedOut bool
	Elapsed  time.Duration
}

// WaitRecovered blocks until every instance in ids has recovered from its
// action, the timeout passes, or ctx ends (then err is ctx's error).
func (m *Monitor) WaitRecovered(ctx context.Context, ids []string, timeout time.Duration) (GateResult, error) {
	start := time.Now()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		changed, res := m.recoveryOf(ids)
		if len(res.Pending) == 0 {
			res.Elapsed = time.Since(start)
			return res, nil
		}
		select {
		case <-ctx.Done():
			res.Elapsed = time.Since(start)
			return res, ctx.Err()
		case <-deadline.C:
			res.TimedOut, res.Elapsed = true, time.Since(start)
			return res, nil
		case <-changed:
		}
	}
}

func (m *Monitor) recoveryOf(ids []string) (<-chan struct{}, GateResult) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var res GateResult
	for _, id := range ids {
		if h, ok := m.health[id]; ok && h.Recovered() {
			res.Recovered = append(res.Recovered, id)
		} else {
			res.Pending = append(res.Pending, id)
		}
	}
	return m.changed, res
}

// WaitSteady blocks until every target has answered at least one probe (or
// timeout), then returns the health of those that are not healthy. A target
// never probed in time is returned too, with Seen false.
func (m *Monitor) WaitSteady(ctx context.Context, timeout time.Duration) ([]InstanceHealth, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		m.mu.Lock()
		changed, unseen := m.changed, 0
		for _, h := range m.health {
			if !h.Seen {
				unseen++
			}
		}
		m.mu.Unlock()
		if unseen == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline.C:
			return m.unhealthy(), nil
		case <-changed:
		}
	}
	return m.unhealthy(), nil
}

func (m *Monitor) unhealthy() []InstanceHealth {
	var out []InstanceHealth
	for _, h := range m.Snapshot() {
		if !h.Seen || !h.Healthy {
			out = append(out, h)
		}
	}
	return out
}
