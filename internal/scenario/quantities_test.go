package scenario

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"gameday/internal/strictyaml"
)

type quantities struct {
	D Duration `yaml:"d"`
	P Percent  `yaml:"p"`
}

func TestDurationDecode(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"90s", 90 * time.Second, ""},
		{"2m", 2 * time.Minute, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"500ms", 500 * time.Millisecond, ""},
		{"0", 0, ""},
		{"-1s", -time.Second, ""}, // the sign is for validation to judge
		{"abc", 0, `t.yaml:1:4: d: expected a duration like "90s" or "2m", got "abc" (hint: units are "ms", "s", "m" and "h")`},
		{"90", 0, `t.yaml:1:4: d: expected a duration like "90s" or "2m", got 90 (hint: add a unit, e.g. "90s" for seconds)`},
		{"2d", 0, `t.yaml:1:4: d: expected a duration like "90s" or "2m", got "2d" (hint: there is no "d" unit; write "48h")`},
		{"true", 0, `t.yaml:1:4: d: expected a duration like "90s" or "2m", got true (hint: units are "ms", "s", "m" and "h")`},
		{"~", 0, `t.yaml:1:4: d: expected a duration like "90s" or "2m", got null`},
		{"[1s]", 0, `t.yaml:1:4: d: expected a duration like "90s" or "2m", got a list`},
	}
	for _, tt := range tests {
		var q quantities
		_, err := strictyaml.Decode("t.yaml", []byte("d: "+tt.in), &q)
		if got := errString(err); got != tt.err || q.D.Duration != tt.want {
			t.Errorf("d: %s: got %v, %q; want %v, %q", tt.in, q.D, got, tt.want, tt.err)
		}
	}
}

func TestPercentDecode(t *testing.T) {
	const bad = `t.yaml:1:4: p: expected a percentage like "30%", got `
	const outside = ` (hint: a percentage must be more than 0 and at most 100)`
	tests := []struct {
		in   string
		want float64
		err  string
	}{
		{"30%", 30, ""},
		{`"30"`, 30, ""},
		{"30", 30, ""},
		{"12.5%", 12.5, ""},
		{"100%", 100, ""},
		{"0.01", 0.01, ""},
		{"0%", 0, bad + `"0%"` + outside},
		{"0", 0, bad + `0` + outside},
		{"100.5%", 0, bad + `"100.5%"` + outside},
		{"-5%", 0, bad + `"-5%"` + outside},
		{"30 %", 0, bad + `"30 %"`},
		{"thirty", 0, bad + `"thirty"`},
		{".nan", 0, bad + `.nan`},
		{"true", 0, bad + `true`},
		{"~", 0, bad + `null`},
		{"{v: 1}", 0, bad + `a mapping`},
	}
	for _, tt := range tests {
		var q quantities
		_, err := strictyaml.Decode("t.yaml", []byte("p: "+tt.in), &q)
		if got := errString(err); got != tt.err || q.P.Value != tt.want {
			t.Errorf("p: %s: got %v, %q; want %v, %q", tt.in, q.P.Value, got, tt.want, tt.err)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestQuantitiesPrintAsWritten(t *testing.T) {
	q := quantities{D: dur(2 * time.Minute), P: Percent{12.5}}
	if got, want := fmt.Sprint(q.D, " ", q.P), "2m0s 12.5%"; got != want {
		t.Errorf("String: got %q, want %q", got, want)
	}
	j, err := json.Marshal(q)
	if want := `{"D":"2m0s","P":"12.5%"}`; err != nil || string(j) != want {
		t.Errorf("MarshalJSON: got %s, %v; want %s", j, err, want)
	}
	y, err := yaml.Marshal(q)
	if want := "d: 2m0s\np: 12.5%\n"; err != nil || string(y) != want {
		t.Errorf("MarshalYAML: got %q, %v; want %q", y, err, want)
	}
	var back quantities
	if err := json.Unmarshal(j, &back); err != nil || back != q {
		t.Errorf("JSON round trip: got %+v, %v; want %+v", back, err, q)
	}
	var fromYAML quantities
	if _, err := strictyaml.Decode("y", y, &fromYAML); err != nil || fromYAML != q {
		t.Errorf("YAML round trip: got %+v, %v; want %+v", fromYAML, err, q)
	}
}

func TestQuantitiesUnmarshalJSONErrors(t *testing.T) {
	var d Duration
	for _, in := range []string{`90`, `"abc"`} {
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("Duration from %s: want an error", in)
		}
	}
	var p Percent
	for _, in := range []string{`0`, `"abc"`, `{}`} {
		if err := json.Unmarshal([]byte(in), &p); err == nil {
			t.Errorf("Percent from %s: want an error", in)
		}
	}
	if err := json.Unmarshal([]byte(`30`), &p); err != nil || p.Value != 30 {
		t.Errorf("Percent from 30: got %v, %v", p, err)
	}
}
