package ec2api

import (
	"strings"

	"gameday/internal/fleet"
	"gameday/internal/sim"
)

// fieldFunc lists the values an instance has for one filter name.
type fieldFunc func(v sim.InstanceView) []string

// filterSet is the filters one action understands.
type filterSet struct {
	fields map[string]fieldFunc
	// tags enables the tag:KEY form.
	tags bool
}

// filter is one compiled filter: it matches when any value the instance
// has matches any pattern.
type filter struct {
	values   fieldFunc
	patterns []fleet.Wildcard
}

func (f filter) match(v sim.InstanceView) bool {
	for _, have := range f.values(v) {
		for _, p := range f.patterns {
			if p.Match(have) {
				return true
			}
		}
	}
	return false
}

// compile resolves filter names; an unknown name is EC2's
// InvalidParameterValue.
func (fs filterSet) compile(raw []rawFilter) ([]filter, *apiError) {
	out := make([]filter, 0, len(raw))
	for _, r := range raw {
		values, ok := fs.fields[r.Name]
		if key, isTag := strings.CutPrefix(r.Name, "tag:"); isTag && fs.tags && key != "" {
			values, ok = tagValue(key), true
		}
		if !ok {
			return nil, invalidValue("The filter '%s' is invalid", r.Name)
		}
		f := filter{values: values}
		for _, v := range r.Values {
			f.patterns = append(f.patterns, fleet.CompileWildcard(v))
		}
		out = append(out, f)
	}
	return out, nil
}

// matchAll reports whether v passes every filter (filters AND).
func matchAll(filters []filter, v sim.InstanceView) bool {
	for _, f := range filters {
		if !f.match(v) {
			return false
		}
	}
	return true
}

// tagValue is the tag:KEY filter; the key itself is literal.
func tagValue(key string) fieldFunc {
	return func(v sim.InstanceView) []string {
		if value, ok := v.Tags[key]; ok {
			return []string{value}
		}
		return nil
	}
}

func one(get func(v sim.InstanceView) string) fieldFunc {
	return func(v sim.InstanceView) []string { return []string{get(v)} }
}
