package recovery

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.uber.org/zap"

	"gameday/internal/fleet"
	"gameday/internal/journal"
)

// regionJob recovers the instances of one region: look, start what is
// stopped, wait until it runs, remove the tags.
type regionJob struct {
	op     fleet.Operator
	region string
	// runID owns the instances: their tags must name it. Empty (orphans)
	// accepts any run's tags.
	runID string
	w     *journal.Writer // nil: no journal (orphans)
	log   *zap.Logger
	opts  Options
	// results by id; order keeps the order instances were added.
	results map[string]*InstanceResult
	order   []string
	// bringBack lists the ids the run may have left stopped; the others
	// only (maybe) carry its tags.
	bringBack map[string]bool
	// seen is the last Describe view of each instance; nil when absent.
	seen map[string]*fleet.Instance
	// tagsLeft lists instances known to still carry the run's tags.
	tagsLeft map[string]bool
	// journaledTagged lists the instances the run's journal says may
	// carry its tags.
	journaledTagged map[string]bool
}

func newRegionJob(op fleet.Operator, region, runID string, w *journal.Writer, log *zap.Logger, opts Options) *regionJob {
	return &regionJob{op: op, region: region, runID: runID, w: w, log: log.With(zap.String("region", region)), opts: opts,
		results: map[string]*InstanceResult{}, bringBack: map[string]bool{}, seen: map[string]*fleet.Instance{},
		tagsLeft: map[string]bool{}, journaledTagged: map[string]bool{}}
}

// add takes this region's share of a run's summary.
func (j *regionJob) add(mayBeStopped, tagged []journal.Instance) {
	for _, inst := range mayBeStopped {
		if inst.Region == j.region {
			j.result(inst.ID).AZ = inst.AZ
			j.bringBack[inst.ID] = true
		}
	}
	for _, inst := range tagged {
		if inst.Region == j.region {
			j.result(inst.ID).AZ = inst.AZ
			j.journaledTagged[inst.ID] = true
		}
	}
}

func (j *regionJob) result(id string) *InstanceResult {
	r := j.results[id]
	if r == nil {
		r = &InstanceResult{ID: id, Region: j.region}
		j.results[id] = r
		j.order = append(j.order, id)
	}
	return r
}

func (j *regionJob) sorted() []InstanceResult {
	out := make([]InstanceResult, 0, len(j.order))
	for _, id := range j.order {
		out = append(out, *j.results[id])
	}
	sortResults(out)
	return out
}

func (j *regionJob) settled() bool {
	for id, r := range j.results {
		if r.Result == Failed || r.Result == Skipped || j.tagsLeft[id] {
			return false
		}
	}
	return true
}

// run does the whole job. Its error is the first operational failure;
// each instance's Result says how far it got.
func (j *regionJob) run(ctx context.Context) error {
	if err := j.look(ctx); err != nil {
		return err
	}
	toStart, toStop, toRun := j.triage()
	// What is stopped starts now; what is still stopping (a stuck stop
	// can take minutes) is started once it has stopped.
	started, startErr := j.start(ctx, toStart)
	stopped, stopErr := j.waitStopped(ctx, toStop)
	later, laterErr := j.start(ctx, stopped.reached)
	toRun = slices.Concat(toRun, started, stopped.others, later)
	runErr := j.waitRunning(ctx, toRun)
	untagErr := j.untag(ctx)
	return errors.Join(startErr, stopErr, laterErr, runErr, untagErr)
}

// look describes every instance once. A region where every instance is
// absent is suspicious (a wrong account or endpoint looks just like that),
// so silence is not taken for "gone" there.
func (j *regionJob) look(ctx context.Context) error {
	found, err := j.describe(ctx, j.order)
	if err != nil {
		j.failAll(j.order, fmt.Sprintf("describe failed: %v", err))
		return err
	}
	for _, id := range j.order {
		r := j.results[id]
		if inst := found[id]; inst != nil {
			r.Found, r.Final = inst.State, inst.State
			if r.AZ == "" {
				r.AZ = inst.AZ
			}
		}
	}
	if len(found) == 0 && len(j.order) > 0 {
		reason := fmt.Sprintf("none of its %d instances exists in %s: wrong account, region or endpoint?", len(j.order), j.region)
		j.failAll(j.order, reason)
		return fmt.Errorf("recovery: %s", reason)
	}
	return nil
}

