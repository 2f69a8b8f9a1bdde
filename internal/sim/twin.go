package sim

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"gameday/internal/fleet"
)

// TwinOptions say how Twin turns a real fleet into a simulated one.
type TwinOptions struct {
	Region string
	// AccountID is the twin's account; "" means DefaultAccountID, so that a
	// file shared with others does not name the real account by accident.
	AccountID string
	// Anonymize replaces tag values and group names: every value of a key
	// becomes key-1, key-2, ... (the same value, the same replacement), and
	// groups are named group-01, group-02, ... Tag keys are kept.
	Anonymize bool
	// KeepValues lists the tag keys whose values Anonymize keeps: the opt-in
	// tag, so that a scenario's guardrail selects the same instances.
	KeepValues []string
	// Boot is every group's timings and failures.
	Boot BootSpec
}

// Twin builds a fleet with the shape of instances: the same region, zones,
// instance types, tags (but Name) and, per zone, the same number of
// instances of each kind. Instances alike in type, tags and whether they
// have a public IP form one group, named after their Name tags' common
// prefix (or their app tag). A group places its instances round-robin over
// its zones, so a kind spread unevenly over zones becomes several groups.
// Ids, addresses, names and states are not kept: the twin makes its own,
// and every instance starts running.
func Twin(instances []fleet.Instance, opts TwinOptions) (FleetSpec, error) {
	if len(instances) == 0 {
		return FleetSpec{}, fmt.Errorf("sim: twin: no instances")
	}
	kinds := kindsOf(instances)
	if opts.Anonymize {
		anonymizeTags(kinds, opts.KeepValues)
	}
	spec := FleetSpec{Region: opts.Region, AccountID: opts.AccountID}
	names := map[string]bool{}
	for _, k := range kinds {
		for _, p := range placements(k.perAZ) {
			name := uniqueName(k.baseName(), names)
			spec.Groups = append(spec.Groups, GroupSpec{
				Name: name, Count: p.count, AvailabilityZones: p.zones, InstanceType: k.instanceType,
				Tags: maps.Clone(k.tags), PublicIP: k.public, Boot: opts.Boot,
			})
		}
	}
	slices.SortStableFunc(spec.Groups, func(a, b GroupSpec) int { return strings.Compare(a.Name, b.Name) })
	if opts.Anonymize {
		width := max(2, len(strconv.Itoa(len(spec.Groups))))
		for i := range spec.Groups {
			spec.Groups[i].Name = fmt.Sprintf("group-%0*d", width, i+1)
		}
	}
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return FleetSpec{}, fmt.Errorf("sim: twin: %w", err)
	}
	return spec, nil
}

// kind is a set of instances the twin treats as interchangeable.
type kind struct {
	instanceType string
	public       bool
	tags         map[string]string // without Name
	names        []string          // their Name tags
	perAZ        map[string]int
}

// kindsOf sorts instances into kinds, in a stable order.
func kindsOf(instances []fleet.Instance) []*kind {
	byKey := map[string]*kind{}
	for _, in := range instances {
		tags := maps.Clone(in.Tags)
		name, named := tags["Name"]
		delete(tags, "Name")
		key := kindKey(in.InstanceType, in.PublicIP != "", tags)
		k, ok := byKey[key]
		if !ok {
			k = &kind{instanceType: in.InstanceType, public: in.PublicIP != "", tags: tags, perAZ: map[string]int{}}
			byKey[key] = k
		}
		if named {
			k.names = append(k.names, name)
		}
		k.perAZ[in.AZ]++
	}
	keys := slices.Sorted(maps.Keys(byKey))
	out := make([]*kind, len(keys))
	for i, key := range keys {
		out[i] = byKey[key]
	}
	return out
}

// kindKey is unambiguous whatever the tags contain: every part is quoted.
func kindKey(instanceType string, public bool, tags map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q %t", instanceType, public)
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		fmt.Fprintf(&b, " %q=%q", k, tags[k])
	}
	return b.String()
}

// baseName names a kind after what its instances' Name tags share
// ("web-01", "web-02" give "web"), else its app tag, else "group".
func (k *kind) baseName() string {
	prefix := strings.TrimRight(commonPrefix(k.names), "0123456789-_. ")
	if name := sanitizeGroupName(prefix); len(name) >= 2 {
		return name
	}
	for _, key := range []string{"app", "App", "application", "Application"} {
		if name := sanitizeGroupName(k.tags[key]); name != "" {
			return name
		}
	}
	return "group"
}

func commonPrefix(names []string) string {
	if len(names) == 0 {
		return ""
	}
	prefix := names[0]
	for _, n := range names[1:] {
		for !strings.HasPrefix(n, prefix) {
			prefix = prefix[:len(prefix)-1]
		}
	}
	return prefix
}

// maxGroupName keeps generated instance names (group-NN) readable.
const maxGroupName = 40

// sanitizeGroupName keeps letters, digits, '.', '_' and '-'; anything else
// becomes '-', as group names prefix Name tags and may hold no spaces.
func sanitizeGroupName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'):
			b.WriteRune(r)
		case !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	name := strings.Trim(b.String(), "-._")
	if len(name) > maxGroupName {
		name = strings.TrimRight(name[:maxGroupName], "-._")
	}
	return name
}

// uniqueName returns base, or base-2, base-3, ... if taken, and takes it.
func uniqueName(base string, taken map[string]bool) string {
	name := base
	for n := 2; taken[name]; n++ {
		name = base + "-" + strconv.Itoa(n)
	}
	taken[name] = true
	return name
}

// placement is one group's zones, in round-robin order, and its size.
type placement struct {
	zones []string
	count int
}

// placements splits per-zone counts into groups whose round-robin placement
// gives exactly those counts. Counts that differ by at most one are one
// group, its fuller zones first (round-robin gives the first zones the
// extra instances); otherwise an even layer over every zone is peeled off
// and the rest placed the same way: {a: 10, b: 2} is 4 over [a b], then 8
// in [a].
func placements(perAZ map[string]int) []placement {
	left := maps.Clone(perAZ)
	var out []placement
	for len(left) > 0 {
		zones := slices.Sorted(maps.Keys(left))
		lo, hi := left[zones[0]], left[zones[0]]
		total := 0
		for _, z := range zones {
			lo, hi, total = min(lo, left[z]), max(hi, left[z]), total+left[z]
		}
		if hi-lo <= 1 {
			slices.SortStableFunc(zones, func(a, b string) int { return cmp.Compare(left[b], left[a]) })
			return append(out, placement{zones: zones, count: total})
		}
		out = append(out, placement{zones: zones, count: lo * len(zones)})
		for _, z := range zones {
			if left[z] -= lo; left[z] == 0 {
				delete(left, z)
			}
		}
	}
	return out
}

// anonymizeTags replaces every tag value, but those of keep's keys, by
// key-N: N numbers the key's distinct values in sorted order, so equal
// values stay equal and nothing of a value is left. Empty values stay
// empty: they say nothing.
func anonymizeTags(kinds []*kind, keep []string) {
	values := map[string][]string{}
	for _, k := range kinds {
		for key, v := range k.tags {
			if !slices.Contains(keep, key) && v != "" && !slices.Contains(values[key], v) {
				values[key] = append(values[key], v)
			}
		}
	}
	for _, vs := range values {
		slices.Sort(vs)
	}
	for _, k := range kinds {
		for key, v := range k.tags {
			if i := slices.Index(values[key], v); i >= 0 {
				k.tags[key] = key + "-" + strconv.Itoa(i+1)
			}
		}
		k.names = nil
	}
}
