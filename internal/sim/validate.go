package sim

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gameday/internal/strictyaml"
)

// Fleet size limits. One 127.B.0.0/16 block holds 254*254 instances
// (127.B.C.D with C and D in [1,254]; 127.B.255.254 is the block's
// sentinel). A fleet with listeners lives in one block; an API-only fleet
// spans as many blocks as it needs, up to MaxInstances.
const (
	perBlock = 254 * 254
	// MaxListeningInstances is the largest fleet Start can give listeners.
	MaxListeningInstances = perBlock
	// MaxInstances is the largest fleet New accepts (API-only).
	MaxInstances = 1_000_000
)

// problem is one thing wrong with a spec, at a field path as a fleet file
// spells it (groups[0].boot.down).
type problem struct {
	path, msg, hint string
	// atKey places a fleet-file error at the key (a field that should not
	// be there, or is missing) rather than at the value.
	atKey bool
}

func (p problem) String() string {
	s := p.path + ": " + p.msg
	if p.hint != "" {
		s += " (hint: " + p.hint + ")"
	}
	return s
}

// checker collects problems.
type checker struct{ problems []problem }

func (c *checker) value(path, msg, hint string) {
	c.problems = append(c.problems, problem{path: path, msg: msg, hint: hint})
}

func (c *checker) key(path, msg, hint string) {
	c.problems = append(c.problems, problem{path: path, msg: msg, hint: hint, atKey: true})
}

// Validate reports every problem of a spec (with defaults applied) at once.
// LoadFleet and ParseFleet report the same problems with file positions.
func (spec FleetSpec) Validate() error {
	var errs []error
	for _, p := range spec.problems() {
		errs = append(errs, errors.New(p.String()))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sim: invalid fleet: %w", err)
	}
	return nil
}

var regionShape = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

func (spec FleetSpec) problems() []problem {
	c := &checker{}
	if !regionShape.MatchString(spec.Region) {
		c.value("region", fmt.Sprintf("expected a region name like %q, got %q", DefaultRegion, spec.Region), "")
	}
	if !isDigits(spec.AccountID, 12) {
		c.value("account_id", fmt.Sprintf("expected 12 digits, got %q", spec.AccountID), "quote it if it starts with 0")
	}
	if spec.HealthPort < 1 || spec.HealthPort > 65535 {
		c.value("health_port", fmt.Sprintf("expected a port in 1..65535, got %d", spec.HealthPort), "")
	}
	if !strings.HasPrefix(spec.HealthPath, "/") {
		c.value("health_path", fmt.Sprintf("expected a path starting with /, got %q", spec.HealthPath), "")
	}
	c.groups(spec)
	if total := spec.instanceCount(); total > MaxInstances {
		c.key("groups", fmt.Sprintf("the fleet has %d instances; the simulator holds at most %d", total, MaxInstances), "")
	}
	// Which instances an event selects says nothing while the groups that
	// make them are wrong.
	groupsOK := len(c.problems) == 0
	for i, e := range spec.Events {
		c.event(strictyaml.JoinIndex("events", i), e, spec, groupsOK)
	}
	c.services(spec, groupsOK)
	c.api(spec.API)
	return c.problems
}

func (c *checker) groups(spec FleetSpec) {
	if len(spec.Groups) == 0 {
		c.key("groups", "at least one group is required", "")
	}
	seen := map[string]bool{}
	for i, g := range spec.Groups {
		path := strictyaml.JoinIndex("groups", i)
		if seen[g.Name] && g.Name != "" {
			c.value(path+".name", fmt.Sprintf("duplicate group name %q", g.Name), "")
		}
		seen[g.Name] = true
		c.group(path, g, spec.Region)
	}
}

