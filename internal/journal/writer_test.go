package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"gameday/internal/fleet"
)

var t0 = time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)

func createJournal(t *testing.T) (*Writer, string) {
	t.Helper()
	runs := t.TempDir()
	w, err := Create(runs, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, runs
}

func mustAppend(t *testing.T, w *Writer, r Record) uint64 {
	t.Helper()
	seq, err := w.AppendSeq(r)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func TestCreateWritesOneSyncedLinePerRecord(t *testing.T) {
	w, runs := createJournal(t)
	mustAppend(t, w, Record{Time: t0, Start: &Start{RunID: "run-1", Scenario: "s", Regions: []string{"us-east-1"}}})
	seq := mustAppend(t, w, Record{Intent: &Intent{Action: fleet.ActionStop, Region: "us-east-1", IDs: []string{"i-1"}}})
	mustAppend(t, w, Record{Outcome: &Outcome{Intent: seq, Result: ResultOK}})

	path := Path(runs, "run-1")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("journal mode %o, want 600", perm)
	}
	data, _ := os.ReadFile(path)
	if n := strings.Count(string(data), "\n"); n != 3 {
		t.Errorf("%d lines, want 3:\n%s", n, data)
	}
	if !strings.HasPrefix(string(data), `{"v":1,"seq":1,"time":"2026-11-22T18:00:00Z","type":"start","start":{"run_id":"run-1"`) {
		t.Errorf("first line: %s", strings.SplitN(string(data), "\n", 2)[0])
	}
	records, warnings, err := Read(path)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("Read: %v %v", err, warnings)
	}
	if len(records) != 3 || records[1].Type != TypeIntent || records[2].Outcome.Intent != 2 {
		t.Errorf("records = %+v", records)
	}
}

func TestCreateNeverReusesARunID(t *testing.T) {
	_, runs := createJournal(t)
	if _, err := Create(runs, "run-1"); err == nil {
		t.Fatal("a second Create of the same run succeeded")
	}
	for _, bad := range []string{"", ".", "..", "../x", "a/b", `a\b`} {
		if _, err := Create(runs, bad); err == nil {
			t.Errorf("Create(%q) succeeded", bad)
		}
	}
}

func TestAppendIsSafeForConcurrentUse(t *testing.T) {
	w, runs := createJournal(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				id := fmt.Sprintf("i-%d-%d", g, i)
				seq, err := w.Intend(Intent{Action: fleet.ActionReboot, Region: "us-east-1", IDs: []string{id}})
				if err == nil {
					err = w.Append(Record{Outcome: &Outcome{Intent: seq, Result: ResultOK}})
				}
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	records, warnings, err := Read(Path(runs, "run-1"))
	if err != nil || len(warnings) != 0 || len(records) != 400 {
		t.Fatalf("%d records, %v, %v", len(records), warnings, err)
	}
	for i, r := range records {
		if r.Seq != uint64(i+1) {
			t.Fatalf("record %d has seq %d", i, r.Seq)
		}
	}
}

func TestAppendRejectsRecordsWithoutExactlyOnePayload(t *testing.T) {
	w, _ := createJournal(t)
	if err := w.Append(Record{}); err == nil {
		t.Error("a record without payload was appended")
	}
	if err := w.Append(Record{Abort: &Abort{}, End: &End{Status: "x"}}); err == nil {
		t.Error("a record with two payloads was appended")
	}
	if err := w.Append(Record{Type: TypeEnd, Abort: &Abort{Reason: "x"}}); err == nil {
		t.Error("a record whose type contradicts its payload was appended")
	}
	w.Close()
	if err := w.Append(Record{Abort: &Abort{Reason: "x"}}); err == nil {
		t.Error("append after Close succeeded")
	}
}

func TestOpenContinuesTheSequenceAndLocks(t *testing.T) {
	w, runs := createJournal(t)
	mustAppend(t, w, Record{Start: &Start{RunID: "run-1"}})
	mustAppend(t, w, Record{Abort: &Abort{Reason: "operator"}})
	if _, _, err := Open(runs, "run-1"); !errors.Is(err, ErrLocked) {
		t.Fatalf("Open while the writer lives: %v, want ErrLocked", err)
	}
	if locked, err := Locked(Path(runs, "run-1")); !locked || err != nil {
		t.Errorf("Locked = %v, %v while the writer lives", locked, err)
	}
	w.Close()
	if locked, _ := Locked(Path(runs, "run-1")); locked {
		t.Error("Locked after Close")
	}
	w2, warnings, err := Open(runs, "run-1")
	if err != nil || len(warnings) != 0 {
		t.Fatalf("Open: %v %v", err, warnings)
	}
	defer w2.Close()
	if seq := mustAppend(t, w2, Record{End: &End{Status: StatusRecovered}}); seq != 3 {
		t.Errorf("seq after reopen = %d, want 3", seq)
	}
}

func TestOpenRepairsTheTail(t *testing.T) {
	tests := []struct {
		name, tail   string
		wantRecords  int
		wantWarnings int
	}{
		{"torn last line is cut", `{"v":1,"seq":3,"ti`, 3, 1},
		{"complete record without newline is kept", `{"v":1,"seq":3,"time":"2026-11-22T18:00:00Z","type":"abort","abort":{"reason":"x"}}`, 4, 1},
		{"clean file", "", 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, runs := createJournal(t)
			mustAppend(t, w, Record{Start: &Start{RunID: "run-1"}})
			mustAppend(t, w, Record{Abort: &Abort{Reason: "a"}})
			w.Close()
			path := Path(runs, "run-1")
			appendRaw(t, path, tt.tail)
			w2, warnings, err := Open(runs, "run-1")
			if err != nil || len(warnings) != tt.wantWarnings {
				t.Fatalf("Open: %v, warnings %v", err, warnings)
			}
			mustAppend(t, w2, Record{End: &End{Status: StatusRecovered}})
			w2.Close()
			records, warnings, err := Read(path)
			if err != nil || len(warnings) != 0 || len(records) != tt.wantRecords {
				t.Fatalf("after repair: %d records, %v, %v", len(records), warnings, err)
			}
		})
	}
}

