package ec2api

import (
	"strings"

	"gameday/internal/sim"
)

// pattern is a compiled EC2 filter value: '*' matches any run of
// characters, '?' exactly one, and a backslash makes the next '*', '?' or
// '\' literal. Matching is case-sensitive, on runes.
type pattern []patternToken

type patternToken struct {
	kind tokenKind
	r    rune
}

type tokenKind int

const (
	literal tokenKind = iota
	anyOne
	anyRun
)

func compilePattern(s string) pattern {
	var p pattern
	runes := []rune(s)
	for i := 0; i < len(runes); i++ {
		switch r := runes[i]; {
		case r == '\\' && i+1 < len(runes) && strings.ContainsRune(`*?\`, runes[i+1]):
			i++
			p = append(p, patternToken{literal, runes[i]})
		case r == '*':
			p = append(p, patternToken{kind: anyRun})
		case r == '?':
			p = append(p, patternToken{kind: anyOne})
		default:
			p = append(p, patternToken{literal, r})
		}
	}
	return p
}

// match reports whether p matches all of s. On a mismatch it backtracks
// only to the last '*', which keeps it linear in practice.
func (p pattern) match(s string) bool {
	rs := []rune(s)
	pi, si := 0, 0
	star, starAt := -1, 0
	for si < len(rs) {
		switch {
		case pi < len(p) && p[pi].kind == anyRun:
			star, starAt = pi, si
			pi++
		case pi < len(p) && (p[pi].kind == anyOne || p[pi].r == rs[si]):
			pi++
			si++
		case star >= 0:
			starAt++
			pi, si = star+1, starAt
		default:
			return false
		}
	}
	for pi < len(p) && p[pi].kind == anyRun {
		pi++
	}
	return pi == len(p)
}

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
	patterns []pattern
}

func (f filter) match(v sim.InstanceView) bool {
	for _, have := range f.values(v) {
		for _, p := range f.patterns {
			if p.match(have) {
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
			f.patterns = append(f.patterns, compilePattern(v))
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
