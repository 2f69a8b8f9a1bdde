package sim

import (
	"strconv"
	"strings"
)

// Zone is an availability zone the fleet has instances in.
type Zone struct {
	Name string // us-east-1a
	ID   string // use1-az1
}

// Zones lists the fleet's availability zones, sorted by name.
func (s *Sim) Zones() []Zone {
	names := s.spec.zones()
	out := make([]Zone, len(names))
	for i, name := range names {
		out[i] = Zone{Name: name, ID: ZoneID(s.spec.Region, name)}
	}
	return out
}

// ZoneID is the zone id of az, such as use1-az1 for us-east-1a. Real
// accounts map zone names to ids in an order of their own; the simulator
// uses letter order (a is az1, b is az2, ...).
func ZoneID(region, az string) string {
	letter, ok := strings.CutPrefix(az, region)
	if !ok || len(letter) != 1 || letter[0] < 'a' || letter[0] > 'z' {
		return ""
	}
	return regionCode(region) + "-az" + strconv.Itoa(int(letter[0]-'a')+1)
}

// regionCode abbreviates a region as zone ids do: us-east-1 is use1,
// ap-southeast-2 apse2, us-gov-west-1 usgw1.
func regionCode(region string) string {
	parts := strings.Split(region, "-")
	var b strings.Builder
	for i, p := range parts {
		switch {
		case i == 0 || i == len(parts)-1:
			b.WriteString(p)
		case p == "northeast", p == "northwest", p == "southeast", p == "southwest":
			b.WriteString(p[:1] + p[5:6])
		default:
			b.WriteString(p[:1])
		}
	}
	return b.String()
}
