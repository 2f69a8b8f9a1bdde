package journal

import "gameday/internal/plan"

// PlanOf is the plan record of p: every selected instance with its region
// and zone, per phase and wave.
func PlanOf(p *plan.Plan) Plan {
	out := Plan{Phases: make([]PlanPhase, 0, len(p.Phases))}
	for _, ph := range p.Phases {
		jp := PlanPhase{Name: ph.Name, Action: ph.Step.Action.Type, Waves: make([]PlanWave, 0, len(ph.Waves))}
		for _, w := range ph.Waves {
			jw := PlanWave{Index: w.Index, Instances: make([]PlanInstance, 0, len(w.Instances))}
			for _, inst := range w.Instances {
				jw.Instances = append(jw.Instances, PlanInstance{ID: inst.ID, Region: inst.Region, AZ: inst.AZ})
			}
			jp.Waves = append(jp.Waves, jw)
		}
		out.Phases = append(out.Phases, jp)
	}
	return out
}
