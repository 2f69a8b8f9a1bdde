package replay

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzReplayFormats reads arbitrary input as each format a user may name
// (FuzzReplayParse only detects it: CSV is never tried on input that
// starts with "{" or "[", nor a JSON format forced on lines of text). Every
// error names the file; an accepted incident has its events in time order;
// a gzip-compressed input reads the same as the plain one.
func FuzzReplayFormats(f *testing.F) {
	for _, name := range []string{"cloudtrail-s3.json", "lookup-events.json", "eventbridge.jsonl", "timeline.csv"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "replay", name))
		if err != nil {
			f.Fatal(err)
		}
		for i := range Formats {
			f.Add(data, uint8(i))
		}
	}
	hostile, _ := filepath.Glob("../../testdata/hostile/replay-*")
	for _, path := range hostile {
		if data, err := os.ReadFile(path); err == nil {
			f.Add(data, uint8(0))
		}
	}
	for _, seed := range []string{
		"\ufefftime,target,event,count\r\n+0s,us-east-1a,stop,2\r\n+1m,*,reboot,1\r\n",
		"time,target,event,percent,az,region\n2024-03-12T14:02:10Z,us-east-1a,impaired,50%,,us-east-1\n# note\n2024-03-12 14:03:10Z,i-0123456789abcdef0,ok,,us-east-1a,\n",
		"time,target,event\n\"+0s,i-01234567,reboot\n",
		"{\"Records\": [{\"eventName\": \"RebootInstances\"}]}",
		"[{\"detail-type\": \"EC2 Instance State-change Notification\", \"detail\": {\"state\": \"stopped\"}}]",
	} {
		f.Add([]byte(seed), uint8(0))
		f.Add([]byte(seed), uint8(len(Formats)-1))
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		format := Formats[int(which)%len(Formats)]
		inc, err := Parse("fuzz", data, format)
		if err != nil {
			checkNamed(t, err)
		} else {
			for i := 1; i < len(inc.Events); i++ {
				if inc.Events[i].Time.Before(inc.Events[i-1].Time) {
					t.Fatalf("events out of order: %v after %v", inc.Events[i].Time, inc.Events[i-1].Time)
				}
			}
		}
		if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) || len(data) > 64<<10 {
			return
		}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		_, _ = zw.Write(data)
		_ = zw.Close()
		inc2, err2 := Parse("fuzz", gz.Bytes(), format)
		if errString(err) != errString(err2) || !reflect.DeepEqual(inc, inc2) {
			t.Fatalf("gzip reads differently:\nplain %v\ngzip  %v", err, err2)
		}
	})
}

// checkNamed fails unless every line of err starts with the file's name.
func checkNamed(t *testing.T, err error) {
	t.Helper()
	var errs Errors
	if !errors.As(err, &errs) {
		errs = Errors{err}
	}
	for _, e := range errs {
		if msg := e.Error(); !strings.HasPrefix(msg, "fuzz") {
			t.Fatalf("error does not name the file: %q", msg)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestHostileReplayFiles reads every testdata/hostile/replay-* file.
func TestHostileReplayFiles(t *testing.T) {
	want := map[string]string{
		"replay-bare-quote.csv":    `replay-bare-quote.csv:2: bare " in non-quoted-field`,
		"replay-bom-crlf.csv":      "",
		"replay-deep.json":         "replay-deep.json: line 1, column 10001: invalid JSON: invalid character '[' exceeded max depth",
		"replay-huge-count.csv":    `replay-huge-count.csv:2: count "100000000000000000000": want a whole number of instances from 1 to 10000`,
		"replay-invalid-utf8.json": "",
		"replay-long-field.csv":    `replay-long-field.csv:2: target "` + strings.Repeat("i", maxQuoted) + `"... (65536 bytes): want an instance id`,
		"replay-nul.csv":           `replay-nul.csv:2: event "stop\x00": want reboot`,
	}
	files, err := filepath.Glob("../../testdata/hostile/replay-*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		w, ok := want[name]
		if !ok {
			t.Errorf("sample %s has no expectation in this test", name)
			continue
		}
		delete(want, name)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Parse(name, data, FormatAuto)
		switch {
		case w == "" && err != nil:
			t.Errorf("%s: want it accepted, got:\n%v", name, err)
		case w != "" && (err == nil || !strings.Contains(err.Error(), w)):
			t.Errorf("%s: got:\n%.2000v\nwant an error containing:\n%s", name, err, w)
		}
	}
	for name := range want {
		t.Errorf("expectation for %s, which is not in testdata/hostile", name)
	}
}

// TestQuoteCutsLongValues: an error quotes at most maxQuoted bytes of a
// value, never cutting a character in two.
func TestQuoteCutsLongValues(t *testing.T) {
	for in, want := range map[string]string{
		"stop":                        `"stop"`,
		strings.Repeat("x", 80):       `"` + strings.Repeat("x", 80) + `"`,
		strings.Repeat("x", 81):       `"` + strings.Repeat("x", 80) + `"... (81 bytes)`,
		strings.Repeat("é", 41):       `"` + strings.Repeat("é", 40) + `"... (82 bytes)`,
		"x" + strings.Repeat("é", 41): `"x` + strings.Repeat("é", 39) + `"... (83 bytes)`,
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%.20q...) = %s, want %s", in, got, want)
		}
	}
}

// TestScaleSaturates: events centuries apart give a time stopped near the
// largest duration; scaling it must not wrap around to a negative one
// (found by FuzzReplayParse: testdata/fuzz/FuzzReplayParse/events-centuries-apart).
func TestScaleSaturates(t *testing.T) {
	const most = time.Duration(math.MaxInt64)
	for _, tt := range []struct {
		d    time.Duration
		f    float64
		want time.Duration
	}{
		{most, 1, most},
		{most, 2, most},
		{-most, 2, math.MinInt64},
		{90 * time.Second, 0.5, 45 * time.Second},
		{1001 * time.Microsecond, 1, time.Millisecond},
	} {
		if got := scale(tt.d, tt.f); got != tt.want {
			t.Errorf("scale(%v, %v) = %v, want %v", tt.d, tt.f, got, tt.want)
		}
	}
}