func (j *regionJob) failAll(ids []string, reason string) {
	for _, id := range ids {
		j.mark(id, reason)
	}
	if len(ids) > 0 {
		j.restore(ids, journal.RestoreFailed, reason)
	}
}

// triage sorts the instances to bring back by what Describe saw, and
// decides the fate of the tag-only ones.
func (j *regionJob) triage() (toStart, toStop, toRun []string) {
	for _, id := range j.order {
		inst := j.seen[id]
		if j.results[id].Result != "" {
			continue // decided before looking (RecoverOrphans)
		}
		if !j.bringBack[id] {
			j.results[id].Result = TagsOnly
			continue
		}
		if owner := j.foreignOwner(inst); owner != "" {
			reason := fmt.Sprintf("carries the tags of run %s now: left to that run", owner)
			j.settle(id, Skipped, reason)
			j.restore([]string{id}, journal.RestoreSkipped, reason)
			continue
		}
		switch state := stateOf(inst); state {
		case fleet.StateStopped:
			j.decide(id, "start", j.stoppedBy(inst)+" and still stopped")
			toStart = append(toStart, id)
		case fleet.StateStopping:
			j.decide(id, "wait for stopped, then start", "still stopping")
			toStop = append(toStop, id)
		case fleet.StatePending, fleet.StateRunning:
			j.results[id].Result = AlreadyRunning
			j.decide(id, "no start needed", "already "+state)
			toRun = append(toRun, id)
		default:
			j.gone(id, inst)
		}
	}
	return toStart, toStop, toRun
}

// stoppedBy says who stopped inst, as far as recovery knows.
func (j *regionJob) stoppedBy(inst *fleet.Instance) string {
	if j.runID == "" {
		return "tagged by run " + inst.Tags[journal.TagRunID]
	}
	return "stopped by the run"
}

// foreignOwner names the other run whose tags inst carries, if any.
func (j *regionJob) foreignOwner(inst *fleet.Instance) string {
	if inst == nil || j.runID == "" {
		return ""
	}
	if owner, ok := inst.Tags[journal.TagRunID]; ok && owner != j.runID {
		return owner
	}
	return ""
}

func stateOf(inst *fleet.Instance) string {
	if inst == nil {
		return ""
	}
	return inst.State
}

func (j *regionJob) gone(id string, inst *fleet.Instance) {
	reason := "no longer exists"
	switch state := stateOf(inst); state {
	case "":
	case fleet.StateTerminated, fleet.StateShuttingDown:
		reason = "it is " + state + ": nothing to bring back"
	default:
		j.fail(id, "unexpected state "+state)
		return
	}
	j.settle(id, Gone, reason)
	delete(j.tagsLeft, id)
	j.restore([]string{id}, journal.RestoreGone, reason)
}

func (j *regionJob) decide(id, action, reason string) {
	j.log.Info(action, zap.String("instance", id), zap.String("reason", reason))
}

func (j *regionJob) settle(id string, o Outcome, reason string) {
	r := j.results[id]
	r.Result, r.Reason = o, reason
	j.log.Info(string(o), zap.String("instance", id), zap.String("reason", reason))
}

func (j *regionJob) fail(id, reason string) { j.failAll([]string{id}, reason) }

// mark records a failure without journaling it.
func (j *regionJob) mark(id, reason string) {
	r := j.results[id]
	r.Result, r.Reason = Failed, reason
	j.log.Warn("failed", zap.String("instance", id), zap.String("reason", reason))
}

// describe reads ids back, remembers what it saw, and journals it.
func (j *regionJob) describe(ctx context.Context, ids []string) (map[string]*fleet.Instance, error) {
	if len(ids) == 0 {
		return map[string]*fleet.Instance{}, nil
	}
	list, err := j.op.Describe(ctx, ids)
	if err != nil {
		return nil, err
	}
	found := make(map[string]*fleet.Instance, len(list))
	for i := range list {
		found[list[i].ID] = &list[i]
	}
	states := map[string]string{}
	for _, id := range ids {
		j.seen[id] = found[id]
		j.noteTags(id)
		if inst := found[id]; inst != nil {
			states[id] = inst.State
			j.results[id].Final = inst.State
		}
	}
	if len(states) > 0 {
		j.note(journal.Record{State: &journal.State{Region: j.region, Instances: states, Phase: journal.PhaseRecover}})
	}
	return found, nil
}

