// Package scenario defines the gameday/v1 scenario format: the Go types, a
// strict loader that reports every problem with file:line:col, defaults, and
// validation. Loading never touches the network.
package scenario

import "time"

// APIVersion is the only scenario format this build understands.
const APIVersion = "gameday/v1"

// ActionReboot is the only action of this version of the format.
const ActionReboot = "reboot"

// DefaultRequireTag is the opt-in tag an instance must carry before gameday
// will touch it, unless a scenario names another.
var DefaultRequireTag = map[string]string{"gameday": "opt-in"}

// Scenario is one validated scenario with defaults applied.
type Scenario struct {
	APIVersion  string      `yaml:"apiVersion"`
	Name        string      `yaml:"name"`
	Description string      `yaml:"description"`
	Seed        *uint64     `yaml:"seed"`
	Target      Target      `yaml:"target"`
	BlastRadius BlastRadius `yaml:"blast_radius"`
	Action      Action      `yaml:"action"`
	Waves       Waves       `yaml:"waves"`
	Verify      Verify      `yaml:"verify"`
	Objectives  Objectives  `yaml:"objectives"`
	Guardrails  Guardrails  `yaml:"guardrails"`

	// Source is the file the scenario came from ("" when built in code).
	Source string `yaml:"-"`
}

// Target narrows the fleet to the instances a scenario may act on.
type Target struct {
	Region            string            `yaml:"region"`
	Tags              map[string]string `yaml:"tags"`
	AvailabilityZones []string          `yaml:"availability_zones"`
}

// BlastRadius says how many of the eligible instances are acted on. Exactly
// one of All, Count and Percent is set after validation.
type BlastRadius struct {
	All          bool     `yaml:"all"`
	Count        *int     `yaml:"count"`
	Percent      *Percent `yaml:"percent"`
	MaxInstances *int     `yaml:"max_instances"`
}

// Action is what happens to each selected instance.
type Action struct {
	Type string `yaml:"type"`
}

// Waves splits the selection into groups acted on one after another.
type Waves struct {
	Count    int      `yaml:"count"`
	Interval Duration `yaml:"interval"`
	// WaitForHealthy holds the next wave until every instance of the last
	// one has recovered (or GateTimeout passed). Defaults to true.
	WaitForHealthy *bool    `yaml:"wait_for_healthy"`
	GateTimeout    Duration `yaml:"gate_timeout"`
}

// Verify says how health is observed.
type Verify struct {
	Instance *InstanceProbe `yaml:"instance"`
}

// InstanceProbe is an HTTP health check run against every eligible instance.
type InstanceProbe struct {
	// URL is a text/template over the fields of URLFields.
	URL          string   `yaml:"url"`
	Interval     Duration `yaml:"interval"`
	Timeout      Duration `yaml:"timeout"`
	ExpectStatus int      `yaml:"expect_status"`
}

// Objectives are what the run is scored against.
type Objectives struct {
	// RecoverAllWithin: every acted-on instance is healthy again within this
	// long of its action.
	RecoverAllWithin *Duration `yaml:"recover_all_within"`
}

// Guardrails are safety rules that hold whatever the rest of the file says.
type Guardrails struct {
	// RequireTag: only instances with all these tags are ever acted on.
	RequireTag map[string]string `yaml:"require_tag"`
}

// Duration is a time.Duration written as "90s", "2m", "1h30m".
type Duration struct{ time.Duration }

// Percent is a share of a whole in percent: 30 means 30%.
type Percent struct{ Value float64 }

// WaitsForHealthy reports the effective wait_for_healthy setting.
func (w Waves) WaitsForHealthy() bool { return w.WaitForHealthy == nil || *w.WaitForHealthy }
