package recovery

import (
	"testing"

	"gameday/internal/fleet"
	"gameday/internal/journal"
)

// A run whose CreateTags was uncertain (a 500, a reset) or died with the
// process may never have tagged its instances. gameday recover found no
// tag, removed none and journaled nothing, so the journal still listed them
// as tagged: the run needed recovery for ever, and every gameday recover
// took it up again. Found by TestFaultSoak and TestCrashTrials.
func TestRecoverRunClosesTagsThatWereNeverSet(t *testing.T) {
	r := newRun(t)
	r.call(fleet.ActionTag, use1, journal.ResultUncertain, "i-1", "i-2")
	r.crash()
	op := newFake(use1, fleet.Instance{ID: "i-1", State: fleet.StateRunning}, fleet.Instance{ID: "i-2", State: fleet.StateRunning})
	res, err := r.recover(Operators{use1: op}, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(op.untagged) != 0 || len(op.starts) != 0 {
		t.Errorf("untagged %v, started %v: want no call, there is nothing to remove", op.untagged, op.starts)
	}
	sum := r.summary()
	if !res.Ended || sum.NeedsRecovery() || len(sum.Tagged) != 0 {
		t.Errorf("ended %v, needs recovery %v, tagged %v: want the run closed", res.Ended, sum.NeedsRecovery(), sum.Tagged)
	}
	// A second recover has nothing to do.
	res, err = r.recover(Operators{use1: op}, fastOpts())
	if err != nil || !res.NothingToDo {
		t.Errorf("second recover: %+v, %v; want nothing to do", res, err)
	}
}

// A run restoring itself leaves that to gameday recover: the tags of a
// CreateTags a moment ago may not show yet.
func TestARunRestoringItselfDoesNotCloseTagsItCannotSeeYet(t *testing.T) {
	r := newRun(t)
	r.call(fleet.ActionTag, use1, journal.ResultUncertain, "i-1")
	r.crash()
	op := newFake(use1, fleet.Instance{ID: "i-1", State: fleet.StateRunning})
	opts := fastOpts()
	opts.InRun = true
	if _, err := r.recover(Operators{use1: op}, opts); err != nil {
		t.Fatal(err)
	}
	if sum := r.summary(); len(sum.Tagged) != 1 {
		t.Errorf("tagged %v after the run's own restore, want i-1 left for gameday recover", sum.Tagged)
	}
}
