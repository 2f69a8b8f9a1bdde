package scenario

import "time"

// MainStep names the single step of a scenario without phases.
const MainStep = "main"

// Step is one phase with the scenario's sections inherited: what plan and
// execute work from, so neither needs to know about inheritance.
type Step struct {
	Name string
	// After is the offset from the run's start; nil when the step starts
	// once AfterPhase has finished.
	After *time.Duration
	// AfterPhase names the step that must finish first ("" when After is set).
	AfterPhase  string
	Target      Target
	BlastRadius BlastRadius
	Action      Action
	Waves       Waves
}

// Steps resolves the scenario into its steps, in file order. A scenario
// without phases is one step named "main" that starts at once. A phase that
// gives neither after nor after_phase starts when the previous one finishes.
func (s *Scenario) Steps() []Step {
	if len(s.Phases) == 0 {
		zero := time.Duration(0)
		return []Step{{Name: MainStep, After: &zero, Target: s.Target, BlastRadius: s.BlastRadius, Action: s.Action, Waves: s.Waves}}
	}
	steps := make([]Step, len(s.Phases))
	for i, p := range s.Phases {
		st := Step{Name: p.Name, Target: s.Target, BlastRadius: s.BlastRadius, Action: s.Action, Waves: s.Waves}
		switch {
		case p.After != nil:
			d := p.After.Duration
			st.After = &d
		case p.AfterPhase != "":
			st.AfterPhase = p.AfterPhase
		case i == 0:
			zero := time.Duration(0)
			st.After = &zero
		default:
			st.AfterPhase = s.Phases[i-1].Name
		}
		if p.Target != nil {
			st.Target = *p.Target
		}
		if p.BlastRadius != nil {
			st.BlastRadius = *p.BlastRadius
		}
		if p.Action != nil {
			st.Action = *p.Action
		}
		if p.Waves != nil {
			st.Waves = *p.Waves
		}
		steps[i] = st
	}
	return steps
}

// RegionList lists the regions the scenario names, in order, without repeats
// (empty: the CLI decides).
func (t Target) RegionList() []string {
	if t.Region != "" {
		return []string{t.Region}
	}
	return t.Regions
}
