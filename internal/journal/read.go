package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// CorruptError is a journal line that cannot be trusted and is not the
// last one, so no crash explains it.
type CorruptError struct {
	Path string
	Line int
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("journal: %s:%d: %v", e.Path, e.Line, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Read reads a journal. A torn last line (the process died mid-write) is
// dropped with a warning; a complete record without its final newline is
// kept with one. Any other bad line is a *CorruptError naming it. Records
// of types this version does not know are skipped with a warning.
func Read(path string) ([]Record, []string, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, nil, err
	}
	p := parse(path, data)
	return p.records, p.warnings, p.err
}

// MaxFileSize bounds the journal Read takes in. A run journals its plan,
// its calls, state per wave and health transitions: megabytes for
// thousands of instances. A file this large is not a journal, and reading
// it would take as much memory again.
const MaxFileSize = 1 << 30

// readFile reads path, refusing a file over MaxFileSize by its size before
// reading it (and anything else, a pipe, once past the limit).
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("journal: %s is %.1f GiB (%d bytes), larger than the %d GiB a journal may be",
			path, float64(fi.Size())/(1<<30), fi.Size(), MaxFileSize>>30)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("journal: read %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("journal: %s is larger than the %d GiB a journal may be", path, MaxFileSize>>30)
	}
	return data, nil
}

// Parse is Read on bytes; name appears in messages.
func Parse(name string, data []byte) ([]Record, []string, error) {
	p := parse(name, data)
	return p.records, p.warnings, p.err
}

type parsed struct {
	records  []Record
	warnings []string
	// validEnd is the length of the trustworthy prefix of the data.
	validEnd int
	// lastSeq is the highest sequence number seen, known type or not.
	lastSeq uint64
	err     error
}

type lineParser struct {
	name    string
	p       parsed
	intents map[uint64]bool
}

func parse(name string, data []byte) parsed {
	lp := &lineParser{name: name, intents: map[uint64]bool{}}
	// Past contentEnd there is only whitespace: the line that reaches it
	// is the last one, the only one a crash can have torn.
	contentEnd := len(bytes.TrimRight(data, " \t\r\n"))
	lineNo := 0
	for off := 0; off < len(data); {
		lineNo++
		end := bytes.IndexByte(data[off:], '\n')
		next, hasNewline := off+end+1, end >= 0
		if !hasNewline {
			end, next = len(data)-off, len(data)
		}
		line := data[off : off+end]
		last := next >= contentEnd
		if !lp.line(line, lineNo, last, hasNewline) {
			if lp.p.err == nil {
				lp.p.validEnd = off
			}
			return lp.p
		}
		off = next
	}
	lp.p.validEnd = len(data)
	return lp.p
}

// line handles one line; false stops the parse (an error, or a torn tail).
func (lp *lineParser) line(line []byte, lineNo int, last, hasNewline bool) bool {
	if len(bytes.Trim(line, " \t\r")) == 0 {
		return true
	}
	var r Record
	if err := json.Unmarshal(line, &r); err != nil {
		if last {
			lp.warn(lineNo, "torn last record dropped (%d bytes; the writer died mid-write)", len(line))
			return false
		}
		lp.p.err = &CorruptError{Path: lp.name, Line: lineNo, Err: err}
		return false
	}
	if err := lp.check(&r); err != nil {
		lp.p.err = &CorruptError{Path: lp.name, Line: lineNo, Err: err}
		return false
	}
	if r.Seq != lp.p.lastSeq+1 {
		lp.warn(lineNo, "sequence jumps from %d to %d: records are missing", lp.p.lastSeq, r.Seq)
	}
	lp.p.lastSeq = r.Seq
	if !r.Type.known() {
		lp.warn(lineNo, "record type %q unknown to this gameday, skipped", r.Type)
		return true
	}
	if r.Type == TypeIntent {
		lp.intents[r.Seq] = true
	}
	if !hasNewline {
		lp.warn(lineNo, "last record lacks its newline (kept: it is complete)")
	}
	lp.p.records = append(lp.p.records, r)
	return true
}

func (lp *lineParser) warn(lineNo int, format string, args ...any) {
	lp.p.warnings = append(lp.p.warnings, fmt.Sprintf("%s:%d: ", lp.name, lineNo)+fmt.Sprintf(format, args...))
}

// check validates what every reader relies on: the version, increasing
// sequence numbers, and a payload that matches the type.
func (lp *lineParser) check(r *Record) error {
	switch {
	case r.V < 1:
		return errors.New("record without a schema version")
	case r.V > SchemaVersion:
		return fmt.Errorf("schema version %d is newer than this gameday reads (%d): upgrade gameday", r.V, SchemaVersion)
	case r.Seq <= lp.p.lastSeq:
		return fmt.Errorf("sequence number %d after %d: records out of order or duplicated", r.Seq, lp.p.lastSeq)
	case r.Time.IsZero():
		return errors.New("record without a time")
	case !r.Type.known():
		return nil
	}
	if t, n := r.payloadType(); n != 1 || t != r.Type {
		return fmt.Errorf("%s record must carry exactly its %q payload", r.Type, r.Type)
	}
	return lp.checkPayload(r)
}

func (lp *lineParser) checkPayload(r *Record) error {
	switch r.Type {
	case TypeStart:
		if r.Start.RunID == "" {
			return errors.New("start record without a run id")
		}
	case TypeIntent:
		if in := r.Intent; in.Action == "" || in.Region == "" || len(in.IDs) == 0 {
			return errors.New("intent record needs an action, a region and instance ids")
		}
	case TypeOutcome:
		switch o := r.Outcome; {
		case !lp.intents[o.Intent]:
			return fmt.Errorf("outcome of %d, which is not an earlier intent", o.Intent)
		case o.Result != ResultOK && o.Result != ResultError && o.Result != ResultUncertain:
			return fmt.Errorf("outcome result %q: want ok, error or uncertain", o.Result)
		}
	case TypeState:
		if r.State.Region == "" {
			return errors.New("state record without a region")
		}
	case TypeEnd:
		if r.End.Status == "" {
			return errors.New("end record without a status")
		}
	case TypeRestore:
		if r.Restore.Result == "" {
			return errors.New("restore record without a result")
		}
	}
	return nil
}
