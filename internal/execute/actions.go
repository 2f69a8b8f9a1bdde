package execute

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
	"gameday/internal/journal"
	"gameday/internal/scenario"
)

// restoreMargin is added to the time a stop-start should take when the run
// promises, in the dead-man tag, when it will have started an instance.
const restoreMargin = 5 * time.Minute

// act carries one region's part of a group through the action and returns
// the instances acted on (those whose outcome is unknown included: they
// may have been acted on, which is what matters for "never twice").
func (x *wave1) act(ctx context.Context, region string, ids []string) ([]string, error) {
	op, err := x.operator(region)
	if err != nil {
		return nil, err
	}
	switch x.cfg.Action.Type {
	case scenario.ActionReboot:
		return x.reboot(ctx, op, region, ids)
	case scenario.ActionStop:
		return x.stop(ctx, op, region, ids, false)
	case scenario.ActionStopStart, scenario.ActionForceStopStart:
		return x.stopStart(ctx, op, region, ids)
	}
	return nil, fmt.Errorf("execute: unknown action %q", x.cfg.Action.Type)
}

func (x *wave1) reboot(ctx context.Context, op fleet.Operator, region string, ids []string) ([]string, error) {
	x.deps.Gate.MarkActed(ids, time.Now())
	var acted []string
	for len(ids) > 0 {
		err := x.mutate(ctx, journal.Intent{Action: fleet.ActionReboot, Region: region, IDs: ids},
			func(ctx context.Context) error { return op.Reboot(ctx, ids) })
		var uncertain *fleet.UncertainError
		switch {
		case err == nil:
			return append(acted, ids...), nil
		case errors.As(err, &uncertain):
			// A reboot leaves no state to read back; re-sending could
			// reboot twice. The health gate will show whether it
			// happened. The batches after the uncertain one were never
			// sent: the wave goes on, so they are sent now, or they
			// would be the only planned instances the run silently
			// skipped.
			x.deps.Log.Warn("reboot outcome unknown; not re-sent, the health gate will tell", zap.Strings("instance_ids", uncertain.IDs),
				zap.Error(err))
			acted = append(append(acted, doneIDs(err)...), uncertain.IDs...)
			ids = notSentIDs(err)
			continue
		}
		return append(acted, doneIDs(err)...), err
	}
	return acted, nil
}

// stopStart stops ids (tagged first, so that a lost run can be found and
// undone), holds them stopped, starts them, waits until they run, and
// removes the tags. The health gate then measures recovery from the start.
func (x *wave1) stopStart(ctx context.Context, op fleet.Operator, region string, ids []string) ([]string, error) {
	stopped, err := x.stop(ctx, op, region, ids, x.cfg.Action.Type == scenario.ActionForceStopStart)
	if err != nil || len(stopped) == 0 {
		return stopped, err
	}
	if hold := x.cfg.Action.StoppedFor.Duration; hold > 0 {
		x.deps.Log.Info("holding stopped", zap.Duration("stopped_for", hold), zap.Strings("instance_ids", stopped))
		if err := Sleep(ctx, hold); err != nil {
			// The run restores what the journal says it stopped.
			return stopped, nil
		}
	}
	if err := x.start(ctx, op, region, stopped); err != nil {
		return stopped, err
	}
	err = x.mutate(ctx, journal.Intent{Action: fleet.ActionUntag, Region: region, IDs: stopped, Keys: journal.DeadManTagKeys},
		func(ctx context.Context) error { return op.Untag(ctx, stopped, journal.DeadManTagKeys) })
	return stopped, err
}

// stop tags ids with the dead-man's switch, stops them and waits until they
// are stopped. It returns the instances it stopped; on an unknown outcome
// it reads the states back and stops once more only those it did not stop
// (stopRest).
func (x *wave1) stop(ctx context.Context, op fleet.Operator, region string, ids []string, force bool) ([]string, error) {
	restoreBy := time.Now().Add(x.cfg.Action.StoppedFor.Duration + 2*x.cfg.StateTimeout + restoreMargin)
	tags := journal.DeadManTags(x.deps.RunID, restoreBy)
	err := x.mutate(ctx, journal.Intent{Action: fleet.ActionTag, Region: region, IDs: ids, Tags: tags},
		func(ctx context.Context) error { return op.Tag(ctx, ids, tags) })
	if err != nil {
		return nil, err
	}
	err = x.mutate(ctx, journal.Intent{Action: fleet.ActionStop, Region: region, IDs: ids, Force: force},
		func(ctx context.Context) error { return op.Stop(ctx, ids, force) })
	stopped := ids
	if err != nil {
		var readErr error
		stopped, readErr = x.whichStopped(ctx, op, region, ids)
		var uncertain *fleet.UncertainError
		if readErr != nil || !errors.As(err, &uncertain) {
			return stopped, errors.Join(err, readErr)
		}
		x.deps.Log.Warn("stop outcome unknown; read back, not re-sent to those stopping or stopped", zap.Strings("stopped", stopped), zap.Error(err))
		if stopped, err = x.stopRest(ctx, op, region, ids, stopped, force); err != nil {
			return stopped, err
		}
	}
	if len(stopped) == 0 {
		return nil, nil
	}
	if err := x.waitFor(ctx, op, region, stopped, fleet.StateStopped); err != nil {
		return stopped, err
	}
	return stopped, nil
}

