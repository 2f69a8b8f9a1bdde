package recovery

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"

	"github.com/aws/smithy-go"

	"gameday/internal/fleet"
)

// fakeOp is an in-memory EC2 region. Transitions advance one step per
// Describe: pending and stopping last `ticks` Describes.
type fakeOp struct {
	mu     sync.Mutex
	region string
	insts  map[string]*fleet.Instance
	ticks  map[string]int
	// delay is how many Describes a transition takes (default 2);
	// stuck instances never finish theirs.
	delay int
	stuck map[string]bool
	// onStart decides each Start call (1-based): act or not, and the
	// error to return. Nil acts and succeeds.
	onStart func(call int, ids []string) (act bool, err error)
	// beforeMutation runs before every mutating call acts.
	beforeMutation func(action fleet.Action, ids []string)
	untagErr       error
	describeErr    error

	startCalls int
	starts     map[string]int
	untagged   []string
}

var _ fleet.Operator = (*fakeOp)(nil)

func newFake(region string, insts ...fleet.Instance) *fakeOp {
	f := &fakeOp{region: region, insts: map[string]*fleet.Instance{}, ticks: map[string]int{}, delay: 2,
		stuck: map[string]bool{}, starts: map[string]int{}}
	for _, inst := range insts {
		inst.Region = region
		inst.Tags = maps.Clone(inst.Tags)
		f.insts[inst.ID] = &inst
		if inst.State == fleet.StateStopping || inst.State == fleet.StatePending {
			f.ticks[inst.ID] = f.delay
		}
	}
	return f
}

func (f *fakeOp) state(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if inst := f.insts[id]; inst != nil {
		return inst.State
	}
	return ""
}

func (f *fakeOp) tags(id string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.insts[id].Tags)
}

func (f *fakeOp) advance(inst *fleet.Instance) {
	if f.stuck[inst.ID] || (inst.State != fleet.StatePending && inst.State != fleet.StateStopping) {
		return
	}
	if f.ticks[inst.ID]--; f.ticks[inst.ID] > 0 {
		return
	}
	if inst.State == fleet.StatePending {
		inst.State = fleet.StateRunning
	} else {
		inst.State = fleet.StateStopped
	}
}

func (f *fakeOp) copyOf(inst *fleet.Instance) fleet.Instance {
	c := *inst
	c.Tags = maps.Clone(inst.Tags)
	return c
}

func (f *fakeOp) Describe(_ context.Context, ids []string) ([]fleet.Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.describeErr != nil {
		return nil, f.describeErr
	}
	var out []fleet.Instance
	for _, id := range fleet.UniqueIDs(ids) {
		if inst := f.insts[id]; inst != nil {
			f.advance(inst)
			out = append(out, f.copyOf(inst))
		}
	}
	fleet.SortByID(out)
	return out, nil
}

func (f *fakeOp) List(_ context.Context, t fleet.Target) ([]fleet.Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fleet.Instance
	for _, inst := range f.insts {
		if len(t.States) > 0 && !slices.Contains(t.States, inst.State) {
			continue
		}
		if keys := t.Filters["tag-key"]; len(keys) > 0 && !slices.ContainsFunc(keys, func(k string) bool { _, ok := inst.Tags[k]; return ok }) {
			continue
		}
		out = append(out, f.copyOf(inst))
	}
	fleet.SortByID(out)
	return out, nil
}

func (f *fakeOp) mutating(action fleet.Action, ids []string) {
	if f.beforeMutation != nil {
		f.beforeMutation(action, ids)
	}
}

func (f *fakeOp) Start(_ context.Context, ids []string) error {
	f.mutating(fleet.ActionStart, ids)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.startCalls++
	act, err := true, error(nil)
	if f.onStart != nil {
		act, err = f.onStart(f.startCalls, ids)
	}
	if !act {
		return err
	}
	for _, id := range ids {
		if inst := f.insts[id]; inst == nil || inst.State != fleet.StateStopped {
			return &smithy.GenericAPIError{Code: "IncorrectInstanceState", Message: id + " is not stopped"}
		}
	}
	for _, id := range ids {
		f.insts[id].State, f.ticks[id] = fleet.StatePending, f.delay
		f.starts[id]++
	}
	return err
}

func (f *fakeOp) Untag(_ context.Context, ids []string, keys []string) error {
	f.mutating(fleet.ActionUntag, ids)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.untagErr != nil {
		return f.untagErr
	}
	for _, id := range ids {
		for _, k := range keys {
			delete(f.insts[id].Tags, k)
		}
		f.untagged = append(f.untagged, id)
	}
	return nil
}

func (f *fakeOp) Reboot(context.Context, []string) error {
	return errors.New("fake: recovery never reboots")
}
func (f *fakeOp) Stop(context.Context, []string, bool) error {
	return errors.New("fake: recovery never stops")
}
func (f *fakeOp) Tag(context.Context, []string, map[string]string) error {
	return errors.New("fake: recovery never tags")
}
func (f *fakeOp) DryRun(context.Context, fleet.Action, []string) error { return nil }
