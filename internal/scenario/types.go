// Package scenario defines the gameday/v1 scenario format: the Go types, a
// strict loader that reports every problem with file:line:col, defaults, and
// validation. Loading never touches the network.
//
// docs/scenarios.md is the reference for every field; `gameday schema`
// prints the same format as a JSON Schema.
package scenario

import "time"

// APIVersion is the only scenario format this build understands.
const APIVersion = "gameday/v1"

// Actions. There is deliberately no terminate: gameday never destroys.
const (
	ActionReboot         = "reboot"
	ActionStopStart      = "stop-start"
	ActionForceStopStart = "force-stop-start"
	ActionStop           = "stop"
)

// Wave orders.
const (
	OrderRandom       = "random"
	OrderByAZ         = "by-az"
	OrderInterleaveAZ = "interleave-az"
)

// What to do when a wave's health gate times out.
const (
	OnGateTimeoutAbort    = "abort"
	OnGateTimeoutContinue = "continue"
)

// Schedule modes.
const (
	ScheduleImmediate = "immediate"
	ScheduleScheduled = "scheduled"
)

// Probe types.
const (
	ProbeHTTP = "http"
	ProbeTCP  = "tcp"
)

// DefaultRequireTag is the opt-in tag an instance must carry before gameday
// will touch it, unless a scenario names another.
var DefaultRequireTag = map[string]string{"gameday": "opt-in"}

// Scenario is one validated scenario with defaults applied.
//
// Target, BlastRadius, Action and Waves describe the one step of a simple
// scenario. With Phases, they are the defaults every phase inherits section
// by section; Steps resolves that.
type Scenario struct {
	APIVersion  string      `yaml:"apiVersion"`
	Name        string      `yaml:"name"`
	Description string      `yaml:"description"`
	Seed        *uint64     `yaml:"seed"`
	Target      Target      `yaml:"target"`
	BlastRadius BlastRadius `yaml:"blast_radius"`
	Action      Action      `yaml:"action"`
	Waves       Waves       `yaml:"waves"`
	Schedule    Schedule    `yaml:"schedule"`
	Phases      []Phase     `yaml:"phases"`
	Verify      Verify      `yaml:"verify"`
	Objectives  Objectives  `yaml:"objectives"`
	Guardrails  Guardrails  `yaml:"guardrails"`

	// Source is the file the scenario came from ("" when built in code).
	Source string `yaml:"-"`
}

// Target narrows the fleet to the instances a scenario may act on. Every
// field narrows further (AND); values inside one field are alternatives (OR).
type Target struct {
	// Region or Regions, not both; neither lets the CLI decide.
	Region  string   `yaml:"region"`
	Regions []string `yaml:"regions"`
	// Tags must all match; values take the EC2 wildcards * and ?.
	Tags map[string]string `yaml:"tags"`
	// ExcludeTags removes an instance carrying any of these tags (values
	// take wildcards).
	ExcludeTags       map[string]string `yaml:"exclude_tags"`
	AvailabilityZones []string          `yaml:"availability_zones"`
	InstanceIDs       []string          `yaml:"instance_ids"`
	// States defaults to [running].
	States []string `yaml:"states"`
	// Filters are passed to DescribeInstances as they are: name -> values.
	Filters map[string][]string `yaml:"filters"`
}

// BlastRadius says how many of the eligible instances are acted on: exactly
// one of All, Count, Percent and PerAZ.
type BlastRadius struct {
	All     bool     `yaml:"all"`
	Count   *int     `yaml:"count"`
	Percent *Percent `yaml:"percent"`
	// PerAZ gives a percentage per availability zone; the key "*" covers
	// every zone not named.
	PerAZ        map[string]Percent `yaml:"per_az"`
	MaxInstances *int               `yaml:"max_instances"`
	// MinHealthyRemaining is the capacity that must stay up at any moment.
	MinHealthyRemaining *CapacityFloor `yaml:"min_healthy_remaining"`
}

