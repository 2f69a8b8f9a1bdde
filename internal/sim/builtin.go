package sim

import (
	"fmt"
	"slices"

	"gameday/scenarios"
)

// Names of the built-in fleets, for --fleet and messages.
const (
	FleetDemo    = "demo"
	FleetDefault = "default"
)

// BuiltinFleetNames lists the built-in fleets.
func BuiltinFleetNames() []string { return []string{FleetDemo, FleetDefault} }

// BuiltinFleet returns the built-in fleet called name.
func BuiltinFleet(name string) (FleetSpec, bool) {
	switch name {
	case FleetDemo:
		return DemoFleet(), true
	case FleetDefault:
		return DefaultFleet(), true
	}
	return FleetSpec{}, false
}

// IsBuiltinFleetName reports whether name names a built-in fleet.
func IsBuiltinFleetName(name string) bool { return slices.Contains(BuiltinFleetNames(), name) }

// DemoFleet is scenarios/fleets/demo.yaml, the fleet `gameday demo` runs
// against: 60 instances in us-east-1a, b and c, of which 12 (web-legacy)
// are not opted in, with timings short enough for a 20-second demo.
func DemoFleet() FleetSpec { return mustParseBuiltin(scenarios.DemoFleetPath, scenarios.DemoFleet) }

// DefaultFleet is scenarios/fleets/default.yaml: a fleet whose timings
// follow EC2 as it is commonly observed (docs/fleets.md).
func DefaultFleet() FleetSpec {
	return mustParseBuiltin(scenarios.DefaultFleetPath, scenarios.DefaultFleet)
}

// mustParseBuiltin parses an embedded fleet. Its files are part of the
// build and tests parse them, so a failure is a build defect, not input.
func mustParseBuiltin(source string, data []byte) FleetSpec {
	spec, err := ParseFleet(source, data)
	if err != nil {
		panic(fmt.Sprintf("sim: the built-in fleet %s is invalid (a build defect): %v", source, err))
	}
	return spec
}
