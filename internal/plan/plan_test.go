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

func pct(v float64) *scenario.Percent { return &scenario.Percent{Value: v} }

// simple builds a one-step scenario with the defaults a loaded file gets.
func simple(b scenario.BlastRadius, w scenario.Waves) *scenario.Scenario {
	if w.Count == 0 && w.Size == 0 && w.Percent == nil {
		w.Count = 1
	}
	if w.Order == "" {
		w.Order = scenario.OrderRandom
	}
	w.OnGateTimeout = scenario.OnGateTimeoutAbort
	return &scenario.Scenario{
		Name: "t", BlastRadius: b, Action: scenario.Action{Type: scenario.ActionReboot}, Waves: w,
		Guardrails: scenario.Guardrails{RequireTag: scenario.DefaultRequireTag},
	}
}

func build(t *testing.T, s *scenario.Scenario, instances []fleet.Instance, seed uint64) *Plan {
	t.Helper()
	listings := make([][]fleet.Instance, len(s.Steps()))
	for i := range listings {
		listings[i] = instances
	}
	p, err := Build(Input{Scenario: s, Instances: listings, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// zoneFleet makes opted-in running instances: counts[i] in AZ letter a+i.
func zoneFleet(counts ...int) []fleet.Instance {
	var out []fleet.Instance
	for z, n := range counts {
		for i := range n {
			az := fmt.Sprintf("us-east-1%c", 'a'+z)
			out = append(out, fleet.Instance{
				ID: fmt.Sprintf("i-%c%016d", 'a'+z, i), AZ: az, State: fleet.StateRunning, Region: "us-east-1",
				Tags: map[string]string{"gameday": "opt-in", "app": []string{"web", "db"}[i%2]},
			})
		}
	}
	return out
}

func TestSelectionSize(t *testing.T) {
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
			if got != tt.want || !strings.HasSuffix(rule, fmt.Sprintf("= %d", tt.want)) {
				t.Errorf("SelectionSize = %d (%s), want %d", got, rule, tt.want)
			}
		})
	}
}

func TestSelectionIsSpreadOverAZsInProportion(t *testing.T) {
	// 10, 6 and 4 eligible; 50% = 10 selected: 5, 3, 2.
	p := build(t, simple(scenario.BlastRadius{Percent: pct(50)}, scenario.Waves{}), zoneFleet(10, 6, 4), 1)
	got := azText(fleet.CountByAZ(p.Phases[0].Selected))
	if want := "us-east-1a 5, us-east-1b 3, us-east-1c 2"; got != want {
		t.Errorf("selected per AZ %q, want %q", got, want)
	}
	// 7 of 3+3+3: remainders tie, the first AZs by name get the extra one.
	p = build(t, simple(scenario.BlastRadius{Count: ptr(7)}, scenario.Waves{}), zoneFleet(3, 3, 3), 1)
	if got, want := azText(fleet.CountByAZ(p.Phases[0].Selected)), "us-east-1a 3, us-east-1b 2, us-east-1c 2"; got != want {
		t.Errorf("selected per AZ %q, want %q", got, want)
	}
}

func TestPerAZPercentages(t *testing.T) {
	b := scenario.BlastRadius{PerAZ: map[string]scenario.Percent{"us-east-1a": {Value: 100}, "*": {Value: 10}}}
	p := build(t, simple(b, scenario.Waves{}), zoneFleet(8, 20, 5), 1)
	// a: 100% of 8; b: 10% of 20 = 2; c: 10% of 5 rounds to 0, at least 1.
	if got, want := azText(fleet.CountByAZ(p.Phases[0].Selected)), "us-east-1a 8, us-east-1b 2, us-east-1c 1"; got != want {
		t.Errorf("per AZ %q, want %q (rule %s)", got, want, p.Phases[0].SelectionRule)
	}
	b.MaxInstances = ptr(5)
	p = build(t, simple(b, scenario.Waves{}), zoneFleet(8, 20, 5), 1)
	// 11 capped to 5 in proportion 8:2:1: 3.64, 0.91, 0.45; floors 3, 0, 0;
	// the two largest remainders (b, then a) get the 2 left.
	if got, want := azText(fleet.CountByAZ(p.Phases[0].Selected)), "us-east-1a 4, us-east-1b 1"; got != want {
		t.Errorf("capped per AZ %q, want %q", got, want)
	}
}

