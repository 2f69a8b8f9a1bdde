package sim

import (
	"maps"
	"slices"
	"time"
)

// Defaults applied by FleetSpec.WithDefaults to zero-valued fields.
const (
	DefaultRegion     = "us-east-1"
	DefaultAccountID  = "123456789012"
	DefaultHealthPort = 8080
	DefaultHealthPath = "/healthz"
	// DefaultInstanceType is used for groups that do not name one.
	DefaultInstanceType = "t3.micro"
)

// FleetSpec describes a simulated fleet. Fleet files (see LoadFleet and
// docs/fleets.md) decode into it; tests may also build one in Go, where zero
// durations mean "instant".
type FleetSpec struct {
	Region     string      `yaml:"region"`
	AccountID  string      `yaml:"account_id"`
	HealthPort int         `yaml:"health_port"`
	HealthPath string      `yaml:"health_path"`
	Groups     []GroupSpec `yaml:"groups"`
	// Events are scheduled maintenance events, as AWS announces them in
	// DescribeInstanceStatus.
	Events []EventSpec `yaml:"events"`
	// API tunes the EC2 endpoint that serves the fleet.
	API APISpec `yaml:"api"`
	// Services are load-balanced services over tag-selected members.
	Services []ServiceSpec `yaml:"services"`
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
	// PublicIP gives every instance a public address from a second loopback
	// block; it changes on every start, as an EC2 auto-assigned one does.
	PublicIP bool     `yaml:"public_ip"`
	Boot     BootSpec `yaml:"boot"`
}

// Unreachable says how a host that is down looks to a client.
type Unreachable string

const (
	// UnreachableRefuse: nothing listens, connections are refused at once.
	UnreachableRefuse Unreachable = "refuse"
	// UnreachableHang: connections are accepted and never answered until the
	// host is back, like packets to a host that does not respond; clients
	// see a timeout.
	UnreachableHang Unreachable = "hang"
)

// BootSpec says how long lifecycle phases take and how they can go wrong.
// Every duration is drawn per instance and per transition from its range.
type BootSpec struct {
	// Down is how long the host is unreachable after a reboot.
	Down Range `yaml:"down"`
	// Starting follows Down, and a start's Pending: the host answers, the
	// application does not yet (health 503).
	Starting Range `yaml:"starting"`
	// Pending is how long StartInstances leaves an instance pending before
	// it is running (the host boots meanwhile).
	Pending Range `yaml:"pending"`
	// Stopping is how long StopInstances leaves an instance stopping before
	// it is stopped. A forced stop takes Stopping.Min.
	Stopping Range `yaml:"stopping"`
	// Unreachable is how a down host looks; "" means refuse.
	Unreachable Unreachable `yaml:"unreachable"`
	// BrokenProbability is the chance that a reboot or start leaves the
	// instance broken (health 500, instance status impaired) until it is
	// stopped and started again.
	BrokenProbability float64 `yaml:"broken_probability"`
	// HardRebootProbability is the chance that a reboot does not shut the
	// OS down cleanly, so that EC2 forces a hard reboot after
	// HardRebootDelay: the down phase is longer by that delay.
	HardRebootProbability float64 `yaml:"hard_reboot_probability"`
	HardRebootDelay       Range   `yaml:"hard_reboot_delay"`
}

// Range is a closed interval of durations; a draw is uniform over it. In a
// fleet file it is written {min: 1.5s, max: 4s}, or as one duration for a
// fixed time.
type Range struct {
	Min time.Duration `yaml:"min"`
	Max time.Duration `yaml:"max"`
}

// APISpec tunes the EC2 endpoint that serves the fleet.
type APISpec struct {
	// RateLimits switches EC2's request and resource token buckets; nil
	// means on. Use RateLimitsEnabled to read it.
	RateLimits *bool `yaml:"rate_limits"`
	// Deny lists EC2 actions the caller is not allowed: the call and its
	// DryRun both answer 403 UnauthorizedOperation.
	Deny []string `yaml:"deny"`
	// Faults injects failures into API calls, for tests of client retries.
	Faults FaultSpec `yaml:"faults"`
	// Fail makes chosen calls fail with an EC2 error code, for tests of a
	// refusal in the middle of a run.
	Fail []CallFailure `yaml:"fail"`
}

