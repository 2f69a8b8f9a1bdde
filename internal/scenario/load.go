package scenario

import (
	"errors"
	"fmt"

	"gameday/internal/strictyaml"
)

// Load reads and parses the scenario file at path. Problems with its
// content are returned as strictyaml.Errors; a file that cannot be read
// gives the underlying error, wrapped, so that errors.Is(err,
// fs.ErrNotExist) works.
func Load(path string) (*Scenario, error) {
	// An oversized file is refused by its size, without reading it.
	data, err := strictyaml.ReadFile(path)
	var errs strictyaml.Errors
	if errors.As(err, &errs) {
		return nil, errs
	}
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes, fills defaults and validates a scenario. source names the
// input in error messages. On any problem it returns nil and
// strictyaml.Errors holding every problem found, decoding and validation
// together, sorted by position.
func Parse(source string, data []byte) (*Scenario, error) {
	s := &Scenario{}
	pos, err := strictyaml.Decode(source, data, s)
	var errs strictyaml.Errors
	if err != nil && !errors.As(err, &errs) {
		return nil, err
	}
	s.Source = source
	applyDefaults(s, pos.Has)
	errs = append(errs, unrelated(validate(s, pos), errs)...)
	if len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}
	return s, nil
}

// unrelated drops validation errors about a path that also failed to
// decode, or sits above or below one: a count that is not a number should
// not also be reported as "must be at least 1", nor a blast_radius with a
// misspelled key as "choose one of ...". The same holds for the other
// settings a problem was judged by. A decode error for the whole document
// (path "") silences validation entirely.
func unrelated(v *validator, decoding strictyaml.Errors) strictyaml.Errors {
	var kept strictyaml.Errors
	for _, e := range v.errs {
		if !nearAny(decoding, append([]string{e.Path}, v.judgedBy[e]...)) {
			kept = append(kept, e)
		}
	}
	return kept
}

func nearAny(decoding strictyaml.Errors, paths []string) bool {
	for _, p := range paths {
		if decoding.Near(p) {
			return true
		}
	}
	return false
}
