package plan

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gameday/internal/fleet"
	"gameday/internal/scenario"
)

func ptr[T any](v T) *T { return &v }

func TestSelectionSize(t *testing.T) {
	pct := func(v float64) *scenario.Percent { return &scenario.Percent{Value: v} }
	tests := []struct {
		name     string
		radius   scenario.BlastRadius
		eligible int
		want     int
	}{
		{"all", scenario.BlastRadius{All: true}, 17, 17},
		{"count", scenario.BlastRadius{Count: ptr(5)}, 17, 5},
		{"count above the fleet takes the fleet", scenario.BlastRadius{Count: ptr(50)}, 17, 17},
		{"percent exact", scenario.BlastRadius{Percent: pct(50)}, 36, 18},
		{"percent rounds down", scenario.BlastRadius{Percent: pct(30)}, 7, 2},
		{"floating point 30% of 10 is 3", scenario.BlastRadius{Percent: pct(30)}, 10, 3},
		{"small percent still selects one", scenario.BlastRadius{Percent: pct(1)}, 5, 1},
		{"100 percent", scenario.BlastRadius{Percent: pct(100)}, 9, 9},
		{"cap applies last", scenario.BlastRadius{Percent: pct(100), MaxInstances: ptr(4)}, 9, 4},
		{"cap above the selection changes nothing", scenario.BlastRadius{Count: ptr(3), MaxInstances: ptr(4)}, 9, 3},
		{"cap on all", scenario.BlastRadius{All: true, MaxInstances: ptr(1)}, 9, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rule := SelectionSize(tt.radius, tt.eligible)
			if got != tt.want {
				t.Errorf("SelectionSize = %d (%s), want %d", got, rule, tt.want)
			}
			if !strings.HasSuffix(rule, fmt.Sprintf("= %d", tt.want)) {
				t.Errorf("rule %q does not end with the result", rule)
			}
		})
	}
}

// randomFleet builds n instances with random AZs, apps, opt-in tags and states.
func randomFleet(rng *rand.Rand, n int) []fleet.Instance {
	azs := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	apps := []string{"web", "worker", "db"}
	states := []string{"running", "running", "running", "stopped", "pending"}
	out := make([]fleet.Instance, n)
	for i := range out {
		tags := map[string]string{"app": apps[rng.IntN(len(apps))]}
		if rng.IntN(4) > 0 {
			tags["gameday"] = "opt-in"
		} else if rng.IntN(2) == 0 {
			tags["gameday"] = "opt-out"
		}
		out[i] = fleet.Instance{ID: fmt.Sprintf("i-%017x", rng.Uint64()>>4), AZ: azs[rng.IntN(len(azs))],
			State: states[rng.IntN(len(states))], Tags: tags}
	}
	return out
}

func randomScenario(rng *rand.Rand) *scenario.Scenario {
	s := &scenario.Scenario{Name: "prop"}
	if rng.IntN(2) == 0 {
		s.Target.Tags = map[string]string{"app": []string{"web", "w*", "*"}[rng.IntN(3)]}
	}
	if rng.IntN(2) == 0 {
		s.Target.AvailabilityZones = []string{"us-east-1a", "us-east-1c"}[:1+rng.IntN(2)]
	}
	switch rng.IntN(3) {
	case 0:
		s.BlastRadius.All = true
	case 1:
		s.BlastRadius.Count = ptr(1 + rng.IntN(40))
	default:
		s.BlastRadius.Percent = &scenario.Percent{Value: float64(1 + rng.IntN(100))}
	}
	if rng.IntN(2) == 0 {
		s.BlastRadius.MaxInstances = ptr(1 + rng.IntN(20))
	}
	s.Waves.Count = 1 + rng.IntN(12)
	s.Guardrails.RequireTag = scenario.DefaultRequireTag
	return s
}

// TestBuildProperties checks, over random fleets and scenarios, what must
// hold for every plan: nothing outside the target or lacking the opt-in
// tag, the cap respected, waves disjoint and covering the selection, and the
// same seed giving the same plan whatever order the fleet was listed in.
func TestBuildProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 500 {
		instances := randomFleet(rng, rng.IntN(80))
		s := randomScenario(rng)
		seed := rng.Uint64()
		p, err := Build(s, instances, seed)
		if errors.Is(err, ErrEmptySelection) {
			if len(p.Eligible) != 0 {
				t.Fatalf("trial %d: ErrEmptySelection with %d eligible", trial, len(p.Eligible))
			}
			continue
		}
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		checkPlan(t, trial, s, instances, p)

		shuffled := slices.Clone(instances)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		again, _ := Build(s, shuffled, seed)
		if !slices.Equal(fleet.IDs(again.Selected), fleet.IDs(p.Selected)) || len(again.Waves) != len(p.Waves) {
			t.Fatalf("trial %d: same seed, different plan", trial)
		}
	}
}

