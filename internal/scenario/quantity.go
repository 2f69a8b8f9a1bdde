package scenario

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"gameday/internal/strictyaml"
)

// DecodeYAMLNode reads a number of instances written as a plain integer (4)
// or a percentage written with its sign ("50%"). Only the sign tells them
// apart, so a quoted "4" without one is rejected rather than guessed at.
func (q *Quantity) DecodeYAMLNode(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || strictyaml.IsNull(n) {
		return quantityError(n, "")
	}
	switch n.ShortTag() {
	case "!!int":
		var c int
		if err := n.Decode(&c); err != nil || c < 0 {
			return quantityError(n, "a count is a whole number, 0 or more")
		}
		*q = Quantity{Count: c}
		return nil
	case "!!str":
		if !strings.HasSuffix(n.Value, "%") {
			return quantityError(n, quantityHint(n.Value))
		}
		v, err := parsePercent(n)
		if err != nil {
			return quantityError(n, "a percentage must be more than 0 and at most 100")
		}
		*q = Quantity{Percent: &Percent{v}}
		return nil
	}
	return quantityError(n, "a count is a whole number, 0 or more")
}

func quantityError(n *yaml.Node, hint string) error {
	return &strictyaml.Error{
		Msg:  fmt.Sprintf(`expected a count like 4 or a percentage like "50%%", got %s`, strictyaml.Describe(n)),
		Hint: hint,
	}
}

// quantityHint explains a quoted number: is it a count or a percentage?
func quantityHint(text string) string {
	if _, err := strconv.ParseFloat(text, 64); err == nil {
		return fmt.Sprintf(`write %s (no quotes) for a count, or "%s%%" for a percentage`, text, text)
	}
	return ""
}

// String prints the quantity as written: "4" or "50%".
func (q Quantity) String() string {
	if q.Percent != nil {
		return q.Percent.String()
	}
	return strconv.Itoa(q.Count)
}

// MarshalYAML writes a count as a number and a percentage as "50%".
func (q Quantity) MarshalYAML() (any, error) {
	if q.Percent != nil {
		return q.Percent.String(), nil
	}
	return q.Count, nil
}

// MarshalJSON writes a count as a JSON number and a percentage as a JSON
// string such as "50%".
func (q Quantity) MarshalJSON() ([]byte, error) {
	v, _ := q.MarshalYAML()
	return json.Marshal(v)
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	var n yaml.Node
	if err := yaml.Unmarshal(b, &n); err != nil || len(n.Content) != 1 {
		return fmt.Errorf("quantity: invalid JSON %s", b)
	}
	if err := q.DecodeYAMLNode(n.Content[0]); err != nil {
		return fmt.Errorf("quantity: %w", err)
	}
	return nil
}
