package journal

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"gameday/internal/fleet"
)

// book builds a record sequence by hand, numbered and timed as a Writer
// would.
type book struct{ recs []Record }

func (b *book) add(r Record) uint64 {
	r.V, r.Seq = SchemaVersion, uint64(len(b.recs)+1)
	r.Time = t0.Add(time.Duration(r.Seq) * time.Second)
	r.Type, _ = r.payloadType()
	b.recs = append(b.recs, r)
	return r.Seq
}

func (b *book) intent(action fleet.Action, region string, ids ...string) uint64 {
	return b.add(Record{Intent: &Intent{Action: action, Region: region, IDs: ids, Phase: "main", Wave: 1}})
}

func (b *book) outcome(seq uint64, result string, ids ...string) {
	b.add(Record{Outcome: &Outcome{Intent: seq, Result: result, IDs: ids}})
}

func (b *book) state(region, state string, ids ...string) {
	m := map[string]string{}
	for _, id := range ids {
		m[id] = state
	}
	b.add(Record{State: &State{Region: region, Instances: m}})
}

func (b *book) begin() {
	b.add(Record{Start: &Start{RunID: "run-1", Scenario: "stop-start", Regions: []string{"us-east-1"}}})
	b.add(Record{Plan: &Plan{Phases: []PlanPhase{{Name: "main", Action: "stop-start", Waves: []PlanWave{{Index: 1,
		Instances: []PlanInstance{{ID: "i-1", Region: "us-east-1", AZ: "us-east-1a"}, {ID: "i-2", Region: "us-east-1", AZ: "us-east-1b"}}}}}}}})
}

const use1 = "us-east-1"

// fullCycle is one wave of a stop-start run from start to end.
func fullCycle() []Record {
	b := &book{}
	b.begin()
	tag := b.intent(fleet.ActionTag, use1, "i-1", "i-2")
	b.outcome(tag, ResultOK)
	stop := b.intent(fleet.ActionStop, use1, "i-1", "i-2")
	b.outcome(stop, ResultOK)
	b.state(use1, fleet.StateStopped, "i-1", "i-2")
	start := b.intent(fleet.ActionStart, use1, "i-1", "i-2")
	b.outcome(start, ResultOK)
	b.state(use1, fleet.StateRunning, "i-1", "i-2")
	untag := b.intent(fleet.ActionUntag, use1, "i-1", "i-2")
	b.outcome(untag, ResultOK)
	b.add(Record{End: &End{Status: StatusPassed}})
	return b.recs
}

func ids(list []Instance) []string {
	out := []string{}
	for _, inst := range list {
		out = append(out, inst.ID)
	}
	return out
}

// TestSummarizeAfterACrashAtEveryPointOfAStopStartCycle cuts the journal
// after each record, as SIGKILL could.
func TestSummarizeAfterACrashAtEveryPointOfAStopStartCycle(t *testing.T) {
	both, none := []string{"i-1", "i-2"}, []string{}
	tests := []struct {
		crashAfter   string
		stopped      []string
		stopResult   string
		tagged       []string
		wantFinished bool
	}{
		{"nothing", none, "", none, false},
		{"start", none, "", none, false},
		{"plan", none, "", none, false},
		{"tag intent", none, "", both, false},
		{"tag ok", none, "", both, false},
		{"stop intent", both, "", both, false},
		{"stop ok", both, ResultOK, both, false},
		{"state stopped", both, ResultOK, both, false},
		{"start intent", both, ResultOK, both, false},
		{"start ok", both, ResultOK, both, false},
		{"state running", none, "", both, false},
		{"untag intent", none, "", both, false},
		{"untag ok", none, "", none, false},
		{"end", none, "", none, true},
	}
	records := fullCycle()
	if len(records) != len(tests)-1 {
		t.Fatalf("%d records for %d crash points", len(records), len(tests))
	}
	for k, tt := range tests {
		t.Run(tt.crashAfter, func(t *testing.T) {
			s := Summarize(records[:k])
			if got := ids(s.MayBeStopped); !slices.Equal(got, tt.stopped) {
				t.Errorf("may be stopped %v, want %v", got, tt.stopped)
			}
			if got := ids(s.Tagged); !slices.Equal(got, tt.tagged) {
				t.Errorf("tagged %v, want %v", got, tt.tagged)
			}
			for _, inst := range s.MayBeStopped {
				if inst.StopResult != tt.stopResult || inst.Region != use1 || inst.Phase != "main" || inst.Wave != 1 {
					t.Errorf("instance %+v, want stop result %q in us-east-1, main, wave 1", inst, tt.stopResult)
				}
			}
			wantStatus := StatusInterrupted
			if tt.wantFinished {
				wantStatus = StatusPassed
			}
			if s.Finished != tt.wantFinished || s.Status != wantStatus {
				t.Errorf("finished %v status %q, want %v %q", s.Finished, s.Status, tt.wantFinished, wantStatus)
			}
			if s.NeedsRecovery() == tt.wantFinished {
				t.Errorf("NeedsRecovery = %v", s.NeedsRecovery())
			}
		})
	}
}