func (c *checker) group(path string, g GroupSpec, region string) {
	if g.Name == "" || strings.ContainsAny(g.Name, " \t\n") {
		c.value(path+".name", fmt.Sprintf("expected a non-empty name without spaces, got %q", g.Name), "")
	}
	if g.Count < 1 {
		c.value(path+".count", fmt.Sprintf("expected at least 1 instance, got %d", g.Count), "")
	}
	if len(g.AvailabilityZones) == 0 {
		c.value(path+".availability_zones", "at least one availability zone is required", "")
	}
	listed := map[string]bool{}
	for i, az := range g.AvailabilityZones {
		azPath := strictyaml.JoinIndex(path+".availability_zones", i)
		if !strings.HasPrefix(az, region) || len(az) <= len(region) {
			c.value(azPath, fmt.Sprintf("availability zone %q is not in region %s", az, region), "")
		}
		if listed[az] {
			c.value(azPath, fmt.Sprintf("availability zone %q is listed twice", az), "")
		}
		listed[az] = true
	}
	if _, ok := g.Tags["Name"]; ok {
		c.key(strictyaml.JoinKey(path+".tags", "Name"), "tag Name is generated from the group name; remove it", "")
	}
	if _, ok := g.Tags[""]; ok {
		c.key(strictyaml.JoinKey(path+".tags", ""), "empty tag key", "")
	}
	c.boot(path+".boot", g.Boot)
}

func (c *checker) boot(path string, b BootSpec) {
	for _, r := range []struct {
		name string
		r    Range
	}{{"down", b.Down}, {"starting", b.Starting}, {"pending", b.Pending}, {"stopping", b.Stopping}, {"hard_reboot_delay", b.HardRebootDelay}} {
		c.rangeOK(path+"."+r.name, r.r)
	}
	switch b.Unreachable {
	case "", UnreachableRefuse, UnreachableHang:
	default:
		c.value(path+".unreachable", fmt.Sprintf(`expected "refuse" or "hang", got %q`, b.Unreachable), "")
	}
	c.probability(path+".broken_probability", b.BrokenProbability)
	c.probability(path+".hard_reboot_probability", b.HardRebootProbability)
}

func (c *checker) rangeOK(path string, r Range) {
	if r.Min < 0 || r.Max < r.Min {
		c.value(path, fmt.Sprintf("expected 0 <= min <= max, got min %v max %v", r.Min, r.Max), "")
	}
}

func (c *checker) probability(path string, p float64) {
	if p < 0 || p > 1 {
		c.value(path, fmt.Sprintf("expected a probability between 0 and 1, got %v", p), "write 0.02 for 2%")
	}
}

func (c *checker) api(a APISpec) {
	denied := map[string]bool{}
	for i, action := range a.Deny {
		path := strictyaml.JoinIndex("api.deny", i)
		switch {
		case !isDeniable(action):
			hint := "actions: " + strings.Join(DeniableActions(), ", ")
			if guess, ok := strictyaml.Suggest(action, DeniableActions()); ok {
				hint = fmt.Sprintf("did you mean %q?", guess)
			}
			c.value(path, fmt.Sprintf("unknown EC2 action %q", action), hint)
		case denied[action]:
			c.value(path, fmt.Sprintf("%s is listed twice", action), "")
		}
		denied[action] = true
	}
	for i, fail := range a.Fail {
		path := strictyaml.JoinIndex("api.fail", i)
		if !isDeniable(fail.Action) {
			c.value(path+".action", fmt.Sprintf("unknown EC2 action %q", fail.Action), "actions: "+strings.Join(DeniableActions(), ", "))
		}
		if fail.Call < 1 {
			c.value(path+".call", fmt.Sprintf("expected the number of a call, from 1, got %d", fail.Call), "")
		}
		if !slices.Contains(FailureCodes(), fail.Code) {
			c.value(path+".code", fmt.Sprintf("unknown error code %q", fail.Code), "codes: "+strings.Join(FailureCodes(), ", "))
		}
	}
	f := a.Faults
	c.probability("api.faults.server_error_rate", f.ServerErrorRate)
	c.probability("api.faults.throttle_rate", f.ThrottleRate)
	c.probability("api.faults.reset_rate", f.ResetRate)
	c.probability("api.faults.reset_after_rate", f.ResetAfterRate)
	c.probability("api.faults.latency_rate", f.LatencyRate)
	c.rangeOK("api.faults.latency", f.Latency)
	if f.LatencyRate > 0 && f.Latency.Max == 0 {
		c.key("api.faults.latency", "latency_rate needs a latency range", `add latency: {min: 100ms, max: 2s}`)
	}
	if sum := f.ServerErrorRate + f.ThrottleRate + f.ResetRate + f.ResetAfterRate; sum > 1 {
		c.key("api.faults", fmt.Sprintf("server_error_rate, throttle_rate, reset_rate and reset_after_rate add up to %v, more than 1", sum), "")
	}
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