// CallFailure makes one real (not DryRun) call of an action fail without
// acting: the Call-th one, counting from 1, of the calls that pass the
// permission check. Calls before and after it are served as usual.
type CallFailure struct {
	// Action is an EC2 action, one of DeniableActions.
	Action string `yaml:"action"`
	Call   int    `yaml:"call"`
	// Code is the error answered, one of FailureCodes.
	Code string `yaml:"code"`
}

// FailureCodes lists the error codes a CallFailure may answer: a refusal
// (403 UnauthorizedOperation) and two server errors (500).
func FailureCodes() []string {
	return []string{"UnauthorizedOperation", "InsufficientInstanceCapacity", "InternalError"}
}

// RateLimitsEnabled reports whether EC2's rate limits apply: they do unless
// switched off explicitly.
func (a APISpec) RateLimitsEnabled() bool { return a.RateLimits == nil || *a.RateLimits }

// Denies reports whether action is in Deny.
func (a APISpec) Denies(action string) bool { return slices.Contains(a.Deny, action) }

// FaultSpec is the share of API calls (0 to 1) that fail in each way.
type FaultSpec struct {
	// ServerErrorRate answers HTTP 500 InternalError.
	ServerErrorRate float64 `yaml:"server_error_rate"`
	// ThrottleRate answers HTTP 503 RequestLimitExceeded.
	ThrottleRate float64 `yaml:"throttle_rate"`
	// ResetRate cuts the connection without an answer, before acting.
	ResetRate float64 `yaml:"reset_rate"`
	// ResetAfterRate acts, then cuts the connection instead of answering.
	ResetAfterRate float64 `yaml:"reset_after_rate"`
	// LatencyRate delays the answer by a draw from Latency.
	LatencyRate float64 `yaml:"latency_rate"`
	Latency     Range   `yaml:"latency"`
}

// WithDefaults returns a copy of spec with every zero identity field set to
// its default. It never fills durations: in a spec built in Go a zero
// duration means "instant". Groups, events and lists are copied so the
// caller's spec is never modified.
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
	spec.Groups = slices.Clone(spec.Groups)
	for i := range spec.Groups {
		spec.Groups[i] = spec.Groups[i].withDefaults(spec.Region)
	}
	spec.Events = slices.Clone(spec.Events)
	for i := range spec.Events {
		spec.Events[i] = spec.Events[i].withDefaults()
	}
	spec.API = spec.API.clone()
	spec.Services = slices.Clone(spec.Services)
	for i := range spec.Services {
		spec.Services[i] = spec.Services[i].withDefaults(spec.HealthPort)
	}
	return spec
}

func (g GroupSpec) withDefaults(region string) GroupSpec {
	if g.InstanceType == "" {
		g.InstanceType = DefaultInstanceType
	}
	if len(g.AvailabilityZones) == 0 {
		g.AvailabilityZones = []string{region + "a"}
	} else {
		g.AvailabilityZones = slices.Clone(g.AvailabilityZones)
	}
	g.Tags = maps.Clone(g.Tags)
	if g.Boot.Unreachable == "" {
		g.Boot.Unreachable = UnreachableRefuse
	}
	return g
}

func (a APISpec) clone() APISpec {
	if a.RateLimits != nil {
		on := *a.RateLimits
		a.RateLimits = &on
	}
	a.Deny = slices.Clone(a.Deny)
	a.Fail = slices.Clone(a.Fail)
	return a
}

// zones lists every availability zone the fleet's groups use, sorted.
func (spec FleetSpec) zones() []string {
	var zones []string
	for _, g := range spec.Groups {
		for _, az := range g.AvailabilityZones {
			if !slices.Contains(zones, az) {
				zones = append(zones, az)
			}
		}
	}
	slices.Sort(zones)
	return zones
}

// instanceCount is the number of instances the groups make.
func (spec FleetSpec) instanceCount() int {
	total := 0
	for _, g := range spec.Groups {
		total += max(g.Count, 0)
	}
	return total
}
