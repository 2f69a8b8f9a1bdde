package scenario

import (
	"fmt"
	"slices"
	"strings"

	"gameday/internal/strictyaml"
)

const chooseBlastRadius = "set exactly one of all: true, count, percent or per_az"

const blastRadiusExample = `e.g. "blast_radius: {percent: 30%}"`

// choices lists the ways of sizing the blast radius that b sets.
func (b BlastRadius) choices() []string {
	var given []string
	if b.All {
		given = append(given, "all: true")
	}
	if b.Count != nil {
		given = append(given, "count")
	}
	if b.Percent != nil {
		given = append(given, "percent")
	}
	if b.PerAZ != nil {
		given = append(given, "per_az")
	}
	return given
}

// blastRadius checks one blast_radius section. A section that sets no
// choice is reported by steps, which knows whether a phase inherits one.
func (v *validator) blastRadius(base string, b BlastRadius, sc scope) {
	if given := b.choices(); len(given) > 1 {
		v.atKey(base, fmt.Sprintf("%s; got %s", chooseBlastRadius, joinAnd(given)), "")
	}
	if b.Count != nil && *b.Count < 1 {
		v.atValue(base+".count", fmt.Sprintf("must be at least 1, got %d", *b.Count), "")
	}
	if b.MaxInstances != nil && *b.MaxInstances < 1 {
		v.atValue(base+".max_instances", fmt.Sprintf("must be at least 1, got %d", *b.MaxInstances), "")
	}
	if b.Count != nil && b.MaxInstances != nil && *b.Count > *b.MaxInstances && *b.MaxInstances >= 1 {
		v.atValue(base+".count", fmt.Sprintf("count %d is more than max_instances %d", *b.Count, *b.MaxInstances), "")
	}
	v.perAZ(base+".per_az", b.PerAZ, sc)
	v.floor(base+".min_healthy_remaining", b.MinHealthyRemaining)
}

// perAZ checks the zones of a per-zone blast radius against the target.
func (v *validator) perAZ(path string, perAZ map[string]Percent, sc scope) {
	if perAZ != nil && len(perAZ) == 0 {
		v.atValue(path, "give a percentage for at least one zone, or for \"*\"", `e.g. "per_az: {us-east-1a: 50%, \"*\": 10%}"`)
	}
	for _, zone := range sortedKeys(perAZ) {
		if zone == "*" {
			continue
		}
		if msg, hint := v.perAZZone(zone, sc); msg != "" {
			e := v.atKey(strictyaml.JoinKey(path, zone), msg, hint)
			v.judged(e, sc.targetPath)
		}
	}
}

func (v *validator) perAZZone(zone string, sc scope) (msg, hint string) {
	if msg, hint := zoneProblem(zone, sc.target.RegionList()); msg != "" {
		return msg, hint
	}
	zones := sc.target.AvailabilityZones
	if len(zones) == 0 || slices.Contains(zones, zone) {
		return "", ""
	}
	msg = fmt.Sprintf("zone %q is not in %s.availability_zones", zone, sc.targetPath)
	if guess, ok := strictyaml.Suggest(zone, zones); ok {
		return msg, fmt.Sprintf("did you mean %q?", guess)
	}
	return msg, fmt.Sprintf(`the target's zones are %s; "*" covers every zone not named`, strings.Join(zones, ", "))
}

func (v *validator) floor(base string, f *CapacityFloor) {
	if f == nil {
		return
	}
	if f.PerAZ == nil && f.PerTagGroup == nil {
		v.atKey(base, "set per_az, per_tag_group or both", `e.g. "min_healthy_remaining: {per_az: 50%}"`)
	}
	if f.PerAZ != nil {
		v.floorQuantity(base+".per_az", *f.PerAZ)
	}
	g := f.PerTagGroup
	if g == nil {
		return
	}
	group := base + ".per_tag_group"
	if g.Tag == "" {
		v.atKey(group+".tag", "required", "the tag whose values form the groups, e.g. app")
	}
	if g.Min == nil {
		v.atKey(group+".min", "required", `how many instances of each group stay up: a count like 2 or a percentage like "50%"`)
		return
	}
	v.floorQuantity(group+".min", *g.Min)
}

// floorQuantity checks how much capacity a floor keeps: at least one
// instance, and less than all of them.
func (v *validator) floorQuantity(path string, q Quantity) {
	switch {
	case q.Percent != nil && q.Percent.Value >= 100:
		v.atValue(path, "a floor of 100% leaves nothing to act on", "keep less than 100%, e.g. 50%")
	case q.Percent == nil && q.Count < 1:
		v.atValue(path, fmt.Sprintf("must be at least 1, got %d", q.Count), "")
	}
}