// noteTags tracks whether id still carries the tags this job removes.
func (j *regionJob) noteTags(id string) {
	inst := j.seen[id]
	owner, tagged := "", false
	if inst != nil {
		owner, tagged = inst.Tags[journal.TagRunID]
	}
	if tagged && (j.runID == "" || owner == j.runID) {
		j.tagsLeft[id] = true
	} else {
		delete(j.tagsLeft, id)
	}
}

// untag removes the dead-man tags from every instance that carries this
// run's tags and is running, or was never stopped by the run.
func (j *regionJob) untag(ctx context.Context) error {
	var ids, none []string
	for _, id := range j.order {
		r := j.results[id]
		switch {
		case r.Result != Restored && r.Result != AlreadyRunning && r.Result != TagsOnly:
		case j.tagsLeft[id]:
			ids = append(ids, id)
		case j.journaledTagged[id] && !j.opts.InRun:
			none = append(none, id)
		}
	}
	if len(none) > 0 {
		// The journal says the run may have tagged these (a CreateTags
		// that failed, was uncertain, or died with the process) and they
		// carry none of its tags: nothing to remove. Journaled, or the run
		// would need recovery for ever. Not by a run restoring itself: tags
		// are eventually consistent and may show up a moment after the
		// call; gameday recover, later, settles it.
		j.log.Info("no tag to remove", zap.Strings("instances", none), zap.String("reason", "they carry none of the run's tags"))
		j.restore(none, journal.RestoreUntagged, "carries none of the run's tags: nothing to remove")
	}
	if len(ids) == 0 {
		return nil
	}
	err := j.act(ctx, journal.Intent{Action: fleet.ActionUntag, Region: j.region, IDs: ids, Keys: journal.DeadManTagKeys},
		func() error { return j.op.Untag(ctx, ids, journal.DeadManTagKeys) })
	if err != nil {
		j.log.Warn("tags not removed", zap.Strings("instances", ids), zap.Error(err))
		return fmt.Errorf("recovery: remove the tags of %d instances in %s: %w", len(ids), j.region, err)
	}
	for _, id := range ids {
		j.results[id].Untagged = true
		delete(j.tagsLeft, id)
	}
	j.log.Info("tags removed", zap.Strings("instances", ids), zap.String("reason", "running again"))
	j.restore(ids, journal.RestoreUntagged, "dead-man tags removed")
	return nil
}

// act journals the intent of a mutating call, makes it, and journals its
// outcome. A call that cannot be journaled is not made.
func (j *regionJob) act(ctx context.Context, in journal.Intent, call func() error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("recovery: not acting: %w", err) // no intent for a call that cannot go out
	}
	in.Phase = journal.PhaseRecover
	var seq uint64
	journaled := j.w != nil
	if journaled {
		var err error
		if seq, err = j.w.Intend(in); err != nil && in.Action != fleet.ActionStart {
			return fmt.Errorf("recovery: not acting, the journal failed: %w", err)
		} else if err != nil {
			// A start only brings an instance back, and every later
			// recovery reads states before acting: an instance left
			// stopped because the disk filled up is the worse outcome.
			j.log.Error("starting without a journal record", zap.Strings("instances", in.IDs), zap.Error(err),
				zap.String("reason", "the journal cannot be written; a start is safe to leave unrecorded"))
			journaled = false
		}
	}
	callErr := call()
	if journaled {
		o := journal.OutcomeOf(seq, callErr)
		if err := j.w.Append(journal.Record{Outcome: &o}); err != nil {
			return errors.Join(callErr, err)
		}
	}
	return callErr
}

// note appends a record when there is a journal. A failure is logged: the
// record is informative, and the next mutating call will fail on the same
// broken journal before acting.
func (j *regionJob) note(r journal.Record) {
	if j.w == nil {
		return
	}
	if err := j.w.Append(r); err != nil {
		j.log.Error("journal write failed", zap.Error(err))
	}
}

func (j *regionJob) restore(ids []string, result, reason string) {
	j.note(journal.Record{Restore: &journal.Restore{Region: j.region, IDs: slices.Clone(ids), Result: result, Reason: reason}})
}
