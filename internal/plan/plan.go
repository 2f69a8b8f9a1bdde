// Package plan turns a scenario and the instances a provider listed into a
// Plan: who is eligible, who is excluded and why, who is selected, and in
// which waves. It is pure: no I/O, no clock, and the same seed always gives
// the same plan, which is what makes dry runs and golden tests trustworthy.
package plan

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"gameday/internal/fleet"
	"gameday/internal/scenario"
)

// ErrEmptySelection means the scenario selects no instance at all.
var ErrEmptySelection = errors.New("plan: no eligible instance")

// Plan is the complete, deterministic answer to "what will this run touch?".
type Plan struct {
	Scenario string
	Seed     uint64
	// Matched is how many instances the provider returned for the target.
	Matched int
	// Eligible passed every rule, sorted by ID.
	Eligible []fleet.Instance
	// Excluded failed a rule; each carries the first rule it failed.
	Excluded []Exclusion
	// Selected is the blast radius, in the order actions will run.
	Selected []fleet.Instance
	// SelectionRule explains how len(Selected) was computed.
	SelectionRule string
	Waves         []Wave
}

// Exclusion is an instance the plan will not touch, and why.
type Exclusion struct {
	Instance fleet.Instance
	Reason   string
}

// Wave is one group of instances acted on together. Index is 1-based.
type Wave struct {
	Index     int
	Instances []fleet.Instance
}

// Build makes the plan. instances may come in any order.
func Build(s *scenario.Scenario, instances []fleet.Instance, seed uint64) (*Plan, error) {
	sorted := append([]fleet.Instance(nil), instances...)
	fleet.SortByID(sorted)
	p := &Plan{Scenario: s.Name, Seed: seed, Matched: len(sorted)}
	for _, inst := range sorted {
		if reason := exclusionReason(s, inst); reason != "" {
			p.Excluded = append(p.Excluded, Exclusion{Instance: inst, Reason: reason})
			continue
		}
		p.Eligible = append(p.Eligible, inst)
	}
	if len(p.Eligible) == 0 {
		return p, fmt.Errorf("%w: the target matched %d instances and none passed the rules (%s)",
			ErrEmptySelection, p.Matched, summarizeReasons(p.Excluded))
	}
	n, rule := SelectionSize(s.BlastRadius, len(p.Eligible))
	p.SelectionRule = rule
	shuffled := append([]fleet.Instance(nil), p.Eligible...)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	p.Selected = shuffled[:n]
	p.Waves = splitWaves(p.Selected, s.Waves.Count)
	return p, nil
}

// exclusionReason returns why inst may not be touched, or "" if it may. The
// checks fail closed: the provider already filtered on most of them, and
// they are repeated here so a provider bug cannot widen the blast radius.
func exclusionReason(s *scenario.Scenario, inst fleet.Instance) string {
	if inst.State != fleet.StateRunning {
		return fmt.Sprintf("state is %s, not running", inst.State)
	}
	if zones := s.Target.AvailabilityZones; len(zones) > 0 && !slices.Contains(zones, inst.AZ) {
		return fmt.Sprintf("availability zone %s is not in the target", inst.AZ)
	}
	for _, k := range sortedKeys(s.Target.Tags) {
		if v, ok := inst.Tags[k]; !ok || !fleet.MatchWildcard(s.Target.Tags[k], v) {
			return fmt.Sprintf("tag %s does not match %q", k, s.Target.Tags[k])
		}
	}
	for _, k := range sortedKeys(s.Guardrails.RequireTag) {
		if !inst.HasTag(k, s.Guardrails.RequireTag[k]) {
			return fmt.Sprintf("not opted in: tag %s=%s is missing", k, s.Guardrails.RequireTag[k])
		}
	}
	return ""
}

// SelectionSize applies a blast radius to the number of eligible instances.
//
// Rounding rule: a percentage rounds down, so a run never exceeds the share
// it was given, except that a non-zero percentage of a non-empty fleet always
// selects at least one instance. A count larger than the fleet selects the
// whole fleet. max_instances caps the result last.
func SelectionSize(b scenario.BlastRadius, eligible int) (int, string) {
	var n int
	var rule string
	switch {
	case b.Count != nil:
		n = min(*b.Count, eligible)
		rule = fmt.Sprintf("count %d of %d eligible", *b.Count, eligible)
	case b.Percent != nil:
		// The epsilon keeps 29.999999 (from 30% of 10 in floating point) at 3.
		n = int(math.Floor(b.Percent.Value*float64(eligible)/100 + 1e-9))
		rule = fmt.Sprintf("%s of %d eligible, rounded down", b.Percent, eligible)
		if n == 0 && eligible > 0 {
			n = 1
			rule += ", at least 1"
		}
	default:
		n = eligible
		rule = fmt.Sprintf("all %d eligible", eligible)
	}
	if b.MaxInstances != nil && n > *b.MaxInstances {
		n = *b.MaxInstances
		rule += fmt.Sprintf(", capped by max_instances %d", *b.MaxInstances)
	}
	return n, fmt.Sprintf("%s = %d", rule, n)
}

// splitWaves cuts selected into count waves as even as possible; earlier
// waves take the remainder. There are never empty waves.
func splitWaves(selected []fleet.Instance, count int) []Wave {
	count = max(1, min(count, len(selected)))
	waves := make([]Wave, 0, count)
	base, extra := len(selected)/count, len(selected)%count
	start := 0
	for i := range count {
		size := base
		if i < extra {
			size++
		}
		waves = append(waves, Wave{Index: i + 1, Instances: selected[start : start+size]})
		start += size
	}
	return waves
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
