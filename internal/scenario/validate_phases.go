package scenario

import (
	"fmt"
	"slices"

	"gameday/internal/strictyaml"
)

// phases checks each phase: its name, when it starts, and the sections it
// replaces, with the same rules as the top-level ones.
func (v *validator) phases(s *Scenario) {
	notEmpty(v, "phases", s.Phases, "phase")
	first := map[string]int{}
	for i, p := range s.Phases {
		base := strictyaml.JoinIndex("phases", i)
		v.name(base+".name", p.Name, `a short id such as "first-hosts-stuck"`)
		if j, dup := first[p.Name]; dup && p.Name != "" {
			v.atValue(base+".name", fmt.Sprintf("phase %q is already defined at phases[%d]", p.Name, j), "")
		} else if p.Name != "" {
			first[p.Name] = i
		}
		v.phaseStart(s, i)
		v.phaseSections(s, i)
	}
}

// phaseStart checks after and after_phase.
func (v *validator) phaseStart(s *Scenario, i int) {
	p, base := s.Phases[i], strictyaml.JoinIndex("phases", i)
	if p.After != nil {
		v.notNegative(base+".after", p.After.Duration)
	}
	switch {
	case p.AfterPhase == "":
	case p.After != nil:
		v.atKey(base+".after_phase", "set after or after_phase, not both",
			"after counts from the start of the run; after_phase waits for another phase to finish")
	default:
		v.afterPhase(s, i)
	}
}

// afterPhase checks that a phase waits for an earlier one: a phase that
// waits for itself or a later one would never start.
func (v *validator) afterPhase(s *Scenario, i int) {
	name, path := s.Phases[i].AfterPhase, strictyaml.JoinIndex("phases", i)+".after_phase"
	j := slices.IndexFunc(s.Phases, func(q Phase) bool { return q.Name == name })
	switch {
	case j >= 0 && j < i:
	case j == i:
		v.atValue(path, "a phase cannot wait for itself", "name an earlier phase")
	case j > i:
		v.atValue(path, fmt.Sprintf("phase %q comes later (phases[%d]); after_phase must name an earlier phase", name, j),
			"move this phase after it, or use after: with a duration")
	default:
		var earlier []string
		for _, q := range s.Phases[:i] {
			earlier = append(earlier, q.Name)
		}
		e := v.atValue(path, fmt.Sprintf("unknown phase %q", name), phaseHint(name, earlier))
		for j := range s.Phases {
			v.judged(e, strictyaml.JoinIndex("phases", j)+".name")
		}
	}
}

func phaseHint(name string, earlier []string) string {
	if guess, ok := strictyaml.Suggest(name, earlier); ok {
		return fmt.Sprintf("did you mean %q?", guess)
	}
	if len(earlier) == 0 {
		return "this is the first phase; use after: with a duration, or leave after_phase out"
	}
	return "earlier phases are " + joinAnd(earlier)
}

// phaseSections checks the sections a phase replaces. A phase's blast
// radius is about its own target when it has one.
func (v *validator) phaseSections(s *Scenario, i int) {
	p, base := s.Phases[i], strictyaml.JoinIndex("phases", i)
	sc := scope{targetPath: "target", target: s.Target}
	if p.Target != nil {
		sc = scope{targetPath: base + ".target", target: *p.Target}
		v.target(sc)
	}
	if p.BlastRadius != nil {
		v.blastRadius(base+".blast_radius", *p.BlastRadius, sc)
	}
	if p.Action != nil {
		v.action(base+".action", *p.Action)
	}
	if p.Waves != nil {
		v.waves(base+".waves", *p.Waves)
	}
}

// steps checks that every step the scenario resolves to says how many
// instances to act on and what to do to them. Without phases, the
// top-level sections must; with phases, each phase or the top level must.
func (v *validator) steps(s *Scenario) {
	if len(s.Phases) == 0 {
		if len(s.BlastRadius.choices()) == 0 {
			v.atKey("blast_radius", chooseBlastRadius+"; none is set", blastRadiusExample)
		}
		if s.Action.Type == "" {
			v.atKey("action.type", "required", actionTypeHint)
		}
		return
	}
	for i, st := range s.Steps() {
		v.step(s.Phases[i], strictyaml.JoinIndex("phases", i), st)
	}
}

// step reports a phase that resolves to no blast radius choice or no action
// type: at its own section when it has one, else at the phase, since the
// top-level section it inherits sets none.
func (v *validator) step(p Phase, base string, st Step) {
	switch {
	case len(st.BlastRadius.choices()) > 0:
	case p.BlastRadius != nil:
		v.atKey(base+".blast_radius", chooseBlastRadius+"; none is set", blastRadiusExample)
	default:
		e := v.atKey(base+".blast_radius", "required: the top-level blast_radius does not set all: true, count, percent or per_az",
			"give this phase a blast_radius, or set one at the top level for every phase")
		v.judged(e, "blast_radius")
	}
	switch {
	case st.Action.Type != "":
	case p.Action != nil:
		v.atKey(base+".action.type", "required", actionTypeHint)
	default:
		e := v.atKey(base+".action", "required: the top-level action has no type",
			`give this phase an action, or set "action: {type: reboot}" at the top level for every phase`)
		v.judged(e, "action.type")
	}
}

// stopGates refuses a health gate on a step whose action is stop: a
// stopped instance never answers a probe, so the gate could only time out.
// Steps that share the offending setting are reported once, at it.
func (v *validator) stopGates(s *Scenario) {
	var order []string
	wavesAt := map[string][]string{} // reported path -> waves sections to fix
	for i, st := range s.Steps() {
		if st.Action.Type != ActionStop || !st.Waves.WaitsForHealthy() {
			continue
		}
		waves, action := "waves", "action.type"
		if len(s.Phases) > 0 {
			base := strictyaml.JoinIndex("phases", i)
			if s.Phases[i].Waves != nil {
				waves = base + ".waves"
			}
			if s.Phases[i].Action != nil {
				action = base + ".action.type"
			}
		}
		at := action
		if v.pos.Has(waves + ".wait_for_healthy") {
			at = waves + ".wait_for_healthy"
		}
		if _, seen := wavesAt[at]; !seen {
			order = append(order, at)
		}
		if !slices.Contains(wavesAt[at], waves) {
			wavesAt[at] = append(wavesAt[at], waves)
		}
	}
	for _, at := range order {
		v.atValue(at, "action stop leaves instances stopped: they never pass the health gate that waves.wait_for_healthy (default true) waits for",
			"set wait_for_healthy: false in "+joinAnd(wavesAt[at]))
	}
}
