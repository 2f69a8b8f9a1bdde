// Package scenarios ships the example scenarios and the built-in simulated
// fleets inside the binary, so `gameday demo` and `gameday sim serve` work
// from any directory.
package scenarios

import _ "embed"

// Demo is scenarios/demo.yaml, the scenario `gameday demo` runs.
//
//go:embed demo.yaml
var Demo []byte

// DemoPath is how the embedded demo scenario is named in messages.
const DemoPath = "scenarios/demo.yaml"

// DemoFleet is scenarios/fleets/demo.yaml, the fast fleet `gameday demo`
// and `gameday sim serve` use.
//
//go:embed fleets/demo.yaml
var DemoFleet []byte

// DefaultFleet is scenarios/fleets/default.yaml, the fleet with realistic
// EC2 timings.
//
//go:embed fleets/default.yaml
var DefaultFleet []byte

// Paths that name the embedded fleets in messages.
const (
	DemoFleetPath    = "scenarios/fleets/demo.yaml"
	DefaultFleetPath = "scenarios/fleets/default.yaml"
)
