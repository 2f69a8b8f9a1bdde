package ec2api

import (
	"cmp"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// maxFilterValues is EC2's cap on filter values per call.
const maxFilterValues = 200

// rawFilter is one Filter.N as sent: a name and its values in index order.
type rawFilter struct {
	Name   string
	Values []string
}

// parseIndexed returns the values of prefix.1, prefix.2, ... ordered by
// index. Indices need not be contiguous; a key like prefix.x is rejected.
func parseIndexed(form url.Values, prefix string) ([]string, *apiError) {
	type indexed struct {
		n     int
		value string
	}
	var items []indexed
	for key, values := range form {
		rest, ok := strings.CutPrefix(key, prefix+".")
		if !ok {
			continue
		}
		n, ok := parseIndex(rest)
		if !ok {
			return nil, errUnknownParameter(key)
		}
		items = append(items, indexed{n, values[0]})
	}
	slices.SortFunc(items, func(a, b indexed) int { return cmp.Compare(a.n, b.n) })
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.value
	}
	return out, nil
}

// parseFilters reads Filter.N.Name and Filter.N.Value.M into filters
// ordered by N. Every filter needs a name and at least one value.
func parseFilters(form url.Values) ([]rawFilter, *apiError) {
	names := map[int]string{}
	values := map[int][]indexedValue{}
	total := 0
	for key, vals := range form {
		rest, ok := strings.CutPrefix(key, "Filter.")
		if !ok {
			continue
		}
		n, field, ok := splitFilterKey(rest)
		if !ok {
			return nil, errUnknownParameter(key)
		}
		if field == 0 {
			names[n] = vals[0]
			continue
		}
		values[n] = append(values[n], indexedValue{field, vals[0]})
		total++
	}
	if total > maxFilterValues {
		return nil, badRequest("FilterLimitExceeded", "The maximum number of filter values specified on a single call is %d", maxFilterValues)
	}
	return assembleFilters(names, values)
}

type indexedValue struct {
	m     int
	value string
}

// splitFilterKey parses "N.Name" (field 0) or "N.Value.M" (field M).
func splitFilterKey(rest string) (n, field int, ok bool) {
	head, tail, found := strings.Cut(rest, ".")
	if !found {
		return 0, 0, false
	}
	if n, ok = parseIndex(head); !ok {
		return 0, 0, false
	}
	if tail == "Name" {
		return n, 0, true
	}
	m, found := strings.CutPrefix(tail, "Value.")
	if !found {
		return 0, 0, false
	}
	field, ok = parseIndex(m)
	return n, field, ok
}

func assembleFilters(names map[int]string, values map[int][]indexedValue) ([]rawFilter, *apiError) {
	for n := range values {
		if _, ok := names[n]; !ok {
			return nil, invalidValue("The filter 'null' is invalid")
		}
	}
	indices := slices.Sorted(maps.Keys(names))
	out := make([]rawFilter, 0, len(indices))
	for _, n := range indices {
		vals := values[n]
		if len(vals) == 0 {
			// Decision: EC2's answer is undocumented; refusing beats
			// silently matching everything or nothing.
			return nil, invalidValue("The filter '%s' has no values", names[n])
		}
		slices.SortFunc(vals, func(a, b indexedValue) int { return cmp.Compare(a.m, b.m) })
		f := rawFilter{Name: names[n]}
		for _, v := range vals {
			f.Values = append(f.Values, v.value)
		}
		out = append(out, f)
	}
	return out, nil
}

// parseIndex accepts the 1-based decimal indices of the query protocol.
func parseIndex(s string) (int, bool) {
	if s == "" || len(s) > 6 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1
}

// parseBool reads an optional boolean; absent is false.
func parseBool(form url.Values, name string) (bool, *apiError) {
	v, ok := form[name]
	if !ok {
		return false, nil
	}
	b, err := strconv.ParseBool(v[0])
	if err != nil {
		return false, invalidValue("Value (%s) for parameter %s is invalid. Expecting a boolean.", v[0], lowerFirst(name))
	}
	return b, nil
}

func errUnknownParameter(key string) *apiError {
	return badRequest("UnknownParameter", "The parameter %s is not recognized", key)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// member is one Prefix.N of a list of structures (Tag.1.Key, Tag.1.Value):
// its index and the fields sent. A field left out is absent from fields;
// one sent empty is present with "".
type member struct {
	n      int
	fields map[string]string
}

// parseMembers reads Prefix.N.Field for the given field names, ordered by
// N. Any other key under Prefix is an unknown parameter.
func parseMembers(form url.Values, prefix string, fields ...string) ([]member, *apiError) {
	byIndex := map[int]member{}
	for key, values := range form {
		rest, ok := strings.CutPrefix(key, prefix+".")
		if !ok {
			continue
		}
		head, field, _ := strings.Cut(rest, ".")
		n, ok := parseIndex(head)
		if !ok || !slices.Contains(fields, field) {
			return nil, errUnknownParameter(key)
		}
		m, seen := byIndex[n]
		if !seen {
			m = member{n: n, fields: map[string]string{}}
			byIndex[n] = m
		}
		m.fields[field] = values[0]
	}
	out := make([]member, 0, len(byIndex))
	for _, n := range slices.Sorted(maps.Keys(byIndex)) {
		out = append(out, byIndex[n])
	}
	return out, nil
}
