package recovery

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
	"gameday/internal/journal"
)

// verdict is what one Describe means for an instance being waited on.
type verdict int

const (
	keepWaiting verdict = iota
	reached             // in the state waited for
	leave               // will not get there: the caller decides why
)

// stopsBeforeFailing is how many Describes in a row may show a started
// instance stopped before recovery believes it: reads lag writes in EC2.
const stopsBeforeFailing = 3

type waitResult struct {
	reached, others []string
}

// poll describes ids every Poll until judge has an answer for each, the
// Timeout passes (those left fail) or ctx ends.
func (j *regionJob) poll(ctx context.Context, ids []string, want string, judge func(*fleet.Instance) verdict) (waitResult, error) {
	var res waitResult
	deadline := j.opts.Now().Add(j.opts.Timeout)
	for first := true; len(ids) > 0; first = false {
		if !first {
			if err := sleep(ctx, j.opts.Poll); err != nil {
				j.failAll(ids, fmt.Sprintf("interrupted while waiting for %s", want))
				return res, err
			}
		}
		found, err := j.describe(ctx, ids)
		if err != nil {
			j.failAll(ids, fmt.Sprintf("describe failed while waiting for %s: %v", want, err))
			return res, err
		}
		var waiting []string
		for _, id := range ids {
			switch judge(found[id]) {
			case reached:
				res.reached = append(res.reached, id)
			case leave:
				res.others = append(res.others, id)
			default:
				waiting = append(waiting, id)
			}
		}
		ids = waiting
		if len(ids) > 0 && !j.opts.Now().Before(deadline) {
			j.failAll(ids, fmt.Sprintf("not %s after %s", want, j.opts.Timeout))
			return res, fmt.Errorf("%w: %d instances in %s not %s after %s", ErrTimeout, len(ids), j.region, want, j.opts.Timeout)
		}
	}
	return res, nil
}

// waitStopped waits for stopping instances to stop. Those someone else
// started meanwhile are returned in others, marked already running.
func (j *regionJob) waitStopped(ctx context.Context, ids []string) (waitResult, error) {
	res, err := j.poll(ctx, ids, fleet.StateStopped, func(inst *fleet.Instance) verdict {
		switch stateOf(inst) {
		case fleet.StateStopped:
			return reached
		case fleet.StateStopping:
			return keepWaiting
		}
		return leave
	})
	var running []string
	for _, id := range res.others {
		if state := stateOf(j.seen[id]); state == fleet.StatePending || state == fleet.StateRunning {
			j.results[id].Result = AlreadyRunning
			j.decide(id, "no start needed", "started by someone else while it was stopping")
			running = append(running, id)
			continue
		}
		j.gone(id, j.seen[id])
	}
	res.others = running
	return res, err
}

// waitRunning waits for started (or found starting) instances to run,
// then records them restored.
func (j *regionJob) waitRunning(ctx context.Context, ids []string) error {
	stops := map[string]int{}
	res, err := j.poll(ctx, ids, fleet.StateRunning, func(inst *fleet.Instance) verdict {
		switch stateOf(inst) {
		case fleet.StateRunning:
			return reached
		case fleet.StatePending:
			return keepWaiting
		case fleet.StateStopped:
			if stops[inst.ID]++; stops[inst.ID] < stopsBeforeFailing {
				return keepWaiting
			}
		}
		return leave
	})
	for _, id := range res.others {
		switch state := stateOf(j.seen[id]); state {
		case fleet.StateStopped, fleet.StateStopping:
			j.fail(id, "started, then "+state+" again (capacity? someone else?)")
		default:
			j.gone(id, j.seen[id])
		}
	}
	if len(res.reached) > 0 {
		j.log.Info("running", zap.Strings("instances", res.reached))
		j.restore(res.reached, journal.RestoreRunning, "running again")
	}
	return err
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		// ctx.Err keeps errors.Is(err, context.Canceled) true; the cause
		// (e.g. "received interrupt") says why.
		return fmt.Errorf("%w: %v", ctx.Err(), context.Cause(ctx))
	case <-t.C:
		return nil
	}
}