func TestCapacityFloorCapsEachWaveWhenWavesWaitForHealth(t *testing.T) {
	floor := &scenario.CapacityFloor{PerAZ: &scenario.Quantity{Percent: pct(75)}}
	s := simple(scenario.BlastRadius{All: true, MinHealthyRemaining: floor}, scenario.Waves{Count: 1})
	p := build(t, s, zoneFleet(8, 4), 1)
	ph := p.Phases[0]
	// Keep 75%: a keeps 6 of 8 (2 down at once), b keeps 3 of 4 (1 down).
	if len(ph.Selected) != 12 {
		t.Fatalf("selected %d, want all 12 (a gated floor limits waves, not the selection)", len(ph.Selected))
	}
	for _, w := range ph.Waves {
		for _, c := range fleet.CountByAZ(w.Instances) {
			if (c.AZ == "us-east-1a" && c.Count > 2) || (c.AZ == "us-east-1b" && c.Count > 1) {
				t.Errorf("wave %d takes %d down in %s, beyond the floor", w.Index, c.Count, c.AZ)
			}
		}
	}
	if len(ph.Waves) != 4 || len(ph.Notes) == 0 {
		t.Errorf("%d waves, notes %v; want 4 waves and a note about the split", len(ph.Waves), ph.Notes)
	}
}

func TestCapacityFloorTrimsTheSelectionWhenDowntimeAccumulates(t *testing.T) {
	floor := &scenario.CapacityFloor{PerTagGroup: &scenario.TagFloor{Tag: "app", Min: &scenario.Quantity{Count: 3}}}
	s := simple(scenario.BlastRadius{All: true, MinHealthyRemaining: floor}, scenario.Waves{Count: 2})
	s.Action = scenario.Action{Type: scenario.ActionStop, AllowLeaveStopped: true}
	p := build(t, s, zoneFleet(5, 5), 1) // 6 web and 4 db instances
	ph := p.Phases[0]
	groups := map[string]int{}
	for _, inst := range ph.Selected {
		groups[inst.Tags["app"]]++
	}
	if groups["web"] != 3 || groups["db"] != 1 {
		t.Errorf("stopped per group %v, want web 3 (6 - 3 kept) and db 1 (4 - 3 kept)", groups)
	}
	floored := 0
	for _, ex := range ph.Excluded {
		if ex.Floor && (strings.Contains(ex.Reason, "app=web must keep 3 of 6") || strings.Contains(ex.Reason, "app=db must keep 3 of 4")) {
			floored++
		}
	}
	if floored != 6 {
		t.Errorf("%d exclusions by the floor, want 6: %+v", floored, ph.Excluded)
	}
}

