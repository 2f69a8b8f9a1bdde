package sim

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"gameday/internal/strictyaml"
)

// DefaultBoot is what a fleet file gets for every boot setting it leaves
// out: timings as EC2 is commonly observed to take (docs/fleets.md), no
// failures, refused connections while down. Failure probabilities default
// to 0 so that a fleet misbehaves only where its file says so.
func DefaultBoot() BootSpec {
	return BootSpec{
		Down:            Range{45 * time.Second, 2 * time.Minute},
		Starting:        Range{5 * time.Second, 30 * time.Second},
		Pending:         Range{10 * time.Second, 40 * time.Second},
		Stopping:        Range{15 * time.Second, time.Minute},
		Unreachable:     UnreachableRefuse,
		HardRebootDelay: Range{4 * time.Minute, 5 * time.Minute},
	}
}

// LoadFleet reads and parses the fleet file at path. Problems with its
// content are returned as strictyaml.Errors; a file that cannot be read
// gives the underlying error, wrapped, so errors.Is(err, fs.ErrNotExist)
// works.
func LoadFleet(path string) (FleetSpec, error) {
	// An oversized file is refused by its size, without reading it.
	data, err := strictyaml.ReadFile(path)
	var errs strictyaml.Errors
	if errors.As(err, &errs) {
		return FleetSpec{}, errs
	}
	if err != nil {
		return FleetSpec{}, fmt.Errorf("sim: load fleet: %w", err)
	}
	return ParseFleet(path, data)
}

// ParseFleet decodes a fleet file strictly, fills the defaults of settings
// it leaves out (an explicit zero is kept, and then rejected where zero is
// invalid) and validates it. source names the input in messages. On any
// problem it returns strictyaml.Errors holding every problem found, each as
// file:line:col: path: message, sorted by position.
func ParseFleet(source string, data []byte) (FleetSpec, error) {
	var spec FleetSpec
	pos, err := strictyaml.Decode(source, data, &spec)
	var decoding strictyaml.Errors
	if err != nil && !errors.As(err, &decoding) {
		return FleetSpec{}, err
	}
	applyFileDefaults(&spec, pos.Has)
	missing := required(spec, pos.Has)
	errs := slices.Clone(decoding)
	for _, p := range append(missing, spec.problems()...) {
		if !decoding.Near(p.path) && !reported(missing, p) {
			errs = append(errs, place(pos, p))
		}
	}
	if len(errs) > 0 {
		errs.Sort()
		return FleetSpec{}, errs
	}
	return spec.WithDefaults(), nil
}

// applyFileDefaults fills what the file does not write. written reports
// whether a path appears in the file.
func applyFileDefaults(spec *FleetSpec, written func(string) bool) {
	unset := func(path string, zero bool) bool { return zero && !written(path) }
	if unset("region", spec.Region == "") {
		spec.Region = DefaultRegion
	}
	if unset("account_id", spec.AccountID == "") {
		spec.AccountID = DefaultAccountID
	}
	if unset("health_port", spec.HealthPort == 0) {
		spec.HealthPort = DefaultHealthPort
	}
	if unset("health_path", spec.HealthPath == "") {
		spec.HealthPath = DefaultHealthPath
	}
	for i := range spec.Groups {
		g, base := &spec.Groups[i], strictyaml.JoinIndex("groups", i)
		if unset(base+".instance_type", g.InstanceType == "") {
			g.InstanceType = DefaultInstanceType
		}
		if unset(base+".availability_zones", len(g.AvailabilityZones) == 0) {
			g.AvailabilityZones = []string{spec.Region + "a"}
		}
		bootFileDefaults(&g.Boot, base+".boot", written)
	}
	for i := range spec.Events {
		e := &spec.Events[i]
		if unset(strictyaml.JoinIndex("events", i)+".description", e.Description == "") {
			e.Description = defaultEventDescription(e.Code)
		}
	}
	serviceFileDefaults(spec, written)
}

func bootFileDefaults(b *BootSpec, base string, written func(string) bool) {
	def := DefaultBoot()
	for _, r := range []struct {
		name     string
		have     *Range
		fallback Range
	}{
		{"down", &b.Down, def.Down}, {"starting", &b.Starting, def.Starting},
		{"pending", &b.Pending, def.Pending}, {"stopping", &b.Stopping, def.Stopping},
		{"hard_reboot_delay", &b.HardRebootDelay, def.HardRebootDelay},
	} {
		if !written(base + "." + r.name) {
			*r.have = r.fallback
		}
	}
	if !written(base + ".unreachable") {
		b.Unreachable = def.Unreachable
	}
}

// required reports the settings a fleet file must write: in a spec built in
// Go their zero values have a meaning, in a file their absence is a slip.
func required(spec FleetSpec, written func(string) bool) []problem {
	var out []problem
	need := func(path, field string) {
		if !written(path + "." + field) {
			out = append(out, problem{path: path + "." + field, msg: field + " is required", atKey: true})
		}
	}
	for i := range spec.Groups {
		need(strictyaml.JoinIndex("groups", i), "name")
		need(strictyaml.JoinIndex("groups", i), "count")
	}
	for i := range spec.Events {
		need(strictyaml.JoinIndex("events", i), "code")
		need(strictyaml.JoinIndex("events", i), "not_before")
	}
	for i := range spec.Services {
		for _, field := range requiredServiceFields() {
			need(strictyaml.JoinIndex("services", i), field)
		}
	}
	return out
}

// reported reports whether p repeats, at the same path, a missing required
// setting: "count is required" says it all, "expected at least 1" would not.
func reported(missing []problem, p problem) bool {
	for _, m := range missing {
		if m.path == p.path && m != p {
			return true
		}
	}
	return false
}

// place positions a problem in the file: at its value, or at its key (or
// the nearest parent written) for problems of presence.
func place(pos strictyaml.Positions, p problem) *strictyaml.Error {
	if p.atKey {
		return pos.NewError(p.path, p.msg, p.hint)
	}
	return pos.NewValueError(p.path, p.msg, p.hint)
}