func checkPlan(t *testing.T, trial int, s *scenario.Scenario, instances []fleet.Instance, p *Plan) {
	t.Helper()
	if len(p.Eligible)+len(p.Excluded) != len(instances) {
		t.Fatalf("trial %d: %d eligible + %d excluded != %d listed", trial, len(p.Eligible), len(p.Excluded), len(instances))
	}
	for _, inst := range p.Selected {
		if inst.Tags["gameday"] != "opt-in" || inst.State != "running" {
			t.Fatalf("trial %d: selected %+v, which is not opted in or not running", trial, inst)
		}
		if len(s.Target.AvailabilityZones) > 0 && !slices.Contains(s.Target.AvailabilityZones, inst.AZ) {
			t.Fatalf("trial %d: selected %s outside the target AZs", trial, inst.ID)
		}
		if want, ok := s.Target.Tags["app"]; ok && !fleet.MatchWildcard(want, inst.Tags["app"]) {
			t.Fatalf("trial %d: selected %s with app=%s, target app=%s", trial, inst.ID, inst.Tags["app"], want)
		}
	}
	if m := s.BlastRadius.MaxInstances; m != nil && len(p.Selected) > *m {
		t.Fatalf("trial %d: selected %d > max_instances %d", trial, len(p.Selected), *m)
	}
	seen := map[string]bool{}
	for _, w := range p.Waves {
		if len(w.Instances) == 0 {
			t.Fatalf("trial %d: empty wave %d", trial, w.Index)
		}
		for _, inst := range w.Instances {
			if seen[inst.ID] {
				t.Fatalf("trial %d: %s in two waves", trial, inst.ID)
			}
			seen[inst.ID] = true
		}
	}
	if len(seen) != len(p.Selected) || len(p.Waves) > s.Waves.Count {
		t.Fatalf("trial %d: waves cover %d of %d selected in %d waves (count %d)", trial, len(seen), len(p.Selected), len(p.Waves), s.Waves.Count)
	}
}

func TestBuildExplainsEveryExclusion(t *testing.T) {
	instances := []fleet.Instance{
		{ID: "i-1", AZ: "us-east-1a", State: "running", Tags: map[string]string{"app": "web", "gameday": "opt-in"}},
		{ID: "i-2", AZ: "us-east-1a", State: "stopped", Tags: map[string]string{"app": "web", "gameday": "opt-in"}},
		{ID: "i-3", AZ: "us-east-1b", State: "running", Tags: map[string]string{"app": "web", "gameday": "opt-in"}},
		{ID: "i-4", AZ: "us-east-1a", State: "running", Tags: map[string]string{"app": "db", "gameday": "opt-in"}},
		{ID: "i-5", AZ: "us-east-1a", State: "running", Tags: map[string]string{"app": "web"}},
	}
	s := &scenario.Scenario{
		Target:      scenario.Target{Tags: map[string]string{"app": "web"}, AvailabilityZones: []string{"us-east-1a"}},
		BlastRadius: scenario.BlastRadius{All: true},
		Waves:       scenario.Waves{Count: 1},
		Guardrails:  scenario.Guardrails{RequireTag: scenario.DefaultRequireTag},
	}
	p, err := Build(s, instances, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"i-2": "state is stopped, not running",
		"i-3": "availability zone us-east-1b is not in the target",
		"i-4": `tag app does not match "web"`,
		"i-5": "not opted in: tag gameday=opt-in is missing",
	}
	for _, ex := range p.Excluded {
		if want[ex.Instance.ID] != ex.Reason {
			t.Errorf("%s excluded for %q, want %q", ex.Instance.ID, ex.Reason, want[ex.Instance.ID])
		}
		delete(want, ex.Instance.ID)
	}
	if len(want) != 0 || !slices.Equal(fleet.IDs(p.Selected), []string{"i-1"}) {
		t.Errorf("missing exclusions %v; selected %v, want [i-1]", want, fleet.IDs(p.Selected))
	}
}

func TestBuildWithNothingEligibleSaysWhy(t *testing.T) {
	instances := []fleet.Instance{{ID: "i-1", State: "running", Tags: map[string]string{"app": "web"}}}
	s := &scenario.Scenario{BlastRadius: scenario.BlastRadius{All: true}, Waves: scenario.Waves{Count: 1},
		Guardrails: scenario.Guardrails{RequireTag: scenario.DefaultRequireTag}}
	_, err := Build(s, instances, 1)
	if !errors.Is(err, ErrEmptySelection) || !strings.Contains(err.Error(), "1: not opted in") {
		t.Errorf("err = %v, want ErrEmptySelection with the reason counted", err)
	}
}

func TestSplitWavesIsEvenWithTheRemainderFirst(t *testing.T) {
	instances := make([]fleet.Instance, 10)
	var sizes []int
	for _, w := range splitWaves(instances, 4) {
		sizes = append(sizes, len(w.Instances))
	}
	if !slices.Equal(sizes, []int{3, 3, 2, 2}) {
		t.Errorf("wave sizes %v, want [3 3 2 2]", sizes)
	}
	if got := splitWaves(instances[:2], 5); len(got) != 2 {
		t.Errorf("2 instances in 5 waves gave %d waves, want 2 (no empty waves)", len(got))
	}
}
