package sim

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"gameday/internal/strictyaml"
)

// DecodeYAMLNode reads a range written as {min: 1.5s, max: 4s} or as one
// duration ("2s") for a fixed time. Both keys are required in the mapping
// form, so that a forgotten one is not silently 0.
func (r *Range) DecodeYAMLNode(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && !strictyaml.IsNull(n) {
		d, err := parseDuration(n)
		if err != nil {
			return err
		}
		*r = Range{Min: d, Max: d}
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return rangeError(fmt.Sprintf("expected a range like {min: 1s, max: 4s} or one duration, got %s", strictyaml.Describe(n)), "")
	}
	return r.decodeMapping(n)
}

func (r *Range) decodeMapping(n *yaml.Node) error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		var target *time.Duration
		switch key.Value {
		case "min":
			target = &r.Min
		case "max":
			target = &r.Max
		default:
			hint := "a range has the fields min and max"
			if guess, ok := strictyaml.Suggest(key.Value, []string{"min", "max"}); ok {
				hint = fmt.Sprintf("did you mean %q?", guess)
			}
			return rangeError(fmt.Sprintf("unknown field %q in a range", key.Value), hint)
		}
		if seen[key.Value] {
			return rangeError(fmt.Sprintf("duplicate key %q", key.Value), "")
		}
		seen[key.Value] = true
		d, err := parseDuration(value)
		if err != nil {
			return rangeError(key.Value+": "+err.Msg, err.Hint)
		}
		*target = d
	}
	for _, k := range []string{"min", "max"} {
		if !seen[k] {
			return rangeError("a range needs both min and max; "+k+" is missing", `write one duration such as "2s" for a fixed time`)
		}
	}
	return nil
}

func rangeError(msg, hint string) *strictyaml.Error {
	return &strictyaml.Error{Msg: msg, Hint: hint}
}

// parseDuration reads a Go duration such as "1.5s" or "2m". A bare number
// is refused, except 0: "how long" needs a unit.
func parseDuration(n *yaml.Node) (time.Duration, *strictyaml.Error) {
	if n.Kind != yaml.ScalarNode || strictyaml.IsNull(n) {
		return 0, durationError(n, "")
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		hint := `units are "ms", "s", "m" and "h"`
		if _, numErr := strconv.ParseFloat(n.Value, 64); numErr == nil {
			hint = fmt.Sprintf(`add a unit, e.g. "%ss" for seconds`, n.Value)
		}
		return 0, durationError(n, hint)
	}
	return d, nil
}

func durationError(n *yaml.Node, hint string) *strictyaml.Error {
	return &strictyaml.Error{
		Msg:  fmt.Sprintf(`expected a duration like "1.5s" or "2m", got %s`, strictyaml.Describe(n)),
		Hint: hint,
	}
}

// String prints the range as a fleet file writes it.
func (r Range) String() string {
	if r.Min == r.Max {
		return r.Min.String()
	}
	return fmt.Sprintf("%s-%s", r.Min, r.Max)
}

// draw picks a duration uniformly in [Min, Max]. It always takes one value
// from rng, so that a fixed range does not shift the draws after it. (The
// modulo bias is below 1e-8 for any span shorter than a day.)
func (r Range) draw(rng *rand.Rand) time.Duration {
	u := rng.Uint64()
	if r.Max <= r.Min {
		return r.Min
	}
	return r.Min + time.Duration(u%uint64(r.Max-r.Min+1))
}
