package fis

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// overlapWarnings: FIS resolves each target on its own, so targets that
// can match the same instance may pick it twice.
func (b *builder) overlapWarnings() {
	n := len(b.selected)
	group := make([]int, n)
	for i := range group {
		group[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for group[i] != i {
			i = group[i]
		}
		return i
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			if b.selected[i].sel.overlaps(b.selected[j].sel) {
				group[find(j)] = find(i)
			}
		}
	}
	members := map[int][]int{}
	var roots []int
	for i := range n {
		r := find(i)
		if _, ok := members[r]; !ok {
			roots = append(roots, r)
		}
		members[r] = append(members[r], i)
	}
	for _, r := range roots {
		if len(members[r]) < 2 {
			continue
		}
		var names []string
		for _, i := range members[r] {
			names = append(names, b.selected[i].name)
		}
		b.warn("targets %s can match the same instances (%s): FIS resolves each target on its own when the experiment starts, "+
			"so one instance may be picked by several of them and others by none, where gameday never acts on an instance twice; --targets instances pins the plan's instances",
			listNames(names), b.selected[r].sel.describe())
	}
}

func (s selector) overlaps(o selector) bool {
	// Different values for one tag key cannot both hold; otherwise an
	// instance may carry both sets of tags.
	for _, f := range s.tags {
		if v, ok := o.tags.Get(f.Key); ok && v != f.Value {
			return false
		}
	}
	if len(s.azs) == 0 || len(o.azs) == 0 {
		return true
	}
	return slices.ContainsFunc(s.azs, func(az string) bool { return slices.Contains(o.azs, az) })
}

// quotaWarnings compares the template with FIS's default quotas.
func (b *builder) quotaWarnings() {
	var over, growing []string
	for _, t := range b.selected {
		follows := t.mode == SelectAll || strings.HasPrefix(t.mode, "PERCENT(")
		resolved := t.planned
		if t.mode == SelectAll {
			resolved = t.candidates
		}
		switch {
		case resolved > MaxResourcesPerTarget && !follows:
			over = append(over, fmt.Sprintf("%s (%s)", t.name, t.mode))
		case resolved > MaxResourcesPerTarget:
			over = append(over, fmt.Sprintf("%s (%s, %d instances on the planned fleet)", t.name, t.mode, resolved))
		case follows:
			growing = append(growing, fmt.Sprintf("%s (%s, %d of %d instances on the planned fleet)", t.name, t.mode, resolved, t.candidates))
		}
	}
	if len(over) > 0 {
		b.warn("FIS quota: by default an EC2 action target resolves to at most %d instances, and %s resolve to more; "+
			"the experiment fails unless the quota is raised (Service Quotas), or export with --targets instances", MaxResourcesPerTarget, listNames(over))
	}
	if len(growing) > 0 {
		b.warn("FIS quota: %s follow the fleet and resolve to more than %d instances once enough instances match, "+
			"above the default quota per EC2 action target; raise it (Service Quotas) before the fleet grows", listNames(growing), MaxResourcesPerTarget)
	}
	if n := len(b.tpl.Actions); n > MaxActions {
		b.warn("FIS quota: the template has %d actions, above the default %d per experiment template; split the scenario or ask for more", n, MaxActions)
	}
	total, parallel := Timeline(b.tpl)
	if parallel > MaxParallelActions {
		b.warn("FIS quota: up to %d actions run at the same time, above the default %d parallel actions", parallel, MaxParallelActions)
	}
	if total > MaxDuration {
		b.warn("FIS quota: the experiment runs for about %s, above FIS's 12-hour maximum; FIS would stop it before the end", total)
	}
}

// Estimated run times of actions, for the quota checks: a stop takes
// about a minute (as gameday's own estimate assumes), a reboot returns at
// once.
const assumedStop = time.Minute

// Timeline estimates how long the experiment runs and how many actions
// run at the same time at most, from startAfter and the durations in the
// actions' parameters.
func Timeline(t *Template) (total time.Duration, maxParallel int) {
	start := map[string]time.Duration{}
	end := map[string]time.Duration{}
	var visit func(name string, depth int) time.Duration
	visit = func(name string, depth int) time.Duration {
		if e, ok := end[name]; ok || depth > len(t.Actions) {
			return e
		}
		a, _ := t.Actions.Get(name)
		var s time.Duration
		for _, dep := range a.StartAfter {
			s = max(s, visit(dep, depth+1))
		}
		start[name], end[name] = s, s+runTime(a)
		return end[name]
	}
	for _, f := range t.Actions {
		total = max(total, visit(f.Key, 0))
	}
	for _, f := range t.Actions {
		at, n := start[f.Key], 0
		for _, g := range t.Actions {
			s, e := start[g.Key], end[g.Key]
			if s <= at && (e > at || (s == e && s == at)) {
				n++
			}
		}
		maxParallel = max(maxParallel, n)
	}
	return total, maxParallel
}

func runTime(a Action) time.Duration {
	switch a.ActionID {
	case ActionWait:
		v, _ := a.Parameters.Get(ParamDuration)
		d, _ := ParseDuration(v)
		return d
	case ActionStop:
		d := assumedStop
		if v, ok := a.Parameters.Get(ParamStartAfter); ok {
			after, _ := ParseDuration(v)
			d += after
		}
		return d
	}
	return 0
}
