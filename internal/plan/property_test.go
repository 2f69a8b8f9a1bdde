package plan

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gameday/internal/fleet"
	"gameday/internal/scenario"
)

// randomFleet builds n instances with random AZs, apps, opt-in tags and states.
func randomFleet(rng *rand.Rand, n int) []fleet.Instance {
	azs := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	apps := []string{"web", "worker", "db"}
	states := []string{"running", "running", "running", "stopped", "pending"}
	out := make([]fleet.Instance, n)
	for i := range out {
		tags := map[string]string{"app": apps[rng.IntN(len(apps))]}
		switch rng.IntN(6) {
		case 0:
			tags["gameday"] = "opt-out"
		case 1:
		default:
			tags["gameday"] = "opt-in"
		}
		if rng.IntN(8) == 0 {
			tags["tier"] = "legacy"
		}
		out[i] = fleet.Instance{ID: fmt.Sprintf("i-%017x", rng.Uint64()>>4), AZ: azs[rng.IntN(len(azs))],
			Region: "us-east-1", State: states[rng.IntN(len(states))], Tags: tags}
	}
	return out
}

func randomRadius(rng *rand.Rand) scenario.BlastRadius {
	var b scenario.BlastRadius
	switch rng.IntN(4) {
	case 0:
		b.All = true
	case 1:
		b.Count = ptr(1 + rng.IntN(40))
	case 2:
		b.Percent = pct(float64(1 + rng.IntN(100)))
	default:
		b.PerAZ = map[string]scenario.Percent{"us-east-1a": {Value: float64(1 + rng.IntN(100))}}
		if rng.IntN(2) == 0 {
			b.PerAZ["*"] = scenario.Percent{Value: float64(1 + rng.IntN(100))}
		}
	}
	if rng.IntN(2) == 0 {
		b.MaxInstances = ptr(1 + rng.IntN(20))
	}
	if rng.IntN(2) == 0 {
		b.MinHealthyRemaining = &scenario.CapacityFloor{}
		if rng.IntN(2) == 0 {
			b.MinHealthyRemaining.PerAZ = &scenario.Quantity{Percent: pct(float64(10 + rng.IntN(80)))}
		} else {
			b.MinHealthyRemaining.PerAZ = &scenario.Quantity{Count: 1 + rng.IntN(6)}
		}
		if rng.IntN(2) == 0 {
			b.MinHealthyRemaining.PerTagGroup = &scenario.TagFloor{Tag: "app", Min: &scenario.Quantity{Count: 1 + rng.IntN(4)}}
		}
	}
	return b
}

func randomWaves(rng *rand.Rand) scenario.Waves {
	w := scenario.Waves{Order: []string{scenario.OrderRandom, scenario.OrderByAZ, scenario.OrderInterleaveAZ}[rng.IntN(3)]}
	switch rng.IntN(3) {
	case 0:
		w.Count = 1 + rng.IntN(12)
	case 1:
		w.Size = 1 + rng.IntN(8)
	default:
		w.Percent = pct(float64(5 + rng.IntN(96)))
	}
	wait := rng.IntN(4) > 0
	w.WaitForHealthy = &wait
	return w
}

func randomScenario(rng *rand.Rand) *scenario.Scenario {
	s := simple(randomRadius(rng), randomWaves(rng))
	if rng.IntN(2) == 0 {
		s.Target.Tags = map[string]string{"app": []string{"web", "w*", "*"}[rng.IntN(3)]}
	}
	if rng.IntN(2) == 0 {
		s.Target.AvailabilityZones = []string{"us-east-1a", "us-east-1c"}[:1+rng.IntN(2)]
	}
	if rng.IntN(3) == 0 {
		s.Target.ExcludeTags = map[string]string{"tier": "leg*"}
	}
	if rng.IntN(6) == 0 {
		s.Action = scenario.Action{Type: scenario.ActionStop, AllowLeaveStopped: true}
	}
	if rng.IntN(3) == 0 {
		s.Phases = []scenario.Phase{{Name: "one"}, {Name: "two", BlastRadius: ptr(randomRadius(rng))}}
	}
	return s
}

