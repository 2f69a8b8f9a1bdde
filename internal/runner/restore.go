package runner

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
	"gameday/internal/journal"
	"gameday/internal/recovery"
	"gameday/internal/scenario"
)

// restore brings back every instance the run may have left stopped, after
// an abort, an error or an interrupt, from what the journal says: the same
// code as gameday recover. It works on a context detached from the
// interrupt (a first Ctrl-C means "stop and clean up"; a second exits at
// once and leaves the journal for gameday recover). It returns a sentence
// for the report.
func (r *recorder) restore(ctx context.Context) string {
	if r.opts.DryRun {
		return ""
	}
	records, _, err := journal.Read(r.journal.Path())
	if err != nil {
		r.log.Error("cannot read the journal to restore; run gameday recover", zap.Error(err))
		return "restoration failed: " + err.Error() + "; run gameday recover " + r.runID
	}
	sum := journal.Summarize(records)
	if len(sum.MayBeStopped) == 0 && len(sum.Tagged) == 0 {
		return ""
	}
	fmt.Fprintf(r.opts.Out, "restoring: starting every instance this run stopped (%d) and removing its tags\n", len(sum.MayBeStopped))
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*r.opts.StateTimeout+time.Minute)
	defer cancel()
	res, err := recovery.RecoverRun(ctx, recovery.Operators(r.opts.Operators), sum, r.journal, r.log,
		recovery.Options{Poll: r.opts.PollInterval, Timeout: r.opts.StateTimeout, InRun: true})
	if err != nil {
		r.log.Error("restoration incomplete; run gameday recover", zap.Error(err))
		return fmt.Sprintf("restoration incomplete (%v); run gameday recover %s", err, r.runID)
	}
	msg := fmt.Sprintf("restored: %d started again, %d already running, %d gone", res.Count(recovery.Restored),
		res.Count(recovery.AlreadyRunning), res.Count(recovery.Gone))
	if res.Incomplete() {
		msg += "; some instances could not be brought back: see the journal"
	}
	fmt.Fprintln(r.opts.Out, msg)
	return msg
}

// releaseLeftStopped removes the dead-man tags from instances an action
// stop left stopped on purpose, once the run has completed: they are meant
// to stay stopped, and gameday recover --orphans must not start them.
func (r *recorder) releaseLeftStopped(ctx context.Context) {
	for _, ph := range r.plan.Phases {
		if ph.Step.Action.Type != scenario.ActionStop {
			continue
		}
		byRegion := idsByRegion(ph.Selected)
		for _, region := range slices.Sorted(maps.Keys(byRegion)) {
			ids := byRegion[region]
			in := journal.Intent{Action: fleet.ActionUntag, Region: region, IDs: ids, Keys: journal.DeadManTagKeys, Phase: ph.Name}
			seq, err := r.journal.Intend(in)
			if err != nil {
				r.log.Error("journal", zap.Error(err))
				return
			}
			err = r.opts.Operators[region].Untag(ctx, ids, journal.DeadManTagKeys)
			out := journal.OutcomeOf(seq, err)
			_ = r.journal.Append(journal.Record{Outcome: &out})
			r.log.Info("left stopped by design; dead-man tags removed", zap.String("phase", ph.Name),
				zap.Strings("instance_ids", ids), zap.Error(err))
		}
	}
}
