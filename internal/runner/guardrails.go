package runner

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"gameday/internal/scenario"
)

// guardrails watch the run while it goes and end it (cancel with the
// reason) when unhealthy instances or service availability cross the
// scenario's limits. The executor then stops launching waves and the run
// restores what it stopped.
type guardrails struct {
	g        scenario.Guardrails
	mons     monitors
	interval time.Duration
	log      *zap.Logger
}

// watch checks the guardrails every interval until ctx ends; it returns a
// function that stops watching and waits for the watcher to exit.
func (gr guardrails) watch(ctx context.Context, abort context.CancelCauseFunc) func() {
	if gr.g.MaxUnhealthyPercent == nil && gr.g.AbortBelowAvailability == nil {
		return func() {}
	}
	ctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ticker := time.NewTicker(gr.interval)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
			if reason := gr.breached(); reason != "" {
				gr.log.Warn("guardrail breached: aborting", zap.String("reason", reason))
				abort(fmt.Errorf("guardrail: %s", reason))
				return
			}
		}
	}()
	return func() { stop(); <-done }
}

// breached returns why the run must stop, or "".
func (gr guardrails) breached() string {
	if max := gr.g.MaxUnhealthyPercent; max != nil && gr.mons.instances != nil {
		bad, seen := 0, 0
		for _, h := range gr.mons.instances.Snapshot() {
			if h.Seen {
				seen++
				if !h.Healthy {
					bad++
				}
			}
		}
		if seen > 0 {
			if share := 100 * float64(bad) / float64(seen); share > max.Value {
				return fmt.Sprintf("max_unhealthy_percent: %d of %d eligible instances unhealthy (%.1f%% > %s)", bad, seen, share, max)
			}
		}
	}
	if floor := gr.g.AbortBelowAvailability; floor != nil && gr.mons.services != nil {
		window := gr.g.AvailabilityWindow.Duration
		for _, a := range gr.mons.services.AvailabilitySince(time.Now().Add(-window)) {
			if a.Total > 0 && a.Percent() < floor.Value {
				return fmt.Sprintf("abort_below_availability: %s answered %d of %d probes in the last %s (%.1f%% < %s)",
					a.Service, a.OK, a.Total, window, a.Percent(), floor)
			}
		}
	}
	return ""
}
