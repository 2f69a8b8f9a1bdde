package recovery

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
	"gameday/internal/journal"
)

// RecoverOrphans restores, from their dead-man tags alone, the instances
// any run left stopped in region: it needs no journal. Stopped and
// stopping instances carrying a gameday:run-id tag are started (those
// whose run's restore-by is still ahead too, with a warning naming the
// run, unless opts.ExpiredOnly), waited for and untagged. Running
// instances whose tags expired only lose the tags; running instances with
// unexpired tags are left alone: their run may be about to stop them.
func RecoverOrphans(ctx context.Context, op fleet.Operator, region string, log *zap.Logger, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	log = log.With(zap.String("mode", "orphans"))
	tagged, err := op.List(ctx, fleet.Target{Region: region, Filters: map[string][]string{"tag-key": {journal.TagRunID}},
		States: []string{fleet.StatePending, fleet.StateRunning, fleet.StateStopping, fleet.StateStopped}})
	if err != nil {
		return nil, fmt.Errorf("recovery: list instances tagged %s in %s: %w", journal.TagRunID, region, err)
	}
	j := newRegionJob(op, region, "", nil, log, opts)
	now := opts.Now()
	for _, inst := range tagged {
		j.adopt(inst, now)
	}
	res := &Result{Instances: []InstanceResult{}}
	if len(j.order) == 0 {
		log.Info("nothing to do", zap.String("region", region),
			zap.String("reason", "no stopped instance carries "+journal.TagRunID+" and no running one an expired one"))
		res.NothingToDo = true
		return res, nil
	}
	err = j.run(ctx)
	res.Instances = j.sorted()
	return res, err
}

// adopt decides what to do with one tagged instance found by List.
func (j *regionJob) adopt(inst fleet.Instance, now time.Time) {
	runID := inst.Tags[journal.TagRunID]
	deadline, parseErr := journal.ParseRestoreBy(inst.Tags[journal.TagRestoreBy])
	expired := parseErr != nil || !deadline.After(now)
	fields := []zap.Field{zap.String("instance", inst.ID), zap.String("state", inst.State),
		zap.String("run", runID), zap.String("restore_by", inst.Tags[journal.TagRestoreBy])}
	stopped := inst.State == fleet.StateStopped || inst.State == fleet.StateStopping
	switch {
	case !stopped && !expired:
		j.log.Info("left alone", append(fields, zap.String("reason", "running, and its run's restore-by is still ahead"))...)
		return
	case stopped && !expired && j.opts.ExpiredOnly:
		j.log.Info("left alone", append(fields, zap.String("reason", "--expired-only and its run's restore-by is still ahead"))...)
		r := j.result(inst.ID)
		r.Result, r.Reason = LeftAlone, fmt.Sprintf("run %s means to restore it by %s", runID, deadline.Format(time.RFC3339))
		j.fill(r, inst, deadline)
		return
	case stopped && !expired:
		j.log.Warn("restoring before its run's deadline: that run may still be alive", fields...)
	case stopped && parseErr != nil:
		j.log.Warn("restore-by unreadable; treated as expired", append(fields, zap.Error(parseErr))...)
	}
	r := j.result(inst.ID)
	j.fill(r, inst, deadline)
	j.bringBack[inst.ID] = stopped
}

func (j *regionJob) fill(r *InstanceResult, inst fleet.Instance, deadline time.Time) {
	r.AZ, r.Found, r.Final = inst.AZ, inst.State, inst.State
	r.RunID, r.RestoreBy = inst.Tags[journal.TagRunID], deadline
}

// Claim is an instance another run has tagged and means to restore by a
// time still ahead: that run may be alive and holding it stopped.
type Claim struct {
	InstanceID string
	Region     string
	RunID      string
	// RestoreBy is zero when the tag is missing or unreadable; such a
	// claim is kept (fail closed) with the raw value in RestoreByRaw.
	RestoreBy    time.Time
	RestoreByRaw string
}

func (c Claim) String() string {
	if c.RestoreBy.IsZero() {
		return fmt.Sprintf("%s is tagged by run %s with an unreadable %s %q", c.InstanceID, c.RunID, journal.TagRestoreBy, c.RestoreByRaw)
	}
	return fmt.Sprintf("%s is held by run %s until %s", c.InstanceID, c.RunID, c.RestoreBy.Format(time.RFC3339))
}

// ActiveForeignRuns returns the claims of other runs on instances: a run
// must not start while they exist (unless forced), since it could start,
// stop or untag what a live run is holding. Sorted by run and instance.
func ActiveForeignRuns(instances []fleet.Instance, now time.Time, ownRunID string) []Claim {
	var claims []Claim
	for _, inst := range instances {
		runID, ok := inst.Tags[journal.TagRunID]
		if !ok || runID == ownRunID {
			continue
		}
		raw := inst.Tags[journal.TagRestoreBy]
		deadline, err := journal.ParseRestoreBy(raw)
		if err == nil && !deadline.After(now) {
			continue
		}
		claims = append(claims, Claim{InstanceID: inst.ID, Region: inst.Region, RunID: runID, RestoreBy: deadline, RestoreByRaw: raw})
	}
	sort.Slice(claims, func(a, b int) bool {
		if claims[a].RunID != claims[b].RunID {
			return claims[a].RunID < claims[b].RunID
		}
		return claims[a].InstanceID < claims[b].InstanceID
	})
	return claims
}

// FormatClaims says, one line per run, which runs hold how many instances
// and until when: the pre-flight refusal message.
func FormatClaims(claims []Claim) string {
	type hold struct {
		n     int
		until time.Time
	}
	holds, order := map[string]*hold{}, []string{}
	for _, c := range claims {
		h := holds[c.RunID]
		if h == nil {
			h = &hold{}
			holds[c.RunID], order = h, append(order, c.RunID)
		}
		h.n++
		if c.RestoreBy.After(h.until) {
			h.until = c.RestoreBy
		}
	}
	var b strings.Builder
	for _, run := range order {
		h := holds[run]
		until := "an unreadable restore-by"
		if !h.until.IsZero() {
			until = h.until.Format(time.RFC3339)
		}
		fmt.Fprintf(&b, "run %s holds %d instances until %s\n", run, h.n, until)
	}
	return b.String()
}
