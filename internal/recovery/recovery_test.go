package recovery

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"gameday/internal/fleet"
	"gameday/internal/journal"
)

const (
	use1  = "us-east-1"
	runID = "20261122T180000Z-stop-start-ab12"
)

var t0 = time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)

func fastOpts() Options {
	return Options{Poll: time.Millisecond, Timeout: 500 * time.Millisecond, Now: time.Now}
}

// testRun writes a run's journal by hand, as the executor would have
// before it died.
type testRun struct {
	t    *testing.T
	runs string
	w    *journal.Writer
}

func newRun(t *testing.T) *testRun {
	t.Helper()
	runs := t.TempDir()
	w, err := journal.Create(runs, runID)
	if err != nil {
		t.Fatal(err)
	}
	r := &testRun{t: t, runs: runs, w: w}
	r.add(journal.Record{Start: &journal.Start{RunID: runID, Scenario: "stop-start", Regions: []string{use1}}})
	return r
}

func (r *testRun) add(rec journal.Record) uint64 {
	r.t.Helper()
	seq, err := r.w.AppendSeq(rec)
	if err != nil {
		r.t.Fatal(err)
	}
	return seq
}

func (r *testRun) call(action fleet.Action, region string, result string, ids ...string) {
	in := journal.Intent{Action: action, Region: region, IDs: ids, Phase: "main", Wave: 1}
	if action == fleet.ActionTag {
		in.Tags = journal.DeadManTags(runID, t0.Add(time.Hour))
	}
	seq := r.add(journal.Record{Intent: &in})
	if result != "" {
		r.add(journal.Record{Outcome: &journal.Outcome{Intent: seq, Result: result}})
	}
}

// stopped journals a tag and a stop of ids, both successful.
func (r *testRun) stopped(region string, ids ...string) {
	r.call(fleet.ActionTag, region, journal.ResultOK, ids...)
	r.call(fleet.ActionStop, region, journal.ResultOK, ids...)
}

// crash closes the writer as a dying process would release its lock.
func (r *testRun) crash() { r.w.Close() }

// recover reads the journal and recovers the run, as gameday recover does.
func (r *testRun) recover(ops Operators, opts Options) (*Result, error) {
	r.t.Helper()
	sum := r.summary()
	w, _, err := journal.Open(r.runs, runID)
	if err != nil {
		r.t.Fatal(err)
	}
	defer w.Close()
	return RecoverRun(context.Background(), ops, sum, w, zaptest.NewLogger(r.t), opts)
}

func (r *testRun) records() []journal.Record {
	r.t.Helper()
	recs, warnings, err := journal.Read(journal.Path(r.runs, runID))
	if err != nil || len(warnings) > 0 {
		r.t.Fatalf("read journal: %v %v", err, warnings)
	}
	return recs
}

func (r *testRun) summary() journal.Summary { return journal.Summarize(r.records()) }

func tagged(id, state string) fleet.Instance {
	return fleet.Instance{ID: id, State: state, AZ: "us-east-1a", Tags: journal.DeadManTags(runID, t0.Add(time.Hour))}
}

func outcomes(res *Result) map[string]Outcome {
	out := map[string]Outcome{}
	for _, inst := range res.Instances {
		out[inst.ID] = inst.Result
	}
	return out
}

func countType(recs []journal.Record, typ journal.Type) int {
	n := 0
	for _, r := range recs {
		if r.Type == typ {
			n++
		}
	}
	return n
}

