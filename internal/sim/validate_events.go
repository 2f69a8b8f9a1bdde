package sim

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"gameday/internal/fleet"
	"gameday/internal/strictyaml"
)

func (c *checker) event(path string, e EventSpec, spec FleetSpec, groupsOK bool) {
	before := len(c.problems)
	if !slices.Contains(eventCodes(), e.Code) {
		hint := "codes: " + strings.Join(eventCodes(), ", ")
		if guess, ok := strictyaml.Suggest(e.Code, eventCodes()); ok {
			hint = fmt.Sprintf("did you mean %q?", guess)
		}
		c.value(path+".code", fmt.Sprintf("unknown event code %q", e.Code), hint)
	}
	c.eventSelection(path, e, spec.zones())
	c.eventTimes(path, e)
	if len(c.problems) > before || !groupsOK {
		return // counting matches of a broken selection says nothing useful
	}
	matched := spec.matchCount(e)
	switch {
	case matched == 0:
		c.key(path, "the event selects no instance", "check its tags and availability_zones against the groups")
	case e.Count > matched:
		c.value(path+".count", fmt.Sprintf("%d instances asked for, but only %d match", e.Count, matched), "")
	}
}

func (c *checker) eventSelection(path string, e EventSpec, zones []string) {
	switch {
	case e.Count < 0:
		c.value(path+".count", fmt.Sprintf("expected at least 1 instance, got %d", e.Count), "")
	case e.Count > 0 && e.Percent != nil:
		c.key(path+".percent", "choose count or percent, not both", "")
	}
	if e.Percent != nil && (e.Percent.Value <= 0 || e.Percent.Value > 100) {
		c.value(path+".percent", fmt.Sprintf("expected a percentage more than 0 and at most 100, got %v", e.Percent.Value), "")
	}
	for i, az := range e.AvailabilityZones {
		if !slices.Contains(zones, az) {
			c.value(strictyaml.JoinIndex(path+".availability_zones", i),
				fmt.Sprintf("no group has instances in %q", az), "the fleet's zones: "+strings.Join(zones, ", "))
		}
	}
	if _, ok := e.Tags[""]; ok {
		c.key(strictyaml.JoinKey(path+".tags", ""), "empty tag key", "")
	}
}

func (c *checker) eventTimes(path string, e EventSpec) {
	times := []struct {
		name string
		t    *EventTime
	}{{"not_before", &e.NotBefore}, {"not_after", e.NotAfter}, {"not_before_deadline", e.NotBeforeDeadline}}
	for _, nt := range times {
		if nt.t != nil && nt.t.At.IsZero() && nt.t.After < 0 {
			c.value(path+"."+nt.name, fmt.Sprintf("expected an offset of 0 or more, got %v", nt.t.After), "")
		}
	}
	if t := e.NotAfter; t != nil && comparable(e.NotBefore, *t) && !later(*t, e.NotBefore) {
		c.value(path+".not_after", fmt.Sprintf("not_after %s is not after not_before %s", t, e.NotBefore), "")
	}
	if t := e.NotBeforeDeadline; t != nil && comparable(e.NotBefore, *t) && later(e.NotBefore, *t) {
		c.value(path+".not_before_deadline", fmt.Sprintf("not_before_deadline %s is before not_before %s", t, e.NotBefore), "")
	}
}

// comparable reports whether two event times can be ordered before the
// simulator starts: both offsets, or both instants.
func comparable(a, b EventTime) bool { return a.At.IsZero() == b.At.IsZero() }

// later reports whether a is after b; they must be comparable.
func later(a, b EventTime) bool {
	if a.At.IsZero() {
		return a.After > b.After
	}
	return a.At.After(b.At)
}

// eventSelector decides which instances an event may pick.
type eventSelector struct {
	zones []string
	keys  []string // sorted, so that a lookup order never matters
	tags  map[string]fleet.Wildcard
}

func newEventSelector(e EventSpec) eventSelector {
	s := eventSelector{zones: e.AvailabilityZones, keys: slices.Sorted(maps.Keys(e.Tags)), tags: map[string]fleet.Wildcard{}}
	for k, v := range e.Tags {
		s.tags[k] = fleet.CompileWildcard(v)
	}
	return s
}

// matches reports whether an instance in az whose tags tag looks up is
// selected.
func (s eventSelector) matches(az string, tag func(key string) (string, bool)) bool {
	if len(s.zones) > 0 && !slices.Contains(s.zones, az) {
		return false
	}
	for _, key := range s.keys {
		v, ok := tag(key)
		if !ok || !s.tags[key].Match(v) {
			return false
		}
	}
	return true
}

// matchCount is how many of the fleet's instances an event's tags and zones
// select, before Count or Percent.
func (spec FleetSpec) matchCount(e EventSpec) int {
	sel := newEventSelector(e)
	n := 0
	for _, g := range spec.Groups {
		if len(g.AvailabilityZones) == 0 {
			continue
		}
		for k := range max(g.Count, 0) {
			az := g.AvailabilityZones[k%len(g.AvailabilityZones)]
			if sel.matches(az, g.tagOf(k)) {
				n++
			}
		}
	}
	return n
}

// tagOf looks up the tags the k-th instance of g starts with; the Name is
// only built when asked for.
func (g GroupSpec) tagOf(k int) func(string) (string, bool) {
	return func(key string) (string, bool) {
		if key == "Name" {
			return instanceName(g, k), true
		}
		v, ok := g.Tags[key]
		return v, ok
	}
}

// instanceName is the Name tag of the k-th instance of g: web-01, web-02,
// zero-padded to the width of the group's count (at least two digits).
func instanceName(g GroupSpec, k int) string {
	n := strconv.Itoa(k + 1)
	width := max(2, len(strconv.Itoa(g.Count)))
	return g.Name + "-" + strings.Repeat("0", max(width-len(n), 0)) + n
}
