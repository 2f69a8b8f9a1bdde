// Package scenarios ships the example scenarios inside the binary, so
// `gameday demo` works from any directory.
package scenarios

import _ "embed"

// Demo is scenarios/demo.yaml, the scenario `gameday demo` runs.
//
//go:embed demo.yaml
var Demo []byte

// DemoPath is how the embedded demo scenario is named in messages.
const DemoPath = "scenarios/demo.yaml"
