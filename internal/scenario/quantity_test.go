package scenario

import (
	"encoding/json"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"gameday/internal/strictyaml"
)

type instants struct {
	Q Quantity  `yaml:"q"`
	T Timestamp `yaml:"t"`
}

func TestQuantityDecode(t *testing.T) {
	const bad = `t.yaml:1:4: q: expected a count like 4 or a percentage like "50%", got `
	tests := []struct {
		in   string
		want string
		err  string
	}{
		{"4", "4", ""},
		{"0", "0", ""},
		{"0x10", "16", ""},
		{`"50%"`, "50%", ""},
		{"12.5%", "12.5%", ""},
		{"100%", "100%", ""},
		{`"4"`, "0", bad + `"4" (hint: write 4 (no quotes) for a count, or "4%" for a percentage)`},
		{"2.5", "0", bad + `2.5 (hint: a count is a whole number, 0 or more)`},
		{"-1", "0", bad + `-1 (hint: a count is a whole number, 0 or more)`},
		{"0%", "0", bad + `"0%" (hint: a percentage must be more than 0 and at most 100)`},
		{"150%", "0", bad + `"150%" (hint: a percentage must be more than 0 and at most 100)`},
		{"half", "0", bad + `"half"`},
		{"true", "0", bad + `true (hint: a count is a whole number, 0 or more)`},
		{"~", "0", bad + `null`},
		{"[1]", "0", bad + `a list`},
	}
	for _, tt := range tests {
		var q instants
		_, err := strictyaml.Decode("t.yaml", []byte("q: "+tt.in), &q)
		if got := errString(err); got != tt.err || q.Q.String() != tt.want {
			t.Errorf("q: %s: got %v, %q; want %v, %q", tt.in, q.Q, got, tt.want, tt.err)
		}
	}
}

func TestTimestampDecode(t *testing.T) {
	const bad = `t.yaml:1:4: t: expected an RFC 3339 time like "2026-12-01T02:00:00Z", got `
	tests := []struct {
		in   string
		want string
		err  string
	}{
		{"2026-12-01T02:00:00Z", "2026-12-01T02:00:00Z", ""},
		{`"2026-12-01T03:00:00+01:00"`, "2026-12-01T03:00:00+01:00", ""},
		{"2026-12-01T02:00:00.5Z", "2026-12-01T02:00:00.5Z", ""},
		{"2026-12-01", "", bad + `"2026-12-01" (hint: add a time and a zone: "2026-12-01T00:00:00Z")`},
		{"2026-12-01 02:00", "", bad + `"2026-12-01 02:00" (hint: separate the date and the time with T: "2026-12-01T02:00:00Z")`},
		{"2026-12-01t02:00:00z", "", bad + `"2026-12-01t02:00:00z"`},
		{"2026-12-01T02:00:00", "", bad + `"2026-12-01T02:00:00" (hint: add a zone: "2026-12-01T02:00:00Z" for UTC, or an offset such as "+01:00")`},
		{"2026-13-01T02:00:00Z", "", bad + `"2026-13-01T02:00:00Z"`},
		{"1764554400", "", bad + `1764554400`},
		{"~", "", bad + `null`},
	}
	for _, tt := range tests {
		var v instants
		_, err := strictyaml.Decode("t.yaml", []byte("t: "+tt.in), &v)
		got := ""
		if !v.T.IsZero() {
			got = v.T.String()
		}
		if errString(err) != tt.err || got != tt.want {
			t.Errorf("t: %s: got %q, %q; want %q, %q", tt.in, got, errString(err), tt.want, tt.err)
		}
	}
}

func TestQuantityAndTimestampRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 1, 3, 0, 0, 0, time.FixedZone("", 3600))
	for _, v := range []instants{
		{Q: Quantity{Count: 4}, T: Timestamp{at}},
		{Q: Quantity{Percent: &Percent{12.5}}, T: Timestamp{at.UTC()}},
	} {
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var back instants
		if err := json.Unmarshal(j, &back); err != nil || back.Q.String() != v.Q.String() || !back.T.Equal(v.T.Time) {
			t.Errorf("JSON round trip of %s: got %+v, %v", j, back, err)
		}
		y, err := yaml.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var fromYAML instants
		if _, err := strictyaml.Decode("y", y, &fromYAML); err != nil || fromYAML.Q.String() != v.Q.String() || !fromYAML.T.Equal(v.T.Time) {
			t.Errorf("YAML round trip of %q: got %+v, %v", y, fromYAML, err)
		}
	}
	j, _ := json.Marshal(instants{Q: Quantity{Count: 4}, T: Timestamp{at}})
	if want := `{"Q":4,"T":"2026-12-01T03:00:00+01:00"}`; string(j) != want {
		t.Errorf("MarshalJSON: got %s, want %s", j, want)
	}
}

func TestQuantityAndTimestampUnmarshalJSONErrors(t *testing.T) {
	var q Quantity
	for _, in := range []string{`"4"`, `-1`, `"0%"`, `{}`, `nope`} {
		if err := json.Unmarshal([]byte(in), &q); err == nil {
			t.Errorf("Quantity from %s: want an error", in)
		}
	}
	var ts Timestamp
	for _, in := range []string{`"2026-12-01"`, `1`, `"x"`} {
		if err := json.Unmarshal([]byte(in), &ts); err == nil {
			t.Errorf("Timestamp from %s: want an error", in)
		}
	}
}
