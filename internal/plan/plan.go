// Package plan turns a scenario and the instances a provider listed into a
// Plan: per phase, who is eligible, who is excluded and why, who is selected,
// in which waves, and how long it should take under EC2's rate limits. It is
// pure: no I/O, no clock, and the same seed always gives the same plan, which
// is what makes `gameday plan`, dry runs and golden tests trustworthy.
//
// docs/scenarios.md states the selection rules; the tests hold them.
package plan

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"gameday/internal/fleet"
	"gameday/internal/scenario"
)

// ErrEmptySelection means the scenario selects no instance at all.
var ErrEmptySelection = errors.New("plan: no eligible instance")

// Input is what a plan is built from.
type Input struct {
	Scenario *scenario.Scenario
	// Instances[i] is what the provider listed for Scenario.Steps()[i].Target,
	// in any order.
	Instances [][]fleet.Instance
	Seed      uint64
	// Estimate tunes the duration estimate; zero values take defaults.
	Estimate EstimateOptions
}

// Plan is the complete, deterministic answer to "what will this run touch,
// in which order, and for how long?".
type Plan struct {
	Scenario string
	Seed     uint64
	Phases   []*Phase
	Estimate Estimate
}

// Phase is the plan of one step of the scenario.
type Phase struct {
	Name string
	// Step holds the phase's resolved settings (sections inherited).
	Step scenario.Step
	// Matched is how many instances the provider returned for the target.
	Matched int
	// Eligible passed every rule and no earlier phase took them; sorted by ID.
	Eligible []fleet.Instance
	// Excluded failed a rule; each carries the first rule it failed.
	Excluded []Exclusion
	// Selected is the blast radius, in the order actions will run.
	Selected []fleet.Instance
	// SelectionRule explains how many were selected and why.
	SelectionRule string
	Waves         []Wave
	// Notes explain adjustments: waves split by capacity floors, more waves
	// than asked to keep each inside one AZ, and the like.
	Notes []string
}

// Exclusion is an instance the plan will not touch, and why.
type Exclusion struct {
	Instance fleet.Instance
	Reason   string
	// Floor is true when a capacity floor, not a targeting rule, excluded it.
	Floor bool
}

// Wave is one group of instances acted on together. Index is 1-based
// within its phase.
type Wave struct {
	Index     int
	Instances []fleet.Instance
}

// Build makes the plan. It fails with ErrEmptySelection only when no phase
// selects anything; a phase that selects nothing is kept, with its reasons.
func Build(in Input) (*Plan, error) {
	steps := in.Scenario.Steps()
	if len(in.Instances) != len(steps) {
		return nil, fmt.Errorf("plan: %d listings for %d steps", len(in.Instances), len(steps))
	}
	p := &Plan{Scenario: in.Scenario.Name, Seed: in.Seed}
	taken := map[string]string{} // instance ID -> phase that selected it
	selected := 0
	for i, step := range steps {
		// Each phase draws from its own stream so that editing one phase
		// does not reshuffle the others.
		rng := rand.New(rand.NewPCG(in.Seed, 0x9e3779b97f4a7c15^uint64(i)))
		ph := buildPhase(step, in.Instances[i], taken, in.Scenario.Guardrails.RequireTag, rng)
		for _, inst := range ph.Selected {
			taken[inst.ID] = ph.Name
		}
		selected += len(ph.Selected)
		p.Phases = append(p.Phases, ph)
	}
	if selected == 0 {
		return p, fmt.Errorf("%w: %s", ErrEmptySelection, emptyReason(p))
	}
	p.Estimate = estimate(p, in.Scenario, in.Estimate)
	return p, nil
}

// Selected returns every instance any phase selected, phase by phase.
func (p *Plan) Selected() []fleet.Instance {
	var out []fleet.Instance
	for _, ph := range p.Phases {
		out = append(out, ph.Selected...)
	}
	return out
}

func emptyReason(p *Plan) string {
	if len(p.Phases) == 1 {
		ph := p.Phases[0]
		return fmt.Sprintf("the target matched %d instances and none can be acted on (%s)", ph.Matched, summarizeReasons(ph.Excluded))
	}
	return fmt.Sprintf("none of the %d phases selects an instance", len(p.Phases))
}

// Start describes when a phase begins, for people.
func (ph *Phase) Start() string {
	switch {
	case ph.Step.After != nil && *ph.Step.After == 0:
		return "at the start of the run"
	case ph.Step.After != nil:
		return fmt.Sprintf("%s after the start of the run", *ph.Step.After)
	default:
		return fmt.Sprintf("when phase %s has finished", ph.Step.AfterPhase)
	}
}

// Duration helpers shared by the estimate and the renderers.
func ceilDiv(a, b int) int { return (a + b - 1) / b }
