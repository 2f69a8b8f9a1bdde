package ec2api

import (
	"strings"

	"gameday/internal/fleet"
	"gameday/internal/sim"
)

// fieldFunc reports whether any value v has for one filter name satisfies
// ok. It hands values over one by one rather than as a slice, so that a
// Describe page over a large fleet allocates nothing per instance scanned.
type fieldFunc[T any] func(v *T, ok func(value string) bool) bool

// filterSet is the filters one action understands.
type filterSet[T any] struct {
	fields map[string]fieldFunc[T]
	// tag serves the tag:KEY form; nil when the action has none.
	tag func(key string) fieldFunc[T]
}

// filter is one compiled filter: it matches when any value the resource
// has matches any pattern.
type filter[T any] struct {
	values fieldFunc[T]
	any    func(value string) bool
}

func (f filter[T]) match(v *T) bool { return f.values(v, f.any) }

// compile resolves filter names; an unknown name is EC2's
// InvalidParameterValue.
func (fs filterSet[T]) compile(raw []rawFilter) ([]filter[T], *apiError) {
	out := make([]filter[T], 0, len(raw))
	for _, r := range raw {
		values, ok := fs.fields[r.Name]
		if key, isTag := strings.CutPrefix(r.Name, "tag:"); isTag && fs.tag != nil && key != "" {
			values, ok = fs.tag(key), true
		}
		if !ok {
			return nil, invalidValue("The filter '%s' is invalid", r.Name)
		}
		patterns := make([]fleet.Wildcard, len(r.Values))
		for i, v := range r.Values {
			patterns[i] = fleet.CompileWildcard(v)
		}
		out = append(out, filter[T]{values: values, any: anyOf(patterns)})
	}
	return out, nil
}

func anyOf(patterns []fleet.Wildcard) func(string) bool {
	return func(have string) bool {
		for _, p := range patterns {
			if p.Match(have) {
				return true
			}
		}
		return false
	}
}

// matchAll reports whether v passes every filter (filters AND).
func matchAll[T any](filters []filter[T], v *T) bool {
	for _, f := range filters {
		if !f.match(v) {
			return false
		}
	}
	return true
}

func one[T any](get func(v *T) string) fieldFunc[T] {
	return func(v *T, ok func(string) bool) bool { return ok(get(v)) }
}

// tagValue is the tag:KEY filter; the key itself is literal.
func tagValue(key string) fieldFunc[sim.InstanceView] {
	return func(v *sim.InstanceView, ok func(string) bool) bool {
		value, has := v.Tag(key)
		return has && ok(value)
	}
}

// eachTag serves tag-key (keys) and tag-value (values).
func eachTag(keys bool) fieldFunc[sim.InstanceView] {
	return func(v *sim.InstanceView, ok func(string) bool) bool {
		found := false
		v.EachTag(func(key, value string) {
			if keys {
				found = found || ok(key)
			} else {
				found = found || ok(value)
			}
		})
		return found
	}
}
