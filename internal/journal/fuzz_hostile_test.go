package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostileJournalFiles reads every testdata/hostile/journal-* file: the
// reader stops at the first untrustworthy line and names it, or keeps
// what it can.
func TestHostileJournalFiles(t *testing.T) {
	tests := map[string]struct {
		records int
		err     string
		warning string
	}{
		"journal-crlf-bom.jsonl":  {0, ":1: invalid character 'ï' looking for beginning of value", ""},
		"journal-deep-torn.jsonl": {1, "", ":2: torn last record dropped (20000 bytes; the writer died mid-write)"},
		"journal-deep.jsonl":      {0, ":2: invalid character '[' exceeded max depth", ""},
		"journal-long-line.jsonl": {2, "", ""},
		"journal-nul.jsonl":       {0, `:1: invalid character '\x00' in string literal`, ""},
	}
	files, err := filepath.Glob("../../testdata/hostile/journal-*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		want, ok := tests[name]
		if !ok {
			t.Errorf("sample %s has no expectation in this test", name)
			continue
		}
		delete(tests, name)
		records, warnings, err := Read(path)
		var corrupt *CorruptError
		switch {
		case want.err == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case want.err != "" && (!errors.As(err, &corrupt) || !strings.Contains(err.Error(), path+want.err)):
			t.Errorf("%s: got %v, want a CorruptError containing %s", name, err, path+want.err)
		case err == nil && len(records) != want.records:
			t.Errorf("%s: %d records, want %d", name, len(records), want.records)
		case want.warning != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], path+want.warning)):
			t.Errorf("%s: warnings %q, want one containing %s", name, warnings, path+want.warning)
		}
	}
	for name := range tests {
		t.Errorf("expectation for %s, which is not in testdata/hostile", name)
	}
}

// TestReadRefusesHugeJournals: a journal over MaxFileSize is refused by
// its size, named in the error, without being read (the file is sparse).
func TestReadRefusesHugeJournals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Skipf("no sparse files here: %v", err)
	}
	f.Close()
	_, _, err = Read(path)
	want := fmt.Sprintf("journal: %s is 1.0 GiB (%d bytes), larger than the 1 GiB a journal may be", path, MaxFileSize+1)
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	if _, _, err := Read(filepath.Join(t.TempDir(), "missing.jsonl")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing journal: %v", err)
	}
}
