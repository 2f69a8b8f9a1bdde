package recovery

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"gameday/internal/fleet"
	"gameday/internal/journal"
)

// start starts ids and returns those now starting. After any failed call
// it reads the state back: instances that started anyway count as
// started; only those Describe shows still stopped are sent again, and
// only after an uncertain outcome or partial progress (a plain refusal
// would be refused again), at most MaxStartAttempts calls in all.
func (j *regionJob) start(ctx context.Context, ids []string) ([]string, error) {
	var started []string
	pending := ids
	for attempt := 1; len(pending) > 0; attempt++ {
		batch := pending
		callErr := j.act(ctx, journal.Intent{Action: fleet.ActionStart, Region: j.region, IDs: batch},
			func() error { return j.op.Start(ctx, batch) })
		if callErr == nil {
			j.markStarted(batch)
			return append(started, batch...), nil
		}
		j.log.Warn("start did not succeed; reading the state back", zap.Strings("instances", batch),
			zap.Int("attempt", attempt), zap.Error(callErr))
		if err := sleep(ctx, j.opts.Poll); err != nil {
			j.failAll(batch, fmt.Sprintf("start: %v; interrupted", callErr))
			return started, errors.Join(callErr, err)
		}
		found, err := j.describe(ctx, batch)
		if err != nil {
			j.failAll(batch, fmt.Sprintf("start: %v; describe: %v", callErr, err))
			return started, errors.Join(callErr, err)
		}
		now, still := j.afterFailedStart(batch, found)
		j.markStarted(now)
		started = append(started, now...)
		if len(still) == 0 {
			return started, nil
		}
		var uncertain *fleet.UncertainError
		if attempt >= j.opts.MaxStartAttempts || (!errors.As(callErr, &uncertain) && len(still) == len(batch)) {
			j.failAll(still, fmt.Sprintf("still stopped: %v", callErr))
			return started, callErr
		}
		j.log.Info("start again", zap.Strings("instances", still),
			zap.String("reason", "Describe shows them still stopped after the last start"))
		pending = still
	}
	return started, nil
}

// afterFailedStart sorts a failed start's instances by what Describe saw.
func (j *regionJob) afterFailedStart(batch []string, found map[string]*fleet.Instance) (started, still []string) {
	for _, id := range batch {
		switch state := stateOf(found[id]); state {
		case fleet.StatePending, fleet.StateRunning:
			started = append(started, id)
		case fleet.StateStopped:
			still = append(still, id)
		case fleet.StateStopping:
			j.fail(id, "stopping again after a start: someone else is stopping it")
		default:
			j.gone(id, found[id])
		}
	}
	return started, still
}

func (j *regionJob) markStarted(ids []string) {
	for _, id := range ids {
		j.results[id].Result = Restored
		j.decide(id, "started", "start accepted; waiting for running")
	}
}
