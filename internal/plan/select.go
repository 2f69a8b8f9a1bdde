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
	fleet.SortByID(sorted)
	ph := &Phase{Name: step.Name, Step: step, Matched: len(sorted)}
	// base: what passed the rules, including instances earlier phases took;
	// quantities and floors are shares of it.
	var base []fleet.Instance
	for _, inst := range sorted {
		if reason := exclusionReason(step.Target, requireTag, inst); reason != "" {
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

// exclusionReason returns why inst may not be touched, or "" if it may. The
// checks fail closed: the provider already filtered on most of them, and
// they are repeated here so a provider bug cannot widen the blast radius.
func exclusionReason(t scenario.Target, requireTag map[string]string, inst fleet.Instance) string {
	switch {
	case inst.State != fleet.StateRunning:
		return fmt.Sprintf("state is %s, not running", inst.State)
	case len(t.RegionList()) > 0 && inst.Region != "" && !slices.Contains(t.RegionList(), inst.Region):
		return fmt.Sprintf("region %s is not in the target", inst.Region)
	case len(t.AvailabilityZones) > 0 && !slices.Contains(t.AvailabilityZones, inst.AZ):
		return fmt.Sprintf("availability zone %s is not in the target", inst.AZ)
	case len(t.InstanceIDs) > 0 && !slices.Contains(t.InstanceIDs, inst.ID):
		return "not one of target.instance_ids"
	}
	for _, k := range sortedKeys(t.Tags) {
		if v, ok := inst.Tags[k]; !ok || !fleet.MatchWildcard(t.Tags[k], v) {
			return fmt.Sprintf("tag %s does not match %q", k, t.Tags[k])
		}
	}
	for _, k := range sortedKeys(t.ExcludeTags) {
		if v, ok := inst.Tags[k]; ok && fleet.MatchWildcard(t.ExcludeTags[k], v) {
			return fmt.Sprintf("excluded tag %s=%s", k, v)
		}
	}
	for _, k := range sortedKeys(requireTag) {
		if !inst.HasTag(k, requireTag[k]) {
			return fmt.Sprintf("not opted in: tag %s=%s is missing", k, requireTag[k])
		}
	}
	return ""
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
	for _, inst := range order {
		if quotas[inst.AZ] == 0 {
			continue
		}
		if reason := f.blocks(inst, down); reason != "" {
			ph.Excluded = append(ph.Excluded, Exclusion{Instance: inst, Reason: reason, Floor: true})
			continue
		}
		if cumulative {
			down.add(inst)
		}
		quotas[inst.AZ]--
		selected = append(selected, inst)
	}
	sort.SliceStable(ph.Excluded, func(a, b int) bool { return ph.Excluded[a].Instance.ID < ph.Excluded[b].Instance.ID })
	return selected
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
