package fis

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/scenario"
)

// selector is how a tag target finds its instances.
type selector struct {
	tags    Object[string]
	azs     []string // empty: any AZ
	filters []Filter
}

func (s selector) describe() string {
	var parts []string
	for _, f := range s.tags {
		parts = append(parts, f.Key+"="+f.Value)
	}
	out := strings.Join(parts, ", ")
	if len(s.azs) > 0 {
		out += " in " + strings.Join(s.azs, ", ")
	}
	return out
}

func (b *builder) selector(ph *plan.Phase, w plan.Wave) selector {
	t, br := ph.Step.Target, ph.Step.BlastRadius
	tags := map[string]string{}
	for k, v := range t.Tags {
		tags[k] = unescape(v)
	}
	for k, v := range b.scn.Guardrails.RequireTag {
		tags[k] = v
	}
	var sel selector
	for _, k := range sortedKeys(tags) {
		sel.tags = append(sel.tags, Field[string]{k, tags[k]})
	}
	switch {
	case ph.Step.Waves.Order == scenario.OrderByAZ:
		sel.azs = azsOf(w.Instances)
	case len(t.AvailabilityZones) > 0:
		sel.azs = slices.Sorted(slices.Values(t.AvailabilityZones))
	case br.PerAZ != nil:
		sel.azs = azsOf(ph.Selected)
	}
	if len(sel.azs) > 0 {
		sel.filters = append(sel.filters, Filter{Path: FilterAZ, Values: sel.azs})
	}
	sel.filters = append(sel.filters, Filter{Path: FilterState, Values: []string{fleet.StateRunning}})
	for _, name := range sortedKeys(t.Filters) {
		if path, ok := filterPaths[name]; ok {
			sel.filters = append(sel.filters, Filter{Path: path, Values: slices.Clone(t.Filters[name])})
		}
	}
	return sel
}

// filterPaths maps DescribeInstances filter names to the attribute paths
// of the DescribeInstances output that FIS filters use.
var filterPaths = map[string]string{
	"availability-zone":   FilterAZ,
	"image-id":            "ImageId",
	"instance-id":         "InstanceId",
	"instance-state-name": FilterState,
	"instance-type":       "InstanceType",
	"subnet-id":           "SubnetId",
	"vpc-id":              "VpcId",
}

// selectionMode picks ALL, PERCENT(n) or COUNT(n) for a wave, and counts
// the instances of the planned fleet the target matches.
//
//   - ALL when the wave is the phase's only wave, the scenario asks for
//     everything in scope (all, 100%, or 100% of every AZ in the filter)
//     with no max_instances or capacity floor, and the plan took every
//     instance the target matches.
//   - PERCENT(p) when the only wave is p% (a whole number) of what the
//     target matches, rounded down as both FIS and gameday round, with no
//     max_instances, per_az or floor.
//   - COUNT(n) with the plan's wave size otherwise: the count reviewed in
//     `gameday plan`, whatever the fleet looks like later.
func selectionMode(ph *plan.Phase, w plan.Wave, sel selector) (string, int) {
	candidates := 0
	for _, inst := range listing(ph) {
		if sel.matches(inst) {
			candidates++
		}
	}
	n := len(w.Instances)
	br := ph.Step.BlastRadius
	plain := len(ph.Waves) == 1 && br.MaxInstances == nil && br.MinHealthyRemaining == nil
	if plain && n == candidates && takesAll(br, sel.azs) {
		return SelectAll, candidates
	}
	if plain && br.Percent != nil && br.PerAZ == nil {
		p := br.Percent.Value
		if p == math.Trunc(p) && p >= 1 && p < 100 && int(math.Floor(p*float64(candidates)/100+1e-9)) == n {
			return fmt.Sprintf("PERCENT(%d)", int(p)), candidates
		}
	}
	return fmt.Sprintf("COUNT(%d)", n), candidates
}

func takesAll(br scenario.BlastRadius, azs []string) bool {
	switch {
	case br.All:
		return true
	case br.Percent != nil:
		return br.Percent.Value >= 100
	case br.PerAZ != nil && len(azs) > 0:
		for _, az := range azs {
			share, ok := br.PerAZ[az]
			if !ok {
				share, ok = br.PerAZ["*"]
			}
			if !ok || share.Value < 100 {
				return false
			}
		}
		return true
	}
	return false
}

// listing is every instance the provider returned for the phase.
func listing(ph *plan.Phase) []fleet.Instance {
	out := slices.Clone(ph.Eligible)
	for _, e := range ph.Excluded {
		out = append(out, e.Instance)
	}
	return out
}

// matches says whether FIS would resolve inst for this selector: running,
// in one of the AZs, with every tag exactly.
func (s selector) matches(inst fleet.Instance) bool {
	if inst.State != fleet.StateRunning {
		return false
	}
	if len(s.azs) > 0 && !slices.Contains(s.azs, inst.AZ) {
		return false
	}
	for _, f := range s.tags {
		if !inst.HasTag(f.Key, f.Value) {
			return false
		}
	}
	return true
}