// TestBuildProperties checks, over random fleets and scenarios, what must
// hold for every plan.
func TestBuildProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 1500 {
		instances := randomFleet(rng, rng.IntN(90))
		s := randomScenario(rng)
		seed := rng.Uint64()
		listings := make([][]fleet.Instance, len(s.Steps()))
		for i := range listings {
			listings[i] = instances
		}
		p, err := Build(Input{Scenario: s, Instances: listings, Seed: seed})
		if errors.Is(err, ErrEmptySelection) {
			continue
		}
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		taken := map[string]bool{}
		for _, ph := range p.Phases {
			checkPhase(t, trial, ph, instances, taken)
		}
		for i := range listings { // a different listing order
			listings[i] = slices.Clone(instances)
			rng.Shuffle(len(listings[i]), func(a, b int) { listings[i][a], listings[i][b] = listings[i][b], listings[i][a] })
		}
		again, _ := Build(Input{Scenario: s, Instances: listings, Seed: seed})
		if fmt.Sprint(again.Document()) != fmt.Sprint(p.Document()) {
			t.Fatalf("trial %d: same seed, different plan", trial)
		}
	}
}

func checkPhase(t *testing.T, trial int, ph *Phase, instances []fleet.Instance, taken map[string]bool) {
	t.Helper()
	st := ph.Step
	for _, inst := range ph.Selected {
		switch {
		case taken[inst.ID]:
			t.Fatalf("trial %d: %s selected by two phases", trial, inst.ID)
		case inst.Tags["gameday"] != "opt-in" || inst.State != fleet.StateRunning:
			t.Fatalf("trial %d: selected %+v, not opted in or not running", trial, inst)
		case len(st.Target.AvailabilityZones) > 0 && !slices.Contains(st.Target.AvailabilityZones, inst.AZ):
			t.Fatalf("trial %d: selected %s outside the target AZs", trial, inst.ID)
		case st.Target.Tags["app"] != "" && !fleet.MatchWildcard(st.Target.Tags["app"], inst.Tags["app"]):
			t.Fatalf("trial %d: selected %s with app=%s", trial, inst.ID, inst.Tags["app"])
		case st.Target.ExcludeTags != nil && inst.Tags["tier"] == "legacy":
			t.Fatalf("trial %d: selected %s despite exclude_tags", trial, inst.ID)
		}
		taken[inst.ID] = true
	}
	if m := st.BlastRadius.MaxInstances; m != nil && len(ph.Selected) > *m {
		t.Fatalf("trial %d: selected %d > max_instances %d", trial, len(ph.Selected), *m)
	}
	seen := map[string]bool{}
	for _, w := range ph.Waves {
		if len(w.Instances) == 0 {
			t.Fatalf("trial %d: empty wave", trial)
		}
		if st.Waves.Order == scenario.OrderByAZ && len(fleet.CountByAZ(w.Instances)) > 1 {
			t.Fatalf("trial %d: by-az wave %d spans AZs", trial, w.Index)
		}
		for _, inst := range w.Instances {
			if seen[inst.ID] {
				t.Fatalf("trial %d: %s in two waves", trial, inst.ID)
			}
			seen[inst.ID] = true
		}
	}
	if len(seen) != len(ph.Selected) {
		t.Fatalf("trial %d: waves cover %d of %d selected", trial, len(seen), len(ph.Selected))
	}
	checkFloors(t, trial, ph, instances)
}

// checkFloors recomputes every floor from scratch and checks the worst
// moment: the whole selection when downtime accumulates, else each wave.
func checkFloors(t *testing.T, trial int, ph *Phase, instances []fleet.Instance) {
	t.Helper()
	f := ph.Step.BlastRadius.MinHealthyRemaining
	if f == nil {
		return
	}
	base := map[string]int{}
	for _, inst := range instances {
		if exclusionReason(ph.Step.Target, scenario.DefaultRequireTag, inst) == "" {
			base["az:"+inst.AZ]++
			base["app:"+inst.Tags["app"]]++
		}
	}
	keep := func(q *scenario.Quantity, n int) int {
		if q.Percent != nil {
			return min(n, int(math.Ceil(q.Percent.Value*float64(n)/100-1e-9)))
		}
		return min(n, q.Count)
	}
	groups := [][]fleet.Instance{ph.Selected}
	if ph.Step.Action.Type != scenario.ActionStop && ph.Step.Waves.WaitsForHealthy() {
		groups = nil
		for _, w := range ph.Waves {
			groups = append(groups, w.Instances)
		}
	}
	for _, g := range groups {
		down := map[string]int{}
		for _, inst := range g {
			down["az:"+inst.AZ]++
			down["app:"+inst.Tags["app"]]++
		}
		for k, n := range down {
			var q *scenario.Quantity
			switch {
			case k[:3] == "az:" && f.PerAZ != nil:
				q = f.PerAZ
			case k[:4] == "app:" && f.PerTagGroup != nil:
				q = f.PerTagGroup.Min
			}
			if q != nil && base[k]-n < keep(q, base[k]) {
				t.Fatalf("trial %d: %d of %d down in %s breaks the floor (keep %d)", trial, n, base[k], k, keep(q, base[k]))
			}
		}
	}
}
