package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const (
	lineStart  = `{"v":1,"seq":1,"time":"2026-11-22T18:00:00Z","type":"start","start":{"run_id":"r","scenario":"s","seed":1,"gameday_version":"dev","regions":["us-east-1"]}}`
	lineIntent = `{"v":1,"seq":2,"time":"2026-11-22T18:00:01Z","type":"intent","intent":{"action":"StopInstances","region":"us-east-1","ids":["i-1"]}}`
	lineOK     = `{"v":1,"seq":3,"time":"2026-11-22T18:00:02Z","type":"outcome","outcome":{"intent":2,"result":"ok"}}`
)

func TestReadToleratesOnlyATornLastLine(t *testing.T) {
	tests := []struct {
		name        string
		text        string
		wantRecords int
		wantWarning string
		wantErrLine int // 0: no error
		wantErr     string
	}{
		{"clean", lineStart + "\n" + lineIntent + "\n", 2, "", 0, ""},
		{"torn last line", lineStart + "\n" + lineIntent + "\n" + lineOK[:30], 2, ":3: torn last record dropped", 0, ""},
		{"torn last line then blank lines", lineStart + "\n" + lineOK[:30] + "\n\n  \n", 1, ":2: torn", 0, ""},
		{"zeros after a power cut", lineStart + "\n" + "\x00\x00\x00\x00", 1, ":2: torn", 0, ""},
		{"complete last record without newline", lineStart + "\n" + lineIntent, 2, "lacks its newline", 0, ""},
		{"blank lines are ignored", lineStart + "\n\n" + lineIntent + "\n", 2, "", 0, ""},
		{"corrupt middle line", lineStart + "\n" + lineIntent[:30] + "\n" + lineOK + "\n", 0, "", 2, "unexpected end"},
		{"out of order", lineIntent + "\n" + lineStart + "\n", 0, "", 2, "sequence number 1 after 2"},
		{"newer schema", strings.Replace(lineStart, `"v":1`, `"v":2`, 1) + "\n", 0, "", 1, "upgrade gameday"},
		{"no version", strings.Replace(lineStart, `"v":1,`, ``, 1) + "\n", 0, "", 1, "without a schema version"},
		{"payload of another type", strings.Replace(lineStart, `"type":"start"`, `"type":"end"`, 1) + "\n", 0, "", 1, "exactly its"},
		{"outcome without intent", lineStart + "\n" + lineOK + "\n", 0, "", 2, "not an earlier intent"},
		{"an outcome cannot name a skipped record", lineStart + "\n" + `{"v":1,"seq":2,"time":"2026-11-22T18:00:00Z","type":"later","later":{}}` + "\n" + lineOK, 1, "", 3, "not an earlier intent"},
		{"unknown record type", lineStart + "\n" + `{"v":1,"seq":2,"time":"2026-11-22T18:00:00Z","type":"later","later":{}}` + "\n", 1, `"later" unknown`, 0, ""},
		{"missing records", lineStart + "\n" + strings.Replace(lineIntent, `"seq":2`, `"seq":5`, 1) + "\n", 2, "jumps from 1 to 5", 0, ""},
		{"intent without ids", strings.Replace(lineIntent, `"ids":["i-1"]`, `"ids":[]`, 1) + "\n", 0, "", 1, "instance ids"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.text)
			records, warnings, err := Read(path)
			if tt.wantErrLine != 0 {
				var corrupt *CorruptError
				if !errors.As(err, &corrupt) || corrupt.Line != tt.wantErrLine || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a CorruptError on line %d with %q", err, tt.wantErrLine, tt.wantErr)
				}
				if !strings.Contains(err.Error(), path) {
					t.Errorf("error %q does not name the file", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(records) != tt.wantRecords {
				t.Errorf("%d records, want %d", len(records), tt.wantRecords)
			}
			joined := strings.Join(warnings, "\n")
			if (tt.wantWarning == "") != (len(warnings) == 0) || !strings.Contains(joined, tt.wantWarning) {
				t.Errorf("warnings %q, want %q", joined, tt.wantWarning)
			}
		})
	}
}

// FuzzParse feeds the reader arbitrary bytes: it must never panic, and
// whatever it accepts must survive a write and a re-read unchanged.
// testdata/fuzz/FuzzParse holds journals from hand and from crashes.
func FuzzParse(f *testing.F) {
	f.Add([]byte(lineStart + "\n" + lineIntent + "\n" + lineOK + "\n"))
	f.Add([]byte(lineStart + "\n" + lineIntent[:40]))
	f.Fuzz(func(t *testing.T, data []byte) {
		records, _, err := Parse("fuzz", data)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		for i, r := range records {
			if i > 0 && r.Seq <= records[i-1].Seq {
				t.Fatalf("accepted sequence %d after %d", r.Seq, records[i-1].Seq)
			}
			line, err := json.Marshal(r)
			if err != nil {
				t.Fatalf("accepted a record that does not encode: %v", err)
			}
			buf.Write(append(line, '\n'))
		}
		again, warnings, err := Parse("again", buf.Bytes())
		if err != nil || len(again) != len(records) {
			t.Fatalf("re-read of accepted records: %d records, %v (had %d)\n%s", len(again), err, len(records), buf.Bytes())
		}
		for _, w := range warnings {
			if strings.Contains(w, "torn") || strings.Contains(w, "newline") || strings.Contains(w, "unknown") {
				t.Fatalf("re-read warns: %s", w)
			}
		}
		_ = Summarize(records)
	})
}