func TestSummarizeStopOutcomesAndConfirmations(t *testing.T) {
	tests := []struct {
		name    string
		write   func(b *book)
		stopped []string
		tagged  []string
	}{
		{"an uncertain stop may have acted", func(b *book) {
			b.outcome(b.intent(fleet.ActionStop, use1, "i-1"), ResultUncertain)
		}, []string{"i-1"}, nil},
		{"a failed stop may have acted on part of its batch", func(b *book) {
			b.outcome(b.intent(fleet.ActionStop, use1, "i-1", "i-2"), ResultError)
		}, []string{"i-1", "i-2"}, nil},
		{"running seen before any start does not count", func(b *book) {
			b.outcome(b.intent(fleet.ActionStop, use1, "i-1"), ResultUncertain)
			b.state(use1, fleet.StateRunning, "i-1")
		}, []string{"i-1"}, nil},
		{"a failed start then running does not count", func(b *book) {
			b.outcome(b.intent(fleet.ActionStop, use1, "i-1"), ResultOK)
			b.outcome(b.intent(fleet.ActionStart, use1, "i-1"), ResultError)
			b.state(use1, fleet.StateRunning, "i-1")
		}, []string{"i-1"}, nil},
		{"an uncertain start then running counts", func(b *book) {
			b.outcome(b.intent(fleet.ActionStop, use1, "i-1"), ResultOK)
			b.outcome(b.intent(fleet.ActionStart, use1, "i-1"), ResultUncertain)
			b.state(use1, fleet.StateRunning, "i-1")
		}, nil, nil},
		{"a start without outcome then running does not count", func(b *book) {
			b.outcome(b.intent(fleet.ActionStop, use1, "i-1"), ResultOK)
			b.intent(fleet.ActionStart, use1, "i-1")
			b.state(use1, fleet.StateRunning, "i-1")
		}, []string{"i-1"}, nil},
		{"outcomes per instance", func(b *book) {
			b.outcome(b.intent(fleet.ActionStop, use1, "i-1", "i-2"), ResultOK)
			start := b.intent(fleet.ActionStart, use1, "i-1", "i-2")
			b.outcome(start, ResultOK, "i-1")
			b.outcome(start, ResultError, "i-2")
			b.state(use1, fleet.StateRunning, "i-1", "i-2")
		}, []string{"i-2"}, nil},
		{"pending is not running", func(b *book) {
			b.outcome(b.intent(fleet.ActionStop, use1, "i-1"), ResultOK)
			b.outcome(b.intent(fleet.ActionStart, use1, "i-1"), ResultOK)
			b.state(use1, fleet.StatePending, "i-1")
		}, []string{"i-1"}, nil},
		{"a second stop reopens the question", func(b *book) {
			b.outcome(b.intent(fleet.ActionStop, use1, "i-1"), ResultOK)
			b.outcome(b.intent(fleet.ActionStart, use1, "i-1"), ResultOK)
			b.state(use1, fleet.StateRunning, "i-1")
			b.intent(fleet.ActionStop, use1, "i-1")
			b.state(use1, fleet.StateRunning, "i-1")
		}, []string{"i-1"}, nil},
		{"a start of the previous cycle does not confirm the next", func(b *book) {
			b.outcome(b.intent(fleet.ActionStop, use1, "i-1"), ResultOK)
			start := b.intent(fleet.ActionStart, use1, "i-1")
			b.intent(fleet.ActionStop, use1, "i-1")
			b.outcome(start, ResultOK)
			b.state(use1, fleet.StateRunning, "i-1")
		}, []string{"i-1"}, nil},
		{"reboots leave nothing stopped", func(b *book) {
			b.outcome(b.intent(fleet.ActionReboot, use1, "i-1"), ResultUncertain)
		}, nil, nil},
		{"an uncertain untag may have failed", func(b *book) {
			b.outcome(b.intent(fleet.ActionTag, use1, "i-1"), ResultOK)
			b.outcome(b.intent(fleet.ActionUntag, use1, "i-1"), ResultUncertain)
		}, nil, []string{"i-1"}},
		{"a failed tag may have acted", func(b *book) {
			b.outcome(b.intent(fleet.ActionTag, use1, "i-1"), ResultError)
		}, nil, []string{"i-1"}},
		{"restore records settle instances", func(b *book) {
			b.outcome(b.intent(fleet.ActionTag, use1, "i-1", "i-2"), ResultOK)
			b.outcome(b.intent(fleet.ActionStop, use1, "i-1", "i-2"), ResultOK)
			b.add(Record{Restore: &Restore{Region: use1, IDs: []string{"i-1"}, Result: RestoreRunning}})
			b.add(Record{Restore: &Restore{Region: use1, IDs: []string{"i-1"}, Result: RestoreUntagged}})
			b.add(Record{Restore: &Restore{Region: use1, IDs: []string{"i-2"}, Result: RestoreGone}})
		}, nil, nil},
		{"a failed restore settles nothing", func(b *book) {
			b.outcome(b.intent(fleet.ActionStop, use1, "i-1"), ResultOK)
			b.add(Record{Restore: &Restore{Region: use1, IDs: []string{"i-1"}, Result: RestoreFailed}})
		}, []string{"i-1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &book{}
			b.begin()
			tt.write(b)
			s := Summarize(b.recs)
			if got := ids(s.MayBeStopped); !slices.Equal(got, orEmpty(tt.stopped)) {
				t.Errorf("may be stopped %v, want %v", got, tt.stopped)
			}
			if got := ids(s.Tagged); !slices.Equal(got, orEmpty(tt.tagged)) {
				t.Errorf("tagged %v, want %v", got, tt.tagged)
			}
		})
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func TestSummarizeRunFacts(t *testing.T) {
	b := &book{}
	b.begin()
	b.outcome(b.intent(fleet.ActionStop, "eu-west-1", "i-9"), ResultOK)
	b.outcome(b.intent(fleet.ActionStop, use1, "i-2"), ResultOK)
	b.add(Record{Abort: &Abort{Reason: "operator"}})
	b.add(Record{End: &End{Status: StatusAborted, Reason: "interrupt"}})
	s := Summarize(b.recs)
	want := []Instance{
		{ID: "i-9", Region: "eu-west-1", Phase: "main", Wave: 1, StopResult: ResultOK},
		{ID: "i-2", Region: use1, AZ: "us-east-1b", Phase: "main", Wave: 1, StopResult: ResultOK},
	}
	if !reflect.DeepEqual(s.MayBeStopped, want) {
		t.Errorf("may be stopped\n%+v\nwant\n%+v", s.MayBeStopped, want)
	}
	if got := s.RecoveryRegions(); !slices.Equal(got, []string{"eu-west-1", use1}) {
		t.Errorf("regions %v", got)
	}
	if s.RunID != "run-1" || s.Scenario != "stop-start" || s.Status != StatusAborted || s.Reason != "interrupt" || !s.Finished {
		t.Errorf("summary %+v", s)
	}
	if !s.StartedAt.Equal(t0.Add(time.Second)) || !s.EndedAt.Equal(t0.Add(8*time.Second)) || s.Records != 8 {
		t.Errorf("started %v ended %v records %d", s.StartedAt, s.EndedAt, s.Records)
	}
	if !s.NeedsRecovery() {
		t.Error("an aborted run that left instances stopped needs recovery")
	}
	if got := InRegion(s.MayBeStopped, use1); !slices.Equal(got, []string{"i-2"}) {
		t.Errorf("InRegion = %v", got)
	}
}
