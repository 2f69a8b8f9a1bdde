package recovery

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"gameday/internal/fleet"
	"gameday/internal/journal"
)

func taggedBy(id, state, run string, restoreBy time.Time) fleet.Instance {
	return fleet.Instance{ID: id, State: state, AZ: "us-east-1b", Tags: journal.DeadManTags(run, restoreBy)}
}

func TestRecoverOrphansFromTagsAlone(t *testing.T) {
	now := t0
	past, future := now.Add(-time.Minute), now.Add(time.Hour)
	insts := []fleet.Instance{
		taggedBy("i-expired", fleet.StateStopped, "run-a", past),
		taggedBy("i-stopping", fleet.StateStopping, "run-a", past),
		taggedBy("i-live", fleet.StateStopped, "run-b", future),
		taggedBy("i-running-expired", fleet.StateRunning, "run-a", past),
		taggedBy("i-running-live", fleet.StateRunning, "run-b", future),
		{ID: "i-garbled", State: fleet.StateStopped, Tags: map[string]string{journal.TagRunID: "run-c", journal.TagRestoreBy: "soon"}},
		{ID: "i-untagged", State: fleet.StateStopped, Tags: map[string]string{"gameday": "opt-in"}},
	}
	tests := []struct {
		name        string
		expiredOnly bool
		want        map[string]Outcome
	}{
		{"restore all, warn about live runs", false, map[string]Outcome{"i-expired": Restored, "i-stopping": Restored,
			"i-live": Restored, "i-running-expired": TagsOnly, "i-garbled": Restored}},
		{"expired only", true, map[string]Outcome{"i-expired": Restored, "i-stopping": Restored,
			"i-live": LeftAlone, "i-running-expired": TagsOnly, "i-garbled": Restored}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := newFake(use1, insts...)
			core, logs := observer.New(zapcore.InfoLevel)
			opts := fastOpts()
			opts.Now, opts.ExpiredOnly = func() time.Time { return now }, tt.expiredOnly
			res, err := RecoverOrphans(context.Background(), op, use1, zap.New(core), opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := outcomes(res); !maps.Equal(got, tt.want) {
				t.Errorf("outcomes %v, want %v", got, tt.want)
			}
			for _, r := range res.Instances {
				if r.ID == "i-expired" && (r.RunID != "run-a" || !r.RestoreBy.Equal(past) || !r.Untagged) {
					t.Errorf("i-expired: %+v, want run-a, its restore-by and untagged", r)
				}
			}
			if op.state("i-untagged") != fleet.StateStopped || op.state("i-running-live") != fleet.StateRunning ||
				len(op.tags("i-running-live")) != 2 {
				t.Error("touched an untagged instance or a live run's running one")
			}
			warned := logs.FilterMessageSnippet("may still be alive").FilterField(zap.String("run", "run-b")).Len()
			if want := map[bool]int{false: 1, true: 0}[tt.expiredOnly]; warned != want {
				t.Errorf("%d warnings naming run-b, want %d", warned, want)
			}
			if tt.expiredOnly && (op.state("i-live") != fleet.StateStopped || len(op.tags("i-live")) != 2) {
				t.Error("--expired-only touched an instance whose run's deadline is ahead")
			}
		})
	}
}

func TestRecoverOrphansWithNothingTagged(t *testing.T) {
	op := newFake(use1, fleet.Instance{ID: "i-1", State: fleet.StateStopped})
	res, err := RecoverOrphans(context.Background(), op, use1, zap.NewNop(), fastOpts())
	if err != nil || !res.NothingToDo || len(res.Instances) != 0 || op.startCalls != 0 {
		t.Fatalf("%+v, %v", res, err)
	}
}

func TestActiveForeignRuns(t *testing.T) {
	now := t0
	insts := []fleet.Instance{
		taggedBy("i-1", fleet.StateStopped, "run-b", now.Add(time.Hour)),
		taggedBy("i-2", fleet.StateRunning, "run-a", now.Add(time.Minute)),
		taggedBy("i-3", fleet.StateStopped, "run-a", now.Add(-time.Minute)), // expired
		taggedBy("i-4", fleet.StateStopped, "own", now.Add(time.Hour)),      // ours
		taggedBy("i-5", fleet.StateStopped, "run-a", now),                   // due now: expired
		{ID: "i-6", Tags: map[string]string{journal.TagRunID: "run-c"}},     // no deadline: fail closed
		{ID: "i-7", Tags: map[string]string{"app": "web"}},
	}
	claims := ActiveForeignRuns(insts, now, "own")
	var got []string
	for _, c := range claims {
		got = append(got, c.RunID+"/"+c.InstanceID)
	}
	if want := "run-a/i-2 run-b/i-1 run-c/i-6"; strings.Join(got, " ") != want {
		t.Fatalf("claims %v, want %s", got, want)
	}
	if !claims[1].RestoreBy.Equal(now.Add(time.Hour)) || !claims[2].RestoreBy.IsZero() {
		t.Errorf("claims %+v", claims)
	}
	msg := FormatClaims(claims)
	for _, want := range []string{"run run-a holds 1 instances until 2026-11-22T18:01:00Z", "run run-c holds 1 instances until an unreadable restore-by"} {
		if !strings.Contains(msg, want) {
			t.Errorf("FormatClaims lacks %q:\n%s", want, msg)
		}
	}
	if !strings.Contains(claims[2].String(), "unreadable") || !strings.Contains(claims[0].String(), "held by run run-a") {
		t.Errorf("claim strings: %s / %s", claims[0], claims[2])
	}
}