func TestWaveOrders(t *testing.T) {
	instances := zoneFleet(4, 4, 2)
	tests := []struct {
		order string
		waves scenario.Waves
		want  []string // per wave: AZ letters in order
	}{
		{scenario.OrderByAZ, scenario.Waves{Count: 3}, []string{"aaaa", "bbbb", "cc"}},
		{scenario.OrderByAZ, scenario.Waves{Size: 3}, []string{"aaa", "a", "bbb", "b", "cc"}},
		{scenario.OrderInterleaveAZ, scenario.Waves{Size: 3}, []string{"abc", "abc", "aba", "b"}},
		{scenario.OrderInterleaveAZ, scenario.Waves{Percent: pct(50)}, []string{"abcab", "cabab"}},
	}
	for _, tt := range tests {
		t.Run(tt.order, func(t *testing.T) {
			tt.waves.Order = tt.order
			p := build(t, simple(scenario.BlastRadius{All: true}, tt.waves), instances, 3)
			var got []string
			for _, w := range p.Phases[0].Waves {
				var b strings.Builder
				for _, inst := range w.Instances {
					b.WriteByte(inst.AZ[len(inst.AZ)-1])
				}
				got = append(got, b.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("waves %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPhasesNeverTakeAnInstanceTwice(t *testing.T) {
	s := simple(scenario.BlastRadius{Percent: pct(25)}, scenario.Waves{})
	s.Phases = []scenario.Phase{
		{Name: "first", After: &scenario.Duration{}},
		{Name: "second", AfterPhase: "first", BlastRadius: &scenario.BlastRadius{Percent: pct(50)}},
		{Name: "third"},
	}
	p := build(t, s, zoneFleet(8, 8, 4), 5)
	seen := map[string]string{}
	sizes := []int{}
	for _, ph := range p.Phases {
		sizes = append(sizes, len(ph.Selected))
		for _, inst := range ph.Selected {
			if by, dup := seen[inst.ID]; dup {
				t.Fatalf("%s selected by %s and %s", inst.ID, by, ph.Name)
			}
			seen[inst.ID] = ph.Name
		}
	}
	// Shares are of the 20 eligible, taken from those left: 5, then 10, then 5.
	if !slices.Equal(sizes, []int{5, 10, 5}) {
		t.Errorf("phase sizes %v, want [5 10 5]", sizes)
	}
	if got := p.Phases[2].Start(); got != "when phase second has finished" {
		t.Errorf("third phase starts %q", got)
	}
}

func TestBuildExplainsEveryExclusion(t *testing.T) {
	tags := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	instances := []fleet.Instance{
		{ID: "i-1", AZ: "us-east-1a", State: "running", Tags: tags("app", "web", "gameday", "opt-in")},
		{ID: "i-2", AZ: "us-east-1a", State: "stopped", Tags: tags("app", "web", "gameday", "opt-in")},
		{ID: "i-3", AZ: "us-east-1b", State: "running", Tags: tags("app", "web", "gameday", "opt-in")},
		{ID: "i-4", AZ: "us-east-1a", State: "running", Tags: tags("app", "db", "gameday", "opt-in")},
		{ID: "i-5", AZ: "us-east-1a", State: "running", Tags: tags("app", "web")},
		{ID: "i-6", AZ: "us-east-1a", State: "running", Tags: tags("app", "web", "gameday", "opt-in", "tier", "legacy-2")},
	}
	s := simple(scenario.BlastRadius{All: true}, scenario.Waves{})
	s.Target = scenario.Target{Tags: tags("app", "web"), ExcludeTags: tags("tier", "legacy*"), AvailabilityZones: []string{"us-east-1a"}}
	p := build(t, s, instances, 1)
	want := map[string]string{
		"i-2": "state is stopped, not running",
		"i-3": "availability zone us-east-1b is not in the target",
		"i-4": `tag app does not match "web"`,
		"i-5": "not opted in: tag gameday=opt-in is missing",
		"i-6": "excluded tag tier=legacy-2",
	}
	for _, ex := range p.Phases[0].Excluded {
		if want[ex.Instance.ID] != ex.Reason {
			t.Errorf("%s excluded for %q, want %q", ex.Instance.ID, ex.Reason, want[ex.Instance.ID])
		}
		delete(want, ex.Instance.ID)
	}
	if len(want) != 0 || !slices.Equal(fleet.IDs(p.Phases[0].Selected), []string{"i-1"}) {
		t.Errorf("missing exclusions %v; selected %v, want [i-1]", want, fleet.IDs(p.Phases[0].Selected))
	}
}

func TestBuildWithNothingEligibleSaysWhy(t *testing.T) {
	instances := []fleet.Instance{{ID: "i-1", State: "running", Tags: map[string]string{"app": "web"}}}
	s := simple(scenario.BlastRadius{All: true}, scenario.Waves{})
	_, err := Build(Input{Scenario: s, Instances: [][]fleet.Instance{instances}, Seed: 1})
	if !errors.Is(err, ErrEmptySelection) || !strings.Contains(err.Error(), "1: not opted in") {
		t.Errorf("err = %v, want ErrEmptySelection with the reason counted", err)
	}
}

func TestEvenSplitPutsTheRemainderFirst(t *testing.T) {
	var sizes []int
	for _, part := range evenSplit(make([]fleet.Instance, 10), 4) {
		sizes = append(sizes, len(part))
	}
	if !slices.Equal(sizes, []int{3, 3, 2, 2}) {
		t.Errorf("sizes %v, want [3 3 2 2]", sizes)
	}
	if got := evenSplit(make([]fleet.Instance, 2), 5); len(got) != 2 {
		t.Errorf("2 instances in 5 waves gave %d waves, want 2 (no empty waves)", len(got))
	}
}

func TestSpreadNeverExceedsAWeightAndSumsToN(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for range 1000 {
		weight := map[string]int{}
		total := 0
		for z := range 1 + rng.IntN(5) {
			weight[fmt.Sprint(z)] = rng.IntN(30)
			total += weight[fmt.Sprint(z)]
		}
		n := rng.IntN(total + 5)
		got := spread(n, weight)
		if sum(got) != min(n, total) {
			t.Fatalf("spread(%d, %v) = %v, sums to %d", n, weight, got, sum(got))
		}
		for k, v := range got {
			if v > weight[k] {
				t.Fatalf("spread(%d, %v) gives %s %d, above its weight", n, weight, k, v)
			}
		}
	}
}