// stopRest stops, once more, the instances that a stop of unknown outcome
// did not stop (the read-back shows them still running, or the call never
// went out for their batch). They are tagged already; left alone they
// would keep the dead-man tags of a run that never stopped them, and the
// journal would count them as possibly stopped. A second StopInstances
// cannot act twice: an instance the first call did stop, but that a stale
// read showed running, is stopping, and EC2 answers a stop of a stopping
// instance without doing anything. It returns every instance now stopped.
func (x *wave1) stopRest(ctx context.Context, op fleet.Operator, region string, ids, stopped []string, force bool) ([]string, error) {
	rest := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return slices.Contains(stopped, id) })
	if len(rest) == 0 {
		return stopped, nil
	}
	x.deps.Log.Warn("stop outcome unknown; stopping the instances it did not stop", zap.Strings("instance_ids", rest))
	err := x.mutate(ctx, journal.Intent{Action: fleet.ActionStop, Region: region, IDs: rest, Force: force},
		func(ctx context.Context) error { return op.Stop(ctx, rest, force) })
	if err != nil {
		more, readErr := x.whichStopped(ctx, op, region, rest)
		return append(stopped, more...), errors.Join(err, readErr)
	}
	return ids, nil
}

// start starts ids and waits until they run. The recovery the gate
// measures runs from this call. After an unknown outcome it reads the
// states back and starts only those still stopped: starting a stopped
// instance again cannot act twice.
func (x *wave1) start(ctx context.Context, op fleet.Operator, region string, ids []string) error {
	x.deps.Gate.MarkActed(ids, time.Now())
	err := x.mutate(ctx, journal.Intent{Action: fleet.ActionStart, Region: region, IDs: ids},
		func(ctx context.Context) error { return op.Start(ctx, ids) })
	var uncertain *fleet.UncertainError
	if err != nil && !errors.As(err, &uncertain) {
		return err
	}
	if err != nil {
		still, readErr := x.inState(ctx, op, ids, fleet.StateStopped)
		if readErr != nil {
			return errors.Join(err, readErr)
		}
		if len(still) > 0 {
			x.deps.Log.Warn("start outcome unknown; starting the instances still stopped", zap.Strings("instance_ids", still))
			if err := x.mutate(ctx, journal.Intent{Action: fleet.ActionStart, Region: region, IDs: still},
				func(ctx context.Context) error { return op.Start(ctx, still) }); err != nil {
				return err
			}
		}
	}
	return x.waitFor(ctx, op, region, ids, fleet.StateRunning)
}

// mutate journals the intent (and syncs it) before the call and the
// outcome after. A journal that cannot record the intent stops the run:
// acting without a record would break recovery. The call runs on a context
// detached from interrupts. It has no deadline of its own: the operator
// bounds each request it sends (ec2.CallTimeout), while the waits for EC2's
// tokens between its batches can take minutes (a stop-start of 500
// instances after the StartInstances burst is spent waits 250 s).
func (x *wave1) mutate(ctx context.Context, in journal.Intent, call func(context.Context) error) error {
	in.Phase, in.Wave = x.cfg.Phase, x.wave
	seq, err := x.deps.Journal.AppendSeq(journal.Record{Intent: &in})
	if err != nil {
		return fmt.Errorf("execute: cannot journal %s; not acting: %w", in.Action, err)
	}
	callCtx := context.WithoutCancel(ctx)
	x.deps.Log.Info("calling", zap.String("action", string(in.Action)), zap.String("region", in.Region),
		zap.Int("instances", len(in.IDs)), zap.String("phase", in.Phase), zap.Int("wave", in.Wave))
	callErr := call(callCtx)
	out := journal.OutcomeOf(seq, callErr)
	x.note(journal.Record{Outcome: &out})
	if callErr != nil {
		x.deps.Log.Warn("call failed", zap.String("action", string(in.Action)), zap.String("result", out.Result), zap.Error(callErr))
	}
	return callErr
}

// doneIDs lists the instances an error says were certainly acted on.
func doneIDs(err error) []string {
	var partial interface{ DoneIDs() []string }
	if errors.As(err, &partial) {
		return partial.DoneIDs()
	}
	return nil
}

// notSentIDs lists the instances an error says no call was sent for.
func notSentIDs(err error) []string {
	var partial interface{ NotSentIDs() []string }
	if errors.As(err, &partial) {
		return partial.NotSentIDs()
	}
	return nil
}
