package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gameday/internal/fleet"
)

// ErrLocked means a live process holds the journal: the run is still going
// (or another gameday recover is working on it).
var ErrLocked = errors.New("journal: locked by a live gameday process")

// Path returns the journal file of a run.
func Path(runsDir, runID string) string { return filepath.Join(runsDir, runID, FileName) }

// ValidRunID checks that id names one directory under runs/ and nothing
// else: an id read from the command line must not walk out of it.
func ValidRunID(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, `/\`) || filepath.Base(id) != id {
		return fmt.Errorf("journal: %q is not a run id", id)
	}
	return nil
}

// Writer appends records to one journal. Every Append is written and
// fsynced before it returns, so a caller that acts only after Append
// returned nil can never act unrecorded. It is safe for concurrent use.
//
// After any failed write the Writer refuses every later Append with the
// same error: a half-written line may be on disk, and a run that cannot
// journal must stop acting.
type Writer struct {
	mu   sync.Mutex
	f    *os.File
	path string
	seq  uint64
	err  error
}

// Create starts the journal of a new run: runs/<run-id>/journal.jsonl,
// created exclusively (a run id is never reused) with mode 0600, and the
// directories synced so the file survives a power cut. The Writer holds an
// exclusive lock on the file until Close or the process dies, which is how
// `gameday recover` and `gameday runs` tell a live run from a dead one.
func Create(runsDir, runID string) (*Writer, error) {
	if err := ValidRunID(runID); err != nil {
		return nil, err
	}
	dir := filepath.Join(runsDir, runID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	path := filepath.Join(dir, FileName)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, err
	}
	for _, d := range []string{dir, runsDir} {
		if err := syncDir(d); err != nil {
			f.Close()
			return nil, err
		}
	}
	return &Writer{f: f, path: path}, nil
}

// Open reopens an existing run's journal to append to it (gameday recover
// does), continuing its sequence numbers. A torn last line is cut off
// first, since appending after it would bury it mid-file; the warnings say
// so. A journal corrupt before its last line is refused.
func Open(runsDir, runID string) (*Writer, []string, error) {
	if err := ValidRunID(runID); err != nil {
		return nil, nil, err
	}
	path := Path(runsDir, runID)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	w, warnings, err := resume(f, path)
	if err != nil {
		f.Close()
		return nil, warnings, err
	}
	return w, warnings, nil
}

func resume(f *os.File, path string) (*Writer, []string, error) {
	if err := lockFile(f); err != nil {
		return nil, nil, err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, fmt.Errorf("journal: read %s: %w", path, err)
	}
	p := parse(path, data)
	if p.err != nil {
		return nil, p.warnings, p.err
	}
	if err := repairTail(f, data, p); err != nil {
		return nil, p.warnings, fmt.Errorf("journal: repair %s: %w", path, err)
	}
	w := &Writer{f: f, path: path}
	if n := len(p.records); n > 0 {
		w.seq = p.records[n-1].Seq
	}
	if p.lastSeq > w.seq {
		w.seq = p.lastSeq // records of unknown types still own their numbers
	}
	return w, p.warnings, nil
}

// repairTail drops a torn last line, or ends a complete last record that
// lacks its newline, so the next record starts on a line of its own.
func repairTail(f *os.File, data []byte, p parsed) error {
	if p.validEnd < len(data) {
		if err := f.Truncate(int64(p.validEnd)); err != nil {
			return err
		}
		return f.Sync()
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		if _, err := f.Write([]byte{'\n'}); err != nil {
			return err
		}
		return f.Sync()
	}
	return nil
}

// Path returns the file the Writer appends to.
func (w *Writer) Path() string { return w.path }

// Append writes r and syncs it. V, Seq and Time (when zero) are filled in;
// Type is taken from the one payload set.
func (w *Writer) Append(r Record) error {
	_, err := w.AppendSeq(r)
	return err
}

// AppendSeq is Append that also returns the record's sequence number.
func (w *Writer) AppendSeq(r Record) (uint64, error) {
	t, n := r.payloadType()
	switch {
	case n != 1:
		return 0, fmt.Errorf("journal: a record needs exactly one payload, got %d", n)
	case r.Type != "" && r.Type != t:
		return 0, fmt.Errorf("journal: record type %q with a %s payload", r.Type, t)
	}
	r.Type, r.V = t, SchemaVersion
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	r.Time = r.Time.UTC()
	sanitize(&r)

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	if w.f == nil {
		return 0, fmt.Errorf("journal: %s is closed", w.path)
	}
	r.Seq = w.seq + 1
	line, err := json.Marshal(r)
	if err != nil {
		return 0, fmt.Errorf("journal: encode %s record: %w", t, err)
	}
	// One write per record: a crash leaves at most this line torn.
	if _, err := w.f.Write(append(line, '\n')); err != nil {
		w.err = fmt.Errorf("journal: write %s: %w", w.path, err)
		return 0, w.err
	}
	if err := w.f.Sync(); err != nil {
		w.err = fmt.Errorf("journal: sync %s: %w", w.path, err)
		return 0, w.err
	}
	w.seq = r.Seq
	return r.Seq, nil
}

// Intend appends the intent of a mutating call and returns its sequence
// number, which the call's Outcome names.
func (w *Writer) Intend(in Intent) (uint64, error) {
	return w.AppendSeq(Record{Intent: &in})
}

// Close releases the lock and closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// OutcomeOf turns the error of the call announced by intent seq into its
// outcome: ok, uncertain (a *fleet.UncertainError) or error with the AWS
// error code when the error carries one.
func OutcomeOf(seq uint64, err error) Outcome {
	var uncertain *fleet.UncertainError
	var coded interface{ ErrorCode() string }
	switch {
	case err == nil:
		return Outcome{Intent: seq, Result: ResultOK}
	case errors.As(err, &uncertain):
		return Outcome{Intent: seq, Result: ResultUncertain, Message: err.Error()}
	case errors.As(err, &coded):
		return Outcome{Intent: seq, Result: ResultError, Code: coded.ErrorCode(), Message: err.Error()}
	}
	return Outcome{Intent: seq, Result: ResultError, Message: err.Error()}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("journal: sync %s: %w", dir, err)
	}
	return nil
}
