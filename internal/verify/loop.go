package verify

import (
	"context"
	"time"
)

// probeLoop probes every interval, the first time after offset, holding a
// slot of sem for each probe so that concurrency stays bounded, and hands
// every result to record with the time the probe was sent. It returns when
// ctx ends; a probe cut short by that says nothing and is not recorded.
func probeLoop(ctx context.Context, interval, offset time.Duration, sem chan struct{},
	probe func(context.Context) Result, record func(start time.Time, res Result)) {
	timer := time.NewTimer(offset)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		select {
		case <-ctx.Done():
			return
		case sem <- struct{}{}:
		}
		start := time.Now()
		res := probe(ctx)
		<-sem
		if ctx.Err() != nil {
			return
		}
		record(start, res)
		timer.Reset(max(0, interval-time.Since(start)))
	}
}