// CapacityFloor keeps enough instances running: in each availability zone,
// and/or in each group of instances sharing a value of one tag.
type CapacityFloor struct {
	PerAZ       *Quantity `yaml:"per_az"`
	PerTagGroup *TagFloor `yaml:"per_tag_group"`
}

// TagFloor is a capacity floor per value of Tag (e.g. per app).
type TagFloor struct {
	Tag string    `yaml:"tag"`
	Min *Quantity `yaml:"min"`
}

// Action is what happens to each selected instance.
type Action struct {
	Type string `yaml:"type"`
	// StoppedFor holds a stop-start instance stopped this long before the
	// start (default 0: start as soon as it is stopped).
	StoppedFor Duration `yaml:"stopped_for"`
	// AllowLeaveStopped must be true for type stop, which leaves instances
	// stopped at the end of the run.
	AllowLeaveStopped bool `yaml:"allow_leave_stopped"`
}

// Waves splits the selection into groups acted on one after another.
// Exactly one of Count, Size and Percent (default: count 1).
type Waves struct {
	Count   int      `yaml:"count"`
	Size    int      `yaml:"size"`
	Percent *Percent `yaml:"percent"`
	// Interval is the pause between the end of one wave (its gate) and the
	// start of the next.
	Interval Duration `yaml:"interval"`
	// Order is random (default), by-az or interleave-az.
	Order string `yaml:"order"`
	// WaitForHealthy holds the next wave until every instance of the last
	// one has recovered (or GateTimeout passed). Defaults to true.
	WaitForHealthy *bool    `yaml:"wait_for_healthy"`
	GateTimeout    Duration `yaml:"gate_timeout"`
	// OnGateTimeout is abort (default) or continue.
	OnGateTimeout string `yaml:"on_gate_timeout"`
	// MaxInFlight caps how many instances are down at once within a wave
	// (0: the whole wave).
	MaxInFlight int `yaml:"max_in_flight"`
}

// Schedule says when the run starts acting.
type Schedule struct {
	// Mode is immediate (default) or scheduled.
	Mode string `yaml:"mode"`
	// StartAt (scheduled): the first action at this instant.
	StartAt *Timestamp `yaml:"start_at"`
	// Window (scheduled): act only inside a recurring window.
	Window *Window `yaml:"window"`
	// NotAfter: nothing starts after this instant; a run still waiting
	// then gives up.
	NotAfter *Timestamp `yaml:"not_after"`
}

// Window is a recurring maintenance window.
type Window struct {
	// Days are mon..sun; empty means every day.
	Days []string `yaml:"days"`
	// Start is the local time of day the window opens, "HH:MM".
	Start    string   `yaml:"start"`
	Duration Duration `yaml:"duration"`
	// TimeZone is an IANA name such as Europe/Paris (default UTC).
	TimeZone string `yaml:"time_zone"`
}

// Phase is one step of an outage pattern that unfolds in stages. Each of
// Target, BlastRadius, Action and Waves, when given, replaces the
// scenario's section of the same name for this phase.
type Phase struct {
	Name string `yaml:"name"`
	// After starts the phase this long after the run starts; AfterPhase
	// starts it when the named earlier phase has finished. Neither: when the
	// previous phase has finished.
	After       *Duration    `yaml:"after"`
	AfterPhase  string       `yaml:"after_phase"`
	Target      *Target      `yaml:"target"`
	BlastRadius *BlastRadius `yaml:"blast_radius"`
	Action      *Action      `yaml:"action"`
	Waves       *Waves       `yaml:"waves"`
}

