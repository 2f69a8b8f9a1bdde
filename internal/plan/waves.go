package plan

import (
	"fmt"
	"math"
	"slices"

	"gameday/internal/fleet"
	"gameday/internal/scenario"
)

// cutWaves orders the selection and cuts it into waves.
//
//   - random: the shuffled selection, cut in order.
//   - by-az: one AZ after another (by name); a wave never spans two AZs, so
//     there may be more waves than waves.count asked for.
//   - interleave-az: round-robin over the AZs, so each wave spreads evenly.
//
// count cuts into that many waves whose sizes differ by at most one; size
// and percent (of the selection, rounded up) fix the wave size. When waves
// wait for health, a capacity floor caps each wave, and a wave that would
// break it is split.
func (ph *Phase) cutWaves(f *floors, cumulative bool) []Wave {
	if len(ph.Selected) == 0 {
		return nil
	}
	w := ph.Step.Waves
	var groups [][]fleet.Instance
	switch w.Order {
	case scenario.OrderByAZ:
		groups = cutByAZ(ph.Selected, w)
		if w.Count > 0 && len(groups) > w.Count {
			ph.Notes = append(ph.Notes, fmt.Sprintf("order by-az keeps every wave inside one AZ: %d waves instead of %d", len(groups), w.Count))
		}
	case scenario.OrderInterleaveAZ:
		groups = cut(interleave(ph.Selected), w)
	default:
		groups = cut(ph.Selected, w)
	}
	if f.any() && !cumulative {
		before := len(groups)
		groups = splitForFloors(groups, f)
		if len(groups) > before {
			ph.Notes = append(ph.Notes, fmt.Sprintf("capacity floors split waves: %d waves instead of %d", len(groups), before))
		}
	}
	if mif := w.MaxInFlight; mif > 0 && largest(groups) > mif {
		ph.Notes = append(ph.Notes, fmt.Sprintf("max_in_flight %d: at most %d instances of a wave are down at once", mif, mif))
	}
	ph.Selected = slices.Concat(groups...)
	waves := make([]Wave, len(groups))
	for i, g := range groups {
		waves[i] = Wave{Index: i + 1, Instances: g}
	}
	return waves
}

// waveSize is the size size or percent asks for (count is handled apart).
func waveSize(w scenario.Waves, n int) int {
	switch {
	case w.Size > 0:
		return w.Size
	case w.Percent != nil:
		return max(1, int(math.Ceil(w.Percent.Value*float64(n)/100-1e-9)))
	}
	return 0
}

func cut(list []fleet.Instance, w scenario.Waves) [][]fleet.Instance {
	if size := waveSize(w, len(list)); size > 0 {
		return chunks(list, size)
	}
	return evenSplit(list, max(1, w.Count))
}

// cutByAZ cuts each AZ's instances apart. With count, the target wave size
// is the selection divided by count, rounded up, and each AZ is split evenly
// into as many waves as that size needs.
func cutByAZ(selected []fleet.Instance, w scenario.Waves) [][]fleet.Instance {
	zones := byAZ(selected)
	size := waveSize(w, len(selected))
	var out [][]fleet.Instance
	for _, az := range sortedKeys(zones) {
		list := zones[az]
		if size > 0 {
			out = append(out, chunks(list, size)...)
			continue
		}
		target := ceilDiv(len(selected), max(1, w.Count))
		out = append(out, evenSplit(list, ceilDiv(len(list), target))...)
	}
	return out
}

// interleave orders instances round-robin over the AZs (by name), keeping
// each AZ's own order.
func interleave(selected []fleet.Instance) []fleet.Instance {
	zones := byAZ(selected)
	names := sortedKeys(zones)
	out := make([]fleet.Instance, 0, len(selected))
	for i := 0; len(out) < len(selected); i++ {
		for _, az := range names {
			if i < len(zones[az]) {
				out = append(out, zones[az][i])
			}
		}
	}
	return out
}

// evenSplit cuts list into count parts whose sizes differ by at most one,
// the larger first. There are never empty parts.
func evenSplit(list []fleet.Instance, count int) [][]fleet.Instance {
	count = max(1, min(count, len(list)))
	base, extra := len(list)/count, len(list)%count
	out := make([][]fleet.Instance, 0, count)
	start := 0
	for i := range count {
		size := base
		if i < extra {
			size++
		}
		out = append(out, list[start:start+size])
		start += size
	}
	return out
}

func chunks(list []fleet.Instance, size int) [][]fleet.Instance {
	var out [][]fleet.Instance
	for start := 0; start < len(list); start += size {
		out = append(out, list[start:min(start+size, len(list))])
	}
	return out
}

// splitForFloors splits every wave that would take more of an AZ or a tag
// group down at once than its floor allows, first fit, keeping order.
func splitForFloors(groups [][]fleet.Instance, f *floors) [][]fleet.Instance {
	var out [][]fleet.Instance
	for _, g := range groups {
		var parts [][]fleet.Instance
		var downs []*downCount
		for _, inst := range g {
			placed := false
			for i, d := range downs {
				if f.blocks(inst, d) == "" {
					parts[i] = append(parts[i], inst)
					d.add(inst)
					placed = true
					break
				}
			}
			if !placed {
				d := f.newDown()
				d.add(inst)
				parts = append(parts, []fleet.Instance{inst})
				downs = append(downs, d)
			}
		}
		out = append(out, parts...)
	}
	return out
}

func largest(groups [][]fleet.Instance) int {
	n := 0
	for _, g := range groups {
		n = max(n, len(g))
	}
	return n
}
