package plan

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"gameday/internal/fleet"
	"gameday/internal/scenario"
)

// buildPhase plans one step: eligibility, quotas per AZ, capacity floors,
// then waves.
func buildPhase(step scenario.Step, listed []fleet.Instance, taken map[string]string,
	requireTag map[string]string, rng *rand.Rand) *Phase {
	sorted := slices.Clone(listed)
	if !slices.IsSortedFunc(sorted, func(a, b fleet.Instance) int { return strings.Compare(a.ID, b.ID) }) {
		fleet.SortByID(sorted) // providers list in ID order: usually nothing to do
	}
	ph := &Phase{Name: step.Name, Step: step, Matched: len(sorted)}
	// base: what passed the rules, including instances earlier phases took;
	// quantities and floors are shares of it.
	base := make([]fleet.Instance, 0, len(sorted))
	ph.Eligible = make([]fleet.Instance, 0, len(sorted))
	excluded := exclusionRules(step.Target, requireTag)
	for _, inst := range sorted {
		if reason := excluded(inst); reason != "" {
			ph.Excluded = append(ph.Excluded, Exclusion{Instance: inst, Reason: reason})
			continue
		}
		base = append(base, inst)
		if by, ok := taken[inst.ID]; ok {
			ph.Excluded = append(ph.Excluded, Exclusion{Instance: inst, Reason: "already selected by phase " + by})
			continue
		}
		ph.Eligible = append(ph.Eligible, inst)
	}
	if len(ph.Eligible) == 0 {
		ph.Eligible = nil
		ph.SelectionRule = "nothing eligible"
		return ph
	}
	quotas, rule := quotasFor(step.BlastRadius, base, ph.Eligible)
	ph.SelectionRule = rule
	floors := newFloors(step.BlastRadius.MinHealthyRemaining, base)
	cumulative := step.Action.Type == scenario.ActionStop || !step.Waves.WaitsForHealthy()
	ph.Selected = ph.walk(shuffled(ph.Eligible, rng), quotas, floors, cumulative)
	if len(ph.Selected) < sum(quotas) {
		ph.SelectionRule += fmt.Sprintf("; %d after capacity floors", len(ph.Selected))
	}
	ph.Waves = ph.cutWaves(floors, cumulative)
	return ph
}

// exclusionReason returns why inst may not be touched, or "" if it may
// (exclusionRules, for a single instance).
func exclusionReason(t scenario.Target, requireTag map[string]string, inst fleet.Instance) string {
	return exclusionRules(t, requireTag)(inst)
}

// exclusionRules returns the function that says why an instance may not be
// touched, or "" if it may. The checks fail closed: the provider already
// filtered on most of them, and they are repeated here so a provider bug
// cannot widen the blast radius. Keys are sorted and tag patterns compiled
// once per phase, not once per instance.
func exclusionRules(t scenario.Target, requireTag map[string]string) func(fleet.Instance) string {
	regions := t.RegionList()
	tagKeys, excludeKeys, requireKeys := sortedKeys(t.Tags), sortedKeys(t.ExcludeTags), sortedKeys(requireTag)
	compile := func(keys []string, patterns map[string]string) []fleet.Wildcard {
		out := make([]fleet.Wildcard, len(keys))
		for i, k := range keys {
			out[i] = fleet.CompileWildcard(patterns[k])
		}
		return out
	}
	tagPatterns, excludePatterns := compile(tagKeys, t.Tags), compile(excludeKeys, t.ExcludeTags)
	return func(inst fleet.Instance) string {
		switch {
		case inst.State != fleet.StateRunning:
			return fmt.Sprintf("state is %s, not running", inst.State)
		case len(regions) > 0 && inst.Region != "" && !slices.Contains(regions, inst.Region):
			return fmt.Sprintf("region %s is not in the target", inst.Region)
		case len(t.AvailabilityZones) > 0 && !slices.Contains(t.AvailabilityZones, inst.AZ):
			return fmt.Sprintf("availability zone %s is not in the target", inst.AZ)
		case len(t.InstanceIDs) > 0 && !slices.Contains(t.InstanceIDs, inst.ID):
			return "not one of target.instance_ids"
		}
		for i, k := range tagKeys {
			if v, ok := inst.Tags[k]; !ok || !tagPatterns[i].Match(v) {
				return fmt.Sprintf("tag %s does not match %q", k, t.Tags[k])
			}
		}
		for i, k := range excludeKeys {
			if v, ok := inst.Tags[k]; ok && excludePatterns[i].Match(v) {
				return fmt.Sprintf("excluded tag %s=%s", k, v)
			}
		}
		for _, k := range requireKeys {
			if !inst.HasTag(k, requireTag[k]) {
				return fmt.Sprintf("not opted in: tag %s=%s is missing", k, requireTag[k])
			}
		}
		return ""
	}
}