// Verify says how health is observed.
type Verify struct {
	Instance *InstanceProbe `yaml:"instance"`
	Services []ServiceProbe `yaml:"services"`
	// EC2StatusChecks adds AWS's instance and system status checks.
	EC2StatusChecks bool `yaml:"ec2_status_checks"`
	// TargetGroups adds the target health of these ELB target groups
	// (ARNs, or names in the run's region): a registered instance is
	// healthy only when the load balancer says so.
	TargetGroups []string `yaml:"target_groups"`
	// SteadyState: how long everything must be healthy before the first wave.
	SteadyState Duration `yaml:"steady_state"`
	// ObserveAfter: how long to keep watching after the last wave.
	ObserveAfter Duration `yaml:"observe_after"`
}

// InstanceProbe is a health check run against every eligible instance.
type InstanceProbe struct {
	// Type is http (default) or tcp.
	Type string `yaml:"type"`
	// URL (http) is a text/template over the fields of URLFields.
	URL string `yaml:"url"`
	// Address (tcp) is a "host:port" template over the same fields.
	Address      string   `yaml:"address"`
	ExpectStatus int      `yaml:"expect_status"`
	BodyContains string   `yaml:"body_contains"`
	MaxLatency   Duration `yaml:"max_latency"`
	Interval     Duration `yaml:"interval"`
	Timeout      Duration `yaml:"timeout"`
}

// ServiceProbe is a health check of a service users see, e.g. a load
// balancer URL.
type ServiceProbe struct {
	Name         string   `yaml:"name"`
	URL          string   `yaml:"url"`
	ExpectStatus int      `yaml:"expect_status"`
	BodyContains string   `yaml:"body_contains"`
	MaxLatency   Duration `yaml:"max_latency"`
	Interval     Duration `yaml:"interval"`
	Timeout      Duration `yaml:"timeout"`
}

// Objectives are what the run is scored against.
type Objectives struct {
	// Availability: share of successful service probes over the run.
	Availability *Percent `yaml:"availability"`
	// RecoveryP95 and RecoveryMax bound the recovery times of acted-on
	// instances (action to first healthy probe).
	RecoveryP95 *Duration `yaml:"recovery_p95"`
	RecoveryMax *Duration `yaml:"recovery_max"`
	// RecoverAllWithin: every acted-on instance healthy again within this
	// long of its action.
	RecoverAllWithin *Duration `yaml:"recover_all_within"`
	// MinScore: the run's score (0-100) must reach this.
	MinScore *float64 `yaml:"min_score"`
}

// Guardrails are safety rules that hold whatever the rest of the file says.
type Guardrails struct {
	// AbortBelowAvailability stops the run when service availability over
	// the last AvailabilityWindow falls below it.
	AbortBelowAvailability *Percent `yaml:"abort_below_availability"`
	AvailabilityWindow     Duration `yaml:"availability_window"`
	// MaxUnhealthyPercent stops the run when more of the eligible fleet
	// than this is unhealthy at once.
	MaxUnhealthyPercent *Percent `yaml:"max_unhealthy_percent"`
	AllowedAccounts     []string `yaml:"allowed_accounts"`
	AllowedRegions      []string `yaml:"allowed_regions"`
	// RequireTag: only instances with all these tags are ever acted on.
	RequireTag map[string]string `yaml:"require_tag"`
	// CloudWatchAlarms are the stop conditions of an exported AWS FIS
	// experiment; gameday run itself does not read CloudWatch.
	CloudWatchAlarms []string `yaml:"cloudwatch_alarms"`
}

// Duration is a time.Duration written as "90s", "2m", "1h30m".
type Duration struct{ time.Duration }

// Percent is a share of a whole in percent: 30 means 30%.
type Percent struct{ Value float64 }

// Quantity is either an absolute number of instances or a percentage.
type Quantity struct {
	Count   int
	Percent *Percent
}

// Timestamp is an instant written in RFC 3339, e.g. 2026-12-01T02:00:00Z.
type Timestamp struct{ time.Time }

// WaitsForHealthy reports the effective wait_for_healthy setting.
func (w Waves) WaitsForHealthy() bool { return w.WaitForHealthy == nil || *w.WaitForHealthy }