func TestOpenRefusesACorruptJournal(t *testing.T) {
	w, runs := createJournal(t)
	mustAppend(t, w, Record{Start: &Start{RunID: "run-1"}})
	w.Close()
	path := Path(runs, "run-1")
	appendRaw(t, path, "garbage\n"+`{"v":1,"seq":2,"time":"2026-11-22T18:00:00Z","type":"abort","abort":{"reason":"x"}}`+"\n")
	var corrupt *CorruptError
	if _, _, err := Open(runs, "run-1"); !errors.As(err, &corrupt) || corrupt.Line != 2 {
		t.Fatalf("Open of a corrupt journal: %v, want a CorruptError on line 2", err)
	}
}

func TestSecretsNeverReachTheJournal(t *testing.T) {
	w, runs := createJournal(t)
	mustAppend(t, w, Record{Start: &Start{RunID: "run-1", Endpoint: "https://user:hunter2@ec2.example.com/x?token=abc"}})
	seq := mustAppend(t, w, Record{Intent: &Intent{Action: fleet.ActionStart, Region: "r", IDs: []string{"i-1"}}})
	mustAppend(t, w, Record{Outcome: &Outcome{Intent: seq, Result: ResultError,
		Message: "post https://user:hunter2@host/: key AKIAABCDEFGHIJKLMNOP rejected"}})
	data, _ := os.ReadFile(Path(runs, "run-1"))
	for _, secret := range []string{"hunter2", "AKIAABCDEFGHIJKLMNOP", "token=abc"} {
		if strings.Contains(string(data), secret) {
			t.Errorf("journal contains %q:\n%s", secret, data)
		}
	}
	if !strings.Contains(string(data), `"endpoint":"https://ec2.example.com/x"`) {
		t.Errorf("endpoint not kept without its secrets:\n%s", data)
	}
}

func TestOutcomeOf(t *testing.T) {
	apiErr := fmt.Errorf("ec2: start: %w", &smithy.GenericAPIError{Code: "IncorrectInstanceState", Message: "no"})
	uncertain := &fleet.UncertainError{Action: fleet.ActionStart, IDs: []string{"i-1"}, Err: errors.New("connection reset")}
	tests := []struct {
		err        error
		result     string
		code       string
		hasMessage bool
	}{
		{nil, ResultOK, "", false},
		{uncertain, ResultUncertain, "", true},
		{fmt.Errorf("wrapped: %w", uncertain), ResultUncertain, "", true},
		{apiErr, ResultError, "IncorrectInstanceState", true},
		{errors.New("boom"), ResultError, "", true},
	}
	for _, tt := range tests {
		got := OutcomeOf(7, tt.err)
		if got.Intent != 7 || got.Result != tt.result || got.Code != tt.code || (got.Message != "") != tt.hasMessage {
			t.Errorf("OutcomeOf(%v) = %+v, want result %s code %q", tt.err, got, tt.result, tt.code)
		}
	}
}

func TestDeadManTagsRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 22, 19, 30, 15, 999, time.FixedZone("CET", 3600))
	tags := DeadManTags("run-1", at)
	if tags[TagRunID] != "run-1" || tags[TagRestoreBy] != "2026-11-22T18:30:15Z" {
		t.Fatalf("tags = %v", tags)
	}
	got, err := ParseRestoreBy(tags[TagRestoreBy])
	if err != nil || !got.Equal(at.Truncate(time.Second)) {
		t.Errorf("ParseRestoreBy = %v, %v", got, err)
	}
	if _, err := ParseRestoreBy("tomorrow"); err == nil {
		t.Error("ParseRestoreBy accepted garbage")
	}
}

func appendRaw(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
