package sim

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Defaults applied by FleetSpec.WithDefaults to zero-valued fields.
const (
	DefaultRegion     = "us-east-1"
	DefaultAccountID  = "123456789012"
	DefaultHealthPort = 8080
	DefaultHealthPath = "/healthz"
)

// maxInstances is how many instances fit in one 127.B.0.0/16 block with
// 127.B.C.D, C and D in [1,254] (127.B.255.254 is the block's sentinel).
const maxInstances = 254 * 254

// FleetSpec describes a simulated fleet. It is meant to be loaded from a
// fleet file; durations are written like "1.5s" (yaml.v3 decodes
// time.Duration from that form).
type FleetSpec struct {
	Region     string      `yaml:"region"`
	AccountID  string      `yaml:"account_id"`
	HealthPort int         `yaml:"health_port"`
	HealthPath string      `yaml:"health_path"`
	Groups     []GroupSpec `yaml:"groups"`
}

// GroupSpec is a set of identical instances, as one launch would create.
type GroupSpec struct {
	// Name names the group and prefixes every instance's Name tag
	// (group "web" gives web-01, web-02, ...).
	Name  string `yaml:"name"`
	Count int    `yaml:"count"`
	// AvailabilityZones receive the group's instances round-robin, in order.
	AvailabilityZones []string `yaml:"availability_zones"`
	InstanceType      string   `yaml:"instance_type"`
	// Tags are copied onto every instance. Name is generated and may not be
	// set here.
	Tags map[string]string `yaml:"tags"`
	Boot BootSpec          `yaml:"boot"`
}

// BootSpec says how long a reboot takes, phase by phase.
type BootSpec struct {
	// Down is how long the host is unreachable after a reboot: its health
	// listener is closed, so connections are refused.
	Down Range `yaml:"down"`
	// Starting follows Down: the listener is back but answers 503.
	Starting Range `yaml:"starting"`
}

// Range is a closed interval of durations; a draw is uniform over it.
type Range struct {
	Min time.Duration `yaml:"min"`
	Max time.Duration `yaml:"max"`
}

// DefaultInstanceType is used for groups that do not name one.
const DefaultInstanceType = "t3.micro"

// WithDefaults returns a copy of spec with every zero field set to its
// default. Groups are copied so the caller's spec is never modified.
func (spec FleetSpec) WithDefaults() FleetSpec {
	if spec.Region == "" {
		spec.Region = DefaultRegion
	}
	if spec.AccountID == "" {
		spec.AccountID = DefaultAccountID
	}
	if spec.HealthPort == 0 {
		spec.HealthPort = DefaultHealthPort
	}
	if spec.HealthPath == "" {
		spec.HealthPath = DefaultHealthPath
	}
	groups := make([]GroupSpec, len(spec.Groups))
	for i, g := range spec.Groups {
		if g.InstanceType == "" {
			g.InstanceType = DefaultInstanceType
		}
		if len(g.AvailabilityZones) == 0 {
			g.AvailabilityZones = []string{spec.Region + "a"}
		}
		groups[i] = g
	}
	spec.Groups = groups
	return spec
}

// Validate reports every problem of a spec (with defaults applied) at once.
func (spec FleetSpec) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !isDigits(spec.AccountID, 12) {
		add("account_id %q: want 12 digits", spec.AccountID)
	}
	if spec.HealthPort < 1 || spec.HealthPort > 65535 {
		add("health_port %d: want 1..65535", spec.HealthPort)
	}
	if !strings.HasPrefix(spec.HealthPath, "/") {
		add("health_path %q: must start with /", spec.HealthPath)
	}
	if len(spec.Groups) == 0 {
		add("groups: at least one group is required")
	}
	seen := map[string]bool{}
	total := 0
	for i, g := range spec.Groups {
		where := fmt.Sprintf("groups[%d] (%s)", i, g.Name)
		if seen[g.Name] {
			add("%s: duplicate group name", where)
		}
		seen[g.Name] = true
		total += max(g.Count, 0)
		errs = append(errs, g.validate(where, spec.Region)...)
	}
	if total > maxInstances {
		add("fleet has %d instances: at most %d fit one loopback block", total, maxInstances)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sim: invalid fleet: %w", err)
	}
	return nil
}

func (g GroupSpec) validate(where, region string) []error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(where+": "+format, args...))
	}
	if g.Name == "" || strings.ContainsAny(g.Name, " \t\n") {
		add("name %q: want a non-empty name without spaces", g.Name)
	}
	if g.Count < 1 {
		add("count %d: want at least 1", g.Count)
	}
	for _, az := range g.AvailabilityZones {
		if !strings.HasPrefix(az, region) || len(az) <= len(region) {
			add("availability zone %q is not in region %s", az, region)
		}
	}
	if _, ok := g.Tags["Name"]; ok {
		add("tag Name is generated from the group name; remove it")
	}
	for k := range g.Tags {
		if k == "" {
			add("empty tag key")
		}
	}
	errs = append(errs, g.Boot.Down.validate(where+": boot.down")...)
	errs = append(errs, g.Boot.Starting.validate(where+": boot.starting")...)
	return errs
}

func (r Range) validate(where string) []error {
	if r.Min < 0 || r.Max < r.Min {
		return []error{fmt.Errorf("%s: want 0 <= min <= max, got min %v max %v", where, r.Min, r.Max)}
	}
	return nil
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
