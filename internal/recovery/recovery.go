// Package recovery brings back what a run left behind: instances it may
// have left stopped and the dead-man tags it put on them. RecoverRun works
// from a run's journal; RecoverOrphans from the tags alone, for when the
// journal is gone with the laptop. Both start only what Describe shows
// stopped, wait until it runs, and then remove the tags.
package recovery

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
	"gameday/internal/journal"
)

// Defaults for Options.
const (
	DefaultPoll             = 5 * time.Second
	DefaultTimeout          = 15 * time.Minute
	DefaultMaxStartAttempts = 3
)

// ErrTimeout marks instances that did not reach the state waited for.
var ErrTimeout = errors.New("recovery: timed out")

// Options tune a recovery; zero values take the defaults.
type Options struct {
	// Poll is the pause between Describe calls while waiting.
	Poll time.Duration
	// Timeout bounds each wait: for stopping instances to stop, and for
	// started ones to run.
	Timeout time.Duration
	// MaxStartAttempts bounds the Start calls per instance. A call is sent
	// again only to instances a Describe shows still stopped after an
	// uncertain outcome: never blindly.
	MaxStartAttempts int
	// ExpiredOnly (RecoverOrphans) leaves alone instances whose run's
	// restore-by deadline is still ahead: that run may be alive.
	ExpiredOnly bool
	// Now is the clock for deadlines; time.Now when nil.
	Now func() time.Time
	// InRun: the run itself is restoring what it stopped before it ends
	// (after an abort); it writes its own end record, so RecoverRun does
	// not write "recovered".
	InRun bool
}

func (o Options) withDefaults() Options {
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxStartAttempts <= 0 {
		o.MaxStartAttempts = DefaultMaxStartAttempts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Operators holds one operator per region.
type Operators map[string]fleet.Operator

// Outcome is what recovery made of one instance.
type Outcome string

// Outcomes.
const (
	Restored       = Outcome("restored")        // was stopped; started and now running
	AlreadyRunning = Outcome("already-running") // was pending or running; now running
	TagsOnly       = Outcome("tags-only")       // not stopped by the run; only its tags mattered
	Gone           = Outcome("gone")            // terminated, shutting down or absent
	Skipped        = Outcome("skipped")         // held by another run: not brought back
	LeftAlone      = Outcome("left-alone")      // RecoverOrphans with ExpiredOnly: its run's deadline is ahead
	Failed         = Outcome("failed")          // not brought back this time; see Reason
)

// InstanceResult is one instance's story.
type InstanceResult struct {
	ID     string  `json:"id"`
	Region string  `json:"region"`
	AZ     string  `json:"az,omitempty"`
	Found  string  `json:"found"` // state when recovery first looked; "" absent
	Final  string  `json:"final"` // last state seen
	Result Outcome `json:"result"`
	// Untagged: the dead-man tags were removed.
	Untagged bool   `json:"untagged"`
	Reason   string `json:"reason,omitempty"`
	// RunID and RestoreBy are the dead-man tags the instance carried.
	RunID     string    `json:"run_id,omitempty"`
	RestoreBy time.Time `json:"restore_by,omitzero"`
}

// Result is a whole recovery.
type Result struct {
	RunID     string           `json:"run_id,omitempty"`
	Instances []InstanceResult `json:"instances"`
	// NothingToDo: the journal (or the tags) showed nothing to bring back.
	NothingToDo bool `json:"nothing_to_do"`
	// Ended: recovery closed the run with an end record "recovered".
	Ended bool `json:"ended"`
}

// Count returns how many instances had outcome o.
func (r *Result) Count(o Outcome) int {
	n := 0
	for _, inst := range r.Instances {
		if inst.Result == o {
			n++
		}
	}
	return n
}

// Incomplete reports whether some instance it was asked to bring back is
// not running: gone, skipped or failed.
func (r *Result) Incomplete() bool {
	return r.Count(Gone)+r.Count(Skipped)+r.Count(Failed) > 0
}

// RecoverRun brings back every instance the run summarized by sum may have
// left stopped, in every region at once, and removes its dead-man tags.
// Every mutating call is journaled through w (intent, then outcome), every
// decision as a restore record. When nothing of the run is left stopped or
// tagged it appends an end record "recovered". A run that needed nothing
// gets a restore record "nothing-to-do" and keeps its end status.
//
// The error reports what failed to be done (API errors, timeouts, the
// journal); instances that are gone or skipped are in the Result only.
func RecoverRun(ctx context.Context, ops Operators, sum journal.Summary, w *journal.Writer, log *zap.Logger, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	log = log.With(zap.String("run_id", sum.RunID))
	res := &Result{RunID: sum.RunID, Instances: []InstanceResult{}}
	if !sum.NeedsRecovery() {
		log.Info("nothing to do", zap.String("reason", "the run ended "+sum.Status+" and left no instance stopped or tagged"))
		res.NothingToDo = true
		return res, w.Append(journal.Record{Restore: &journal.Restore{Result: journal.RestoreNothing,
			Reason: "the run ended " + sum.Status + " and left no instance stopped or tagged"}})
	}
	regions := sum.RecoveryRegions()
	for _, region := range regions {
		if ops[region] == nil {
			return res, fmt.Errorf("recovery: no connection to region %s", region)
		}
	}
	errs := make([]error, len(regions))
	jobs := make([]*regionJob, len(regions))
	var wg sync.WaitGroup
	for i, region := range regions {
		jobs[i] = newRegionJob(ops[region], region, sum.RunID, w, log, opts)
		jobs[i].add(sum.MayBeStopped, sum.Tagged)
		wg.Go(func() { errs[i] = jobs[i].run(ctx) })
	}
	wg.Wait()
	for _, j := range jobs {
		res.Instances = append(res.Instances, j.sorted()...)
	}
	err := errors.Join(errs...)
	if len(regions) == 0 {
		res.NothingToDo = true
		log.Info("nothing to do", zap.String("reason", "the run was interrupted before it stopped or tagged anything"))
		err = w.Append(journal.Record{Restore: &journal.Restore{Result: journal.RestoreNothing,
			Reason: "interrupted before it stopped or tagged any instance"}})
	}
	if err == nil && settled(jobs) && !opts.InRun {
		res.Ended = true
		err = w.Append(journal.Record{End: &journal.End{Status: journal.StatusRecovered, Reason: endReason(res, sum)}})
	}
	return res, err
}

// settled reports whether the run has left nothing behind: every instance
// is running or gone, and no tag of the run is left.
func settled(jobs []*regionJob) bool {
	for _, j := range jobs {
		if !j.settled() {
			return false
		}
	}
	return true
}

func endReason(res *Result, sum journal.Summary) string {
	was := "interrupted"
	if sum.Finished {
		was = "ended " + sum.Status
	}
	var parts []string
	for _, o := range []Outcome{Restored, AlreadyRunning, Gone, TagsOnly} {
		if n := res.Count(o); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
	}
	if len(parts) == 0 {
		return "the run was " + was + "; nothing was left stopped or tagged"
	}
	return "the run was " + was + "; gameday recover: " + strings.Join(parts, ", ")
}

func sortResults(list []InstanceResult) {
	sort.Slice(list, func(a, b int) bool {
		if list[a].Region != list[b].Region {
			return list[a].Region < list[b].Region
		}
		return list[a].ID < list[b].ID
	})
}
