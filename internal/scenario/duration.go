package scenario

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"gameday/internal/strictyaml"
)

// DecodeYAMLNode reads a Go duration string: "90s", "2m", "1h30m", or 0.
// The sign is checked by validation, which knows where negatives make sense.
func (d *Duration) DecodeYAMLNode(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || strictyaml.IsNull(n) {
		return durationError(n, "")
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return durationError(n, durationHint(n.Value))
	}
	d.Duration = v
	return nil
}

func durationError(n *yaml.Node, hint string) error {
	return &strictyaml.Error{
		Msg:  fmt.Sprintf(`expected a duration like "90s" or "2m", got %s`, strictyaml.Describe(n)),
		Hint: hint,
	}
}

// durationHint catches the two usual slips: a bare number, and days, which
// Go durations do not have.
func durationHint(text string) string {
	if _, err := strconv.ParseFloat(text, 64); err == nil {
		return fmt.Sprintf(`add a unit, e.g. "%ss" for seconds`, text)
	}
	if days, ok := strings.CutSuffix(text, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil {
			return fmt.Sprintf(`there is no "d" unit; write "%dh"`, n*24)
		}
	}
	return `units are "ms", "s", "m" and "h"`
}

// String prints the duration the way Go does ("2m0s").
func (d Duration) String() string { return d.Duration.String() }

// MarshalYAML writes the duration as a string that reads back the same.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalJSON writes the duration as a JSON string such as "2m0s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads what MarshalJSON wrote, so reports can be read back.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	d.Duration = v
	return nil
}
