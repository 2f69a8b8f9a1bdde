package scenario

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"gameday/internal/strictyaml"
)

// DecodeYAMLNode reads an instant in RFC 3339: a date, a time and a zone,
// such as 2026-12-01T02:00:00Z or 2026-12-01T03:00:00+01:00. A zone is
// required: a scenario must mean the same instant on every machine.
func (t *Timestamp) DecodeYAMLNode(n *yaml.Node) error {
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || tag != "!!str" && tag != "!!timestamp" {
		return timestampError(n, "")
	}
	v, err := time.Parse(time.RFC3339, n.Value)
	if err != nil {
		return timestampError(n, timestampHint(n.Value))
	}
	t.Time = v
	return nil
}

const exampleTimestamp = "2026-12-01T02:00:00Z"

func timestampError(n *yaml.Node, hint string) error {
	return &strictyaml.Error{
		Msg:  fmt.Sprintf("expected an RFC 3339 time like %q, got %s", exampleTimestamp, strictyaml.Describe(n)),
		Hint: hint,
	}
}

var (
	dateOnly   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	spacedTime = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})[ \t]+(\d{2}:\d{2}(:\d{2})?.*)$`)
)

// timestampHint catches the usual near misses: a date alone, a space
// instead of the T, and a missing zone.
func timestampHint(text string) string {
	switch {
	case dateOnly.MatchString(text):
		return fmt.Sprintf("add a time and a zone: %q", text+"T00:00:00Z")
	case spacedTime.MatchString(text):
		m := spacedTime.FindStringSubmatch(text)
		joined := m[1] + "T" + strings.TrimSpace(m[2])
		for _, fixed := range []string{joined, joined + "Z", joined + ":00Z"} {
			if _, err := time.Parse(time.RFC3339, fixed); err == nil {
				return fmt.Sprintf("separate the date and the time with T: %q", fixed)
			}
		}
		return "separate the date and the time with T"
	}
	if _, err := time.Parse("2006-01-02T15:04:05", text); err == nil {
		return fmt.Sprintf(`add a zone: %q for UTC, or an offset such as "+01:00"`, text+"Z")
	}
	return ""
}

// String prints the instant in RFC 3339.
func (t Timestamp) String() string { return t.Time.Format(time.RFC3339Nano) }

// MarshalYAML writes the instant as an RFC 3339 string.
func (t Timestamp) MarshalYAML() (any, error) { return t.String(), nil }

// MarshalJSON writes the instant as an RFC 3339 JSON string.
func (t Timestamp) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// UnmarshalJSON reads what MarshalJSON wrote.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	t.Time = v
	return nil
}
