package plan

import (
	"fmt"
	"math"

	"gameday/internal/fleet"
	"gameday/internal/scenario"
)

// floors turns min_healthy_remaining into caps: how many instances of each
// AZ, and of each tag group, may be down at the same moment.
type floors struct {
	azCap    map[string]int
	azWhy    map[string]string
	tag      string
	groupCap map[string]int
	groupWhy map[string]string
}

// newFloors computes the caps over base, the instances that passed the
// rules (those an earlier phase took included: they are capacity too).
// Instances without the floor's tag belong to no group.
func newFloors(f *scenario.CapacityFloor, base []fleet.Instance) *floors {
	fl := &floors{}
	if f == nil {
		return fl
	}
	if f.PerAZ != nil {
		fl.azCap, fl.azWhy = caps(base, func(i fleet.Instance) (string, bool) { return i.AZ, true }, *f.PerAZ,
			"min_healthy_remaining.per_az")
	}
	if g := f.PerTagGroup; g != nil && g.Min != nil {
		fl.tag = g.Tag
		fl.groupCap, fl.groupWhy = caps(base, func(i fleet.Instance) (string, bool) {
			v, ok := i.Tags[g.Tag]
			return g.Tag + "=" + v, ok
		}, *g.Min, "min_healthy_remaining.per_tag_group")
	}
	return fl
}

func caps(base []fleet.Instance, key func(fleet.Instance) (string, bool), q scenario.Quantity, setting string) (map[string]int, map[string]string) {
	total := map[string]int{}
	for _, inst := range base {
		if k, ok := key(inst); ok {
			total[k]++
		}
	}
	capOf, why := map[string]int{}, map[string]string{}
	for k, n := range total {
		keep := KeepCount(q, n)
		capOf[k] = n - keep
		why[k] = fmt.Sprintf("capacity floor: %s must keep %d of %d running (%s %s)", k, keep, n, setting, quantityText(q))
	}
	return capOf, why
}

// KeepCount is how many of n instances a floor keeps running: a count as
// written (at most n), a percentage rounded up, so the floor is never less
// than asked.
func KeepCount(q scenario.Quantity, n int) int {
	if q.Percent != nil {
		return min(n, int(math.Ceil(q.Percent.Value*float64(n)/100-1e-9)))
	}
	return min(n, q.Count)
}

// downCount counts instances down at once, per AZ and per tag group.
type downCount struct {
	f     *floors
	az    map[string]int
	group map[string]int
}

func (f *floors) newDown() *downCount {
	return &downCount{f: f, az: map[string]int{}, group: map[string]int{}}
}

func (d *downCount) add(inst fleet.Instance) {
	d.az[inst.AZ]++
	if k, ok := d.f.groupOf(inst); ok {
		d.group[k]++
	}
}

func (f *floors) groupOf(inst fleet.Instance) (string, bool) {
	if f.groupCap == nil {
		return "", false
	}
	v, ok := inst.Tags[f.tag]
	return f.tag + "=" + v, ok
}

// blocks returns why taking inst down on top of down would break a floor,
// or "".
func (f *floors) blocks(inst fleet.Instance, down *downCount) string {
	if c, ok := f.azCap[inst.AZ]; ok && down.az[inst.AZ]+1 > c {
		return f.azWhy[inst.AZ]
	}
	if k, ok := f.groupOf(inst); ok {
		if c, ok := f.groupCap[k]; ok && down.group[k]+1 > c {
			return f.groupWhy[k]
		}
	}
	return ""
}

// any reports whether a floor is set at all.
func (f *floors) any() bool { return f.azCap != nil || f.groupCap != nil }

func quantityText(q scenario.Quantity) string {
	if q.Percent != nil {
		return q.Percent.String()
	}
	return fmt.Sprint(q.Count)
}
