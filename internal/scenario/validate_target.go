package scenario

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gameday/internal/strictyaml"
)

// scope is the target a section of the scenario acts on: the top-level
// target, or a phase's own. Blast radius checks name its zones.
type scope struct {
	targetPath string
	target     Target
}

var (
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	// zonePattern matches zone names: a region and a letter (us-east-1a), or
	// a Local Zone (us-west-2-lax-1a). The first group is the region.
	zonePattern       = regexp.MustCompile(`^([a-z]{2}(?:-[a-z]+)+-\d+)(?:-[a-z]+-\d+)?[a-z]$`)
	zoneIDPattern     = regexp.MustCompile(`^[a-z]{3,4}\d+-az\d+$`)
	instanceIDPattern = regexp.MustCompile(`^i-([0-9a-f]{8}|[0-9a-f]{17})$`)
)

// instanceStates are the EC2 instance states a target may select.
var instanceStates = []string{"pending", "running", "shutting-down", "terminated", "stopping", "stopped"}

func (v *validator) target(sc scope) {
	base, t := sc.targetPath, sc.target
	v.regions(base, t)
	notEmpty(v, base+".availability_zones", t.AvailabilityZones, "zone")
	v.duplicates(base+".availability_zones", t.AvailabilityZones, "zone")
	for i, zone := range t.AvailabilityZones {
		path := strictyaml.JoinIndex(base+".availability_zones", i)
		if msg, hint := zoneProblem(zone, t.RegionList()); msg != "" {
			v.atValue(path, msg, hint)
		}
	}
	v.tagKeys(base+".tags", t.Tags)
	v.tagKeys(base+".exclude_tags", t.ExcludeTags)
	v.instanceIDs(base+".instance_ids", t.InstanceIDs)
	v.states(base+".states", t.States)
	v.filters(base+".filters", t.Filters)
}

func (v *validator) regions(base string, t Target) {
	if t.Region != "" && t.Regions != nil {
		v.atKey(base+".regions", "set region or regions, not both", "use regions alone to name several")
	}
	if t.Region != "" && !regionPattern.MatchString(t.Region) {
		v.atValue(base+".region", regionMessage(t.Region), "")
	}
	v.regionList(base+".regions", t.Regions)
}

// regionList checks a written list of region names.
func (v *validator) regionList(path string, regions []string) {
	notEmpty(v, path, regions, "region")
	v.duplicates(path, regions, "region")
	for i, r := range regions {
		if !regionPattern.MatchString(r) {
			v.atValue(strictyaml.JoinIndex(path, i), regionMessage(r), "")
		}
	}
}

func regionMessage(region string) string {
	return fmt.Sprintf(`expected an AWS region like "us-east-1", got %q`, region)
}

// zoneProblem says what is wrong with a zone name, given the regions the
// target names ("" when nothing is).
func zoneProblem(zone string, regions []string) (msg, hint string) {
	m := zonePattern.FindStringSubmatch(zone)
	switch {
	case m == nil && zoneIDPattern.MatchString(zone):
		return fmt.Sprintf(`expected an availability zone name like "us-east-1a", got the zone ID %q`, zone), ""
	case m == nil:
		return fmt.Sprintf(`expected an availability zone like "us-east-1a", got %q`, zone), ""
	}
	var known []string
	for _, r := range regions {
		if regionPattern.MatchString(r) {
			known = append(known, r)
		}
	}
	if len(known) == 0 || slices.Contains(known, m[1]) {
		return "", ""
	}
	if len(known) == 1 {
		return fmt.Sprintf("zone %q is not in region %q", zone, known[0]),
			fmt.Sprintf("did you mean %q?", known[0]+strings.TrimPrefix(zone, m[1]))
	}
	return fmt.Sprintf("zone %q is not in any of the target's regions (%s)", zone, strings.Join(known, ", ")), ""
}

func (v *validator) tagKeys(path string, tags map[string]string) {
	if _, ok := tags[""]; ok {
		v.atKey(strictyaml.JoinKey(path, ""), "tag key cannot be empty", "")
	}
}

func (v *validator) instanceIDs(path string, ids []string) {
	notEmpty(v, path, ids, "instance ID")
	v.duplicates(path, ids, "instance")
	for i, id := range ids {
		if !instanceIDPattern.MatchString(id) {
			v.atValue(strictyaml.JoinIndex(path, i),
				fmt.Sprintf(`expected an instance ID like "i-0123456789abcdef0", got %q`, id),
				"i- and 8 or 17 lowercase hexadecimal digits")
		}
	}
}

func (v *validator) states(path string, states []string) {
	notEmpty(v, path, states, "state")
	v.duplicates(path, states, "state")
	for i, st := range states {
		v.oneOf(strictyaml.JoinIndex(path, i), "instance state", st, instanceStates)
	}
}
