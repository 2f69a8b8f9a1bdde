package execute

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"gameday/internal/fleet"
	"gameday/internal/journal"
	"gameday/internal/plan"
	"gameday/internal/verify"
)

// fakeOp is an in-memory region: stops and starts take a second of
// (virtual) time, every mutating call is recorded, and faults can be set.
type fakeOp struct {
	mu        sync.Mutex
	instances map[string]*fakeInstance
	calls     []fakeCall
	// failOn fails the n-th mutating call (1-based) with err.
	failOn  int
	failErr error
	// block holds Reboot until released (nil: never blocks).
	entered, release chan struct{}
}

type fakeInstance struct {
	state string
	until time.Time // when a transition ends
	next  string
	tags  map[string]string
}

type fakeCall struct {
	action fleet.Action
	ids    []string
	at     time.Time
}

func newFakeOp(ids ...string) *fakeOp {
	f := &fakeOp{instances: map[string]*fakeInstance{}}
	for _, id := range ids {
		f.instances[id] = &fakeInstance{state: fleet.StateRunning, tags: map[string]string{}}
	}
	return f
}

func (f *fakeOp) settle(in *fakeInstance) {
	if in.next != "" && !time.Now().Before(in.until) {
		in.state, in.next = in.next, ""
	}
}

func (f *fakeOp) mutating(action fleet.Action, ids []string) error {
	f.calls = append(f.calls, fakeCall{action, slices.Clone(ids), time.Now()})
	if len(f.calls) == f.failOn {
		return f.failErr
	}
	return nil
}

func (f *fakeOp) List(context.Context, fleet.Target) ([]fleet.Instance, error) { return nil, nil }

func (f *fakeOp) Describe(_ context.Context, ids []string) ([]fleet.Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fleet.Instance
	for _, id := range ids {
		if in, ok := f.instances[id]; ok {
			f.settle(in)
			out = append(out, fleet.Instance{ID: id, State: in.state, Region: "r1"})
		}
	}
	return out, nil
}

func (f *fakeOp) Reboot(ctx context.Context, ids []string) error {
	if f.entered != nil {
		close(f.entered)
		<-f.release
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mutating(fleet.ActionReboot, ids)
}

func (f *fakeOp) transition(ids []string, from, via, to string) {
	for _, id := range ids {
		in := f.instances[id]
		f.settle(in)
		if in.state == from {
			in.state, in.next, in.until = via, to, time.Now().Add(time.Second)
		}
	}
}

func (f *fakeOp) Stop(_ context.Context, ids []string, _ bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.mutating(fleet.ActionStop, ids); err != nil && !isUncertainAfter(err) {
		return err
	}
	f.transition(ids, fleet.StateRunning, fleet.StateStopping, fleet.StateStopped)
	return f.lastErr()
}

func (f *fakeOp) Start(_ context.Context, ids []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.mutating(fleet.ActionStart, ids); err != nil {
		return err
	}
	f.transition(ids, fleet.StateStopped, fleet.StatePending, fleet.StateRunning)
	return nil
}

func (f *fakeOp) Tag(_ context.Context, ids []string, tags map[string]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		for k, v := range tags {
			f.instances[id].tags[k] = v
		}
	}
	return f.mutating(fleet.ActionTag, ids)
}

func (f *fakeOp) Untag(_ context.Context, ids []string, keys []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		for _, k := range keys {
			delete(f.instances[id].tags, k)
		}
	}
	return f.mutating(fleet.ActionUntag, ids)
}

func (f *fakeOp) DryRun(context.Context, fleet.Action, []string) error { return nil }

// uncertainAfter marks an error returned after the call acted.
type uncertainAfter struct{ fleet.UncertainError }

func (u *uncertainAfter) Unwrap() error { return &u.UncertainError }

func isUncertainAfter(err error) bool {
	var u *uncertainAfter
	return errors.As(err, &u)
}

// lastErr returns the error of the last call when it is an "acted, then
// lost" fault, so the state changes and the caller still sees the error.
func (f *fakeOp) lastErr() error {
	if len(f.calls) == f.failOn && isUncertainAfter(f.failErr) {
		return f.failErr
	}
	return nil
}

func (f *fakeOp) actions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, fmt.Sprintf("%s%v", c.action, c.ids))
	}
	return out
}

func (f *fakeOp) state(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	in := f.instances[id]
	f.settle(in)
	return in.state
}

// fakeGate recovers every instance after recoverAfter, except those in never.
type fakeGate struct {
	mu           sync.Mutex
	recoverAfter time.Duration
	never        map[string]bool
	marked       map[string]time.Time
}

func (g *fakeGate) MarkActed(ids []string, at time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.marked == nil {
		g.marked = map[string]time.Time{}
	}
	for _, id := range ids {
		g.marked[id] = at
	}
}

func (g *fakeGate) WaitRecovered(ctx context.Context, ids []string, timeout time.Duration) (verify.GateResult, error) {
	var res verify.GateResult
	for _, id := range ids {
		if g.never[id] {
			res.Pending = append(res.Pending, id)
		} else {
			res.Recovered = append(res.Recovered, id)
		}
	}
	wait := g.recoverAfter
	if len(res.Pending) > 0 {
		wait, res.TimedOut = timeout, true
	}
	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-time.After(wait):
		res.Elapsed = wait
		return res, nil
	}
}

// memJournal keeps records in memory.
type memJournal struct {
	mu      sync.Mutex
	records []journal.Record
	failAt  int // fail the n-th append (1-based); 0 never
}

func (j *memJournal) Append(r journal.Record) error {
	_, err := j.AppendSeq(r)
	return err
}

func (j *memJournal) AppendSeq(r journal.Record) (uint64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.records)+1 == j.failAt {
		return 0, errors.New("disk full")
	}
	r.Seq = uint64(len(j.records) + 1)
	j.records = append(j.records, r)
	return r.Seq, nil
}

func (j *memJournal) kinds() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []string
	for _, r := range j.records {
		switch {
		case r.Intent != nil:
			out = append(out, "intent "+string(r.Intent.Action))
		case r.Outcome != nil:
			out = append(out, "outcome "+r.Outcome.Result)
		case r.State != nil:
			out = append(out, "state")
		}
	}
	return out
}

type recordingObserver struct {
	mu                sync.Mutex
	started, finished []string
}

func (o *recordingObserver) WaveStarted(phase string, w plan.Wave, _ int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.started = append(o.started, fmt.Sprintf("%s/%d", phase, w.Index))
}

func (o *recordingObserver) WaveFinished(phase string, r WaveResult, _ int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.finished = append(o.finished, fmt.Sprintf("%s/%d", phase, r.Index))
}