// walk takes instances in shuffled order while their AZ has quota left,
// unless a capacity floor forbids it. With cumulative downtime (action stop,
// or waves that do not wait for health) a floor caps the whole selection;
// otherwise it caps each wave, and only a floor that allows nothing down
// excludes instances here.
func (ph *Phase) walk(order []fleet.Instance, quotas map[string]int, f *floors, cumulative bool) []fleet.Instance {
	quotas = cloneMap(quotas)
	down := f.newDown() // stays empty unless downtime accumulates
	var selected []fleet.Instance
	if n := sum(quotas); n > 0 {
		selected = make([]fleet.Instance, 0, min(n, len(order)))
	}
	var floored []Exclusion
	for _, inst := range order {
		if quotas[inst.AZ] == 0 {
			continue
		}
		if reason := f.blocks(inst, down); reason != "" {
			floored = append(floored, Exclusion{Instance: inst, Reason: reason, Floor: true})
			continue
		}
		if cumulative {
			down.add(inst)
		}
		quotas[inst.AZ]--
		selected = append(selected, inst)
	}
	// The rules' exclusions are in ID order already; the floor's came in
	// shuffled order. Sorting those alone and merging gives what a stable
	// sort of them all gave: that sort moved 200-byte exclusions around
	// O(n log² n) times, a quarter of the time of planning 100,000 instances.
	ph.Excluded = mergeByID(sortedByID(ph.Excluded), sortedByID(floored))
	return selected
}

func byInstanceID(a, b Exclusion) int { return strings.Compare(a.Instance.ID, b.Instance.ID) }

// sortedByID returns ex sorted by instance ID, stably: itself when it is
// sorted already, else a sorted copy, ordered through an index so that
// only ints move.
func sortedByID(ex []Exclusion) []Exclusion {
	if slices.IsSortedFunc(ex, byInstanceID) {
		return ex
	}
	idx := make([]int, len(ex))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := byInstanceID(ex[a], ex[b]); c != 0 {
			return c
		}
		return a - b // equal IDs keep their order
	})
	out := make([]Exclusion, len(ex))
	for i, j := range idx {
		out[i] = ex[j]
	}
	return out
}

// mergeByID merges two lists sorted by instance ID into a new one, a's
// entries first among equal IDs: a stable sort of a followed by b.
func mergeByID(a, b []Exclusion) []Exclusion {
	if len(b) == 0 {
		return a
	}
	out := make([]Exclusion, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if b[0].Instance.ID < a[0].Instance.ID {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}

func shuffled(instances []fleet.Instance, rng *rand.Rand) []fleet.Instance {
	out := slices.Clone(instances)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func summarizeReasons(excluded []Exclusion) string {
	if len(excluded) == 0 {
		return "no instance matched the target"
	}
	counts := map[string]int{}
	for _, e := range excluded {
		counts[e.Reason]++
	}
	parts := make([]string, 0, len(counts))
	for _, reason := range sortedKeys(counts) {
		parts = append(parts, fmt.Sprintf("%d: %s", counts[reason], reason))
	}
	return strings.Join(parts, "; ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func cloneMap(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func sum(m map[string]int) int {
	total := 0
	for _, v := range m {
		total += v
	}
	return total
}

func byAZ(instances []fleet.Instance) map[string][]fleet.Instance {
	out := map[string][]fleet.Instance{}
	for _, inst := range instances {
		out[inst.AZ] = append(out[inst.AZ], inst)
	}
	return out
}
