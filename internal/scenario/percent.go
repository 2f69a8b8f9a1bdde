package scenario

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"gameday/internal/strictyaml"
)

// DecodeYAMLNode reads a percentage written as "30%", "12.5%", 30 or "30".
// It must be more than 0 and at most 100: a blast radius of 0% acts on
// nothing and is surely a mistake.
func (p *Percent) DecodeYAMLNode(n *yaml.Node) error {
	v, err := parsePercent(n)
	if err != nil {
		return err
	}
	p.Value = v
	return nil
}

func parsePercent(n *yaml.Node) (float64, error) {
	if n.Kind != yaml.ScalarNode || strictyaml.IsNull(n) || n.ShortTag() == "!!bool" {
		return 0, percentError(n, "")
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(n.Value, "%"), 64)
	if err != nil || math.IsNaN(v) {
		return 0, percentError(n, "")
	}
	if v <= 0 || v > 100 {
		return 0, percentError(n, "a percentage must be more than 0 and at most 100")
	}
	return v, nil
}

func percentError(n *yaml.Node, hint string) error {
	return &strictyaml.Error{
		Msg:  fmt.Sprintf(`expected a percentage like "30%%", got %s`, strictyaml.Describe(n)),
		Hint: hint,
	}
}

// String prints the percentage with its sign, as written: "30%", "12.5%".
func (p Percent) String() string {
	return strconv.FormatFloat(p.Value, 'f', -1, 64) + "%"
}

// MarshalYAML writes the percentage as a string such as "30%".
func (p Percent) MarshalYAML() (any, error) { return p.String(), nil }

// MarshalJSON writes the percentage as a JSON string such as "30%".
func (p Percent) MarshalJSON() ([]byte, error) { return json.Marshal(p.String()) }

// UnmarshalJSON reads what MarshalJSON wrote, and plain JSON numbers.
func (p *Percent) UnmarshalJSON(b []byte) error {
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil || len(n.Content) != 1 {
		return fmt.Errorf("percent: invalid JSON %s", b)
	}
	v, err := parsePercent(n.Content[0])
	if err != nil {
		return fmt.Errorf("percent: %w", err)
	}
	p.Value = v
	return nil
}