func TestRecoverRunBringsEveryInstanceBackAndIsIdempotent(t *testing.T) {
	r := newRun(t)
	r.stopped(use1, "i-1", "i-2", "i-3", "i-4", "i-5")
	r.crash()
	op := newFake(use1, tagged("i-1", fleet.StateStopped), tagged("i-2", fleet.StateStopped),
		tagged("i-3", fleet.StateStopping), tagged("i-4", fleet.StateRunning), tagged("i-5", fleet.StateTerminated))
	// The journal is written before every mutating call.
	op.beforeMutation = func(action fleet.Action, ids []string) {
		last := r.records()[len(r.records())-1]
		if last.Type != journal.TypeIntent || last.Intent.Action != action || !slices.Equal(last.Intent.IDs, ids) ||
			last.Intent.Phase != journal.PhaseRecover {
			t.Errorf("%s %v made without its intent last in the journal (last: %+v)", action, ids, last)
		}
	}

	res, err := r.recover(Operators{use1: op}, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Outcome{"i-1": Restored, "i-2": Restored, "i-3": Restored, "i-4": AlreadyRunning, "i-5": Gone}
	if got := outcomes(res); !maps.Equal(got, want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
	for _, id := range []string{"i-1", "i-2", "i-3", "i-4"} {
		if op.state(id) != fleet.StateRunning || len(op.tags(id)) != 0 || op.starts[id] > 1 {
			t.Errorf("%s: state %s tags %v starts %d, want running, untagged, started at most once", id, op.state(id), op.tags(id), op.starts[id])
		}
	}
	if op.starts["i-4"] != 0 || op.starts["i-5"] != 0 {
		t.Errorf("started a running or terminated instance: %v", op.starts)
	}
	if !res.Ended || res.Incomplete() != true {
		t.Errorf("ended %v incomplete %v, want an end record and i-5 reported gone", res.Ended, res.Incomplete())
	}
	sum := r.summary()
	if sum.Status != journal.StatusRecovered || len(sum.MayBeStopped) != 0 || len(sum.Tagged) != 0 || sum.NeedsRecovery() {
		t.Fatalf("after recovery: status %s, may be stopped %v, tagged %v", sum.Status, sum.MayBeStopped, sum.Tagged)
	}

	// A second recovery finds nothing to do, says so, and keeps the end.
	before := r.records()
	op.beforeMutation = func(action fleet.Action, ids []string) { t.Errorf("second recovery made %s %v", action, ids) }
	res, err = r.recover(Operators{use1: op}, fastOpts())
	if err != nil || !res.NothingToDo || res.Ended || len(res.Instances) != 0 {
		t.Fatalf("second recovery: %+v, %v", res, err)
	}
	after := r.records()
	if len(after) != len(before)+1 || after[len(after)-1].Restore == nil || after[len(after)-1].Restore.Result != journal.RestoreNothing {
		t.Errorf("second recovery appended %d records, want one restore nothing-to-do", len(after)-len(before))
	}
	if countType(after, journal.TypeEnd) != 1 {
		t.Errorf("%d end records, want 1", countType(after, journal.TypeEnd))
	}
}

func TestAnUncertainStartIsReadBackNeverResentBlindly(t *testing.T) {
	uncertain := func(ids []string) error {
		return &fleet.UncertainError{Action: fleet.ActionStart, IDs: ids, Err: errors.New("connection reset")}
	}
	tests := []struct {
		name      string
		onStart   func(call int, ids []string) (bool, error)
		wantCalls int
	}{
		{"the lost answer hid a start that acted", func(call int, ids []string) (bool, error) {
			return true, uncertain(ids)
		}, 1},
		{"the start never arrived", func(call int, ids []string) (bool, error) {
			return call > 1, map[bool]error{true: nil, false: uncertain(ids)}[call > 1]
		}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRun(t)
			r.stopped(use1, "i-1", "i-2")
			r.crash()
			op := newFake(use1, tagged("i-1", fleet.StateStopped), tagged("i-2", fleet.StateStopped))
			op.onStart = tt.onStart
			res, err := r.recover(Operators{use1: op}, fastOpts())
			if err != nil {
				t.Fatal(err)
			}
			if op.startCalls != tt.wantCalls || op.starts["i-1"] != 1 || op.starts["i-2"] != 1 {
				t.Errorf("%d start calls, starts %v; want %d calls and one start each", op.startCalls, op.starts, tt.wantCalls)
			}
			if got := outcomes(res); got["i-1"] != Restored || got["i-2"] != Restored || !res.Ended {
				t.Errorf("outcomes %v ended %v", got, res.Ended)
			}
			// Between the uncertain start and any other call, a state record.
			recs := r.records()
			for i, rec := range recs {
				if rec.Outcome != nil && rec.Outcome.Result == journal.ResultUncertain && recs[i+1].Type != journal.TypeState {
					t.Errorf("record after the uncertain outcome is %s, want state", recs[i+1].Type)
				}
			}
		})
	}
}

func TestRecoverRunLeavesTheRunOpenWhenSomethingIsStillStopped(t *testing.T) {
	refused := &smithy.GenericAPIError{Code: "InsufficientInstanceCapacity", Message: "no capacity"}
	tests := []struct {
		name    string
		setup   func(op *fakeOp)
		insts   []fleet.Instance
		want    map[string]Outcome
		wantErr func(error) bool
	}{
		{"a refused start", func(op *fakeOp) {
			op.onStart = func(int, []string) (bool, error) { return false, refused }
		}, []fleet.Instance{tagged("i-1", fleet.StateStopped)}, map[string]Outcome{"i-1": Failed},
			func(err error) bool { var api smithy.APIError; return errors.As(err, &api) }},
		{"an instance that never gets to running", func(op *fakeOp) { op.stuck["i-1"] = true },
			[]fleet.Instance{tagged("i-1", fleet.StateStopped)}, map[string]Outcome{"i-1": Failed},
			func(err error) bool { return errors.Is(err, ErrTimeout) }},
		{"another run's tags", nil,
			[]fleet.Instance{{ID: "i-1", State: fleet.StateStopped, Tags: journal.DeadManTags("other-run", t0)}},
			map[string]Outcome{"i-1": Skipped}, func(err error) bool { return err == nil }},
		{"every instance absent: wrong account?", nil, nil, map[string]Outcome{"i-1": Failed},
			func(err error) bool { return err != nil && strings.Contains(err.Error(), "wrong account") }},
		{"tags that will not go", func(op *fakeOp) { op.untagErr = errors.New("denied") },
			[]fleet.Instance{tagged("i-1", fleet.StateStopped)}, map[string]Outcome{"i-1": Restored},
			func(err error) bool { return err != nil && strings.Contains(err.Error(), "remove the tags") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRun(t)
			r.stopped(use1, "i-1")
			r.crash()
			op := newFake(use1, tt.insts...)
			if tt.setup != nil {
				tt.setup(op)
			}
			res, err := r.recover(Operators{use1: op}, fastOpts())
			if !tt.wantErr(err) {
				t.Errorf("unexpected error %v", err)
			}
			if got := outcomes(res); !maps.Equal(got, tt.want) {
				t.Errorf("outcomes %v, want %v", got, tt.want)
			}
			if res.Ended || countType(r.records(), journal.TypeEnd) != 0 {
				t.Error("the run was closed with something left behind")
			}
			if !r.summary().NeedsRecovery() {
				t.Error("the journal no longer shows the run needs recovery")
			}
		})
	}
}

func TestRecoverRunRemovesTagsOfInstancesItNeverStopped(t *testing.T) {
	r := newRun(t)
	r.call(fleet.ActionTag, use1, journal.ResultOK, "i-1", "i-2", "i-3")
	r.call(fleet.ActionStop, use1, "", "i-1")
	r.crash()
	op := newFake(use1, tagged("i-1", fleet.StateRunning), tagged("i-2", fleet.StateRunning),
		tagged("i-3", fleet.StateStopped))
	res, err := r.recover(Operators{use1: op}, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Outcome{"i-1": AlreadyRunning, "i-2": TagsOnly, "i-3": TagsOnly}
	if got := outcomes(res); !maps.Equal(got, want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
	// i-3 was stopped by someone else, not by the run: it stays stopped.
	if op.state("i-3") != fleet.StateStopped || len(op.starts) != 0 {
		t.Errorf("i-3 %s, starts %v: recovery started what the run never stopped", op.state("i-3"), op.starts)
	}
	slices.Sort(op.untagged)
	if !slices.Equal(op.untagged, []string{"i-1", "i-2", "i-3"}) || !res.Ended {
		t.Errorf("untagged %v ended %v", op.untagged, res.Ended)
	}
}

func TestRecoverRunAcrossRegionsAtOnce(t *testing.T) {
	r := newRun(t)
	r.stopped(use1, "i-1")
	r.stopped("eu-west-1", "i-9")
	r.crash()
	ops := Operators{use1: newFake(use1, tagged("i-1", fleet.StateStopped)),
		"eu-west-1": newFake("eu-west-1", tagged("i-9", fleet.StateStopped))}
	res, err := r.recover(ops, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(res); got["i-1"] != Restored || got["i-9"] != Restored || !res.Ended {
		t.Errorf("outcomes %v ended %v", got, res.Ended)
	}
	if res.Instances[0].Region != "eu-west-1" {
		t.Errorf("results not sorted by region: %+v", res.Instances)
	}
	if _, err := r.recover(Operators{use1: ops[use1]}, fastOpts()); err != nil {
		t.Errorf("a recovered run needs no region: %v", err)
	}
}

func TestRecoverRunNeedsEveryRegionsOperator(t *testing.T) {
	r := newRun(t)
	r.stopped("eu-west-1", "i-9")
	r.crash()
	if _, err := r.recover(Operators{use1: newFake(use1)}, fastOpts()); err == nil || !strings.Contains(err.Error(), "eu-west-1") {
		t.Errorf("err = %v, want one naming the region without a connection", err)
	}
}

func TestAnInterruptedRunThatStoppedNothingIsClosed(t *testing.T) {
	r := newRun(t)
	r.call(fleet.ActionReboot, use1, journal.ResultUncertain, "i-1")
	r.crash()
	res, err := r.recover(Operators{}, fastOpts())
	if err != nil || !res.NothingToDo || !res.Ended {
		t.Fatalf("%+v, %v", res, err)
	}
	if sum := r.summary(); sum.Status != journal.StatusRecovered || sum.NeedsRecovery() {
		t.Errorf("status %s", sum.Status)
	}
}

func TestRecoverRunStopsWhenInterrupted(t *testing.T) {
	r := newRun(t)
	r.stopped(use1, "i-1")
	r.crash()
	op := newFake(use1, tagged("i-1", fleet.StateStopped))
	op.stuck["i-1"] = true
	ctx, cancel := context.WithCancel(context.Background())
	op.beforeMutation = func(fleet.Action, []string) { cancel() }
	w, _, err := journal.Open(r.runs, runID)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	opts := fastOpts()
	opts.Timeout = time.Minute
	res, err := RecoverRun(ctx, Operators{use1: op}, r.summary(), w, zap.NewNop(), opts)
	if !errors.Is(err, context.Canceled) || res.Ended {
		t.Errorf("err %v ended %v, want canceled and not ended", err, res.Ended)
	}
}

// A journal that can no longer be written (a full disk) must not keep
// recovery from starting what a run stopped: a start is safe unrecorded.
func TestRecoveryStartsEvenWhenTheJournalCannotBeWritten(t *testing.T) {
	r := newRun(t)
	r.stopped(use1, "i-1", "i-2")
	sum := r.summary()
	r.crash()
	w, _, err := journal.Open(r.runs, runID)
	if err != nil {
		t.Fatal(err)
	}
	w.Close() // every later append fails, as on a full disk
	op := newFake(use1, tagged("i-1", fleet.StateStopped), tagged("i-2", fleet.StateStopped))
	_, _ = RecoverRun(context.Background(), Operators{use1: op}, sum, w, zaptest.NewLogger(t), fastOpts())
	for _, id := range []string{"i-1", "i-2"} {
		if op.state(id) != fleet.StateRunning || op.starts[id] != 1 {
			t.Errorf("%s: state %s after %d starts, want running after one", id, op.state(id), op.starts[id])
		}
	}
}
