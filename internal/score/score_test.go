package score

import (
	"testing"
	"time"

	"gameday/internal/scenario"
)

func recovered(d ...time.Duration) []Outcome {
	var out []Outcome
	for _, v := range d {
		out = append(out, Outcome{Observed: true, Recovered: true, Recovery: v})
	}
	return out
}

func within(d time.Duration) scenario.Objectives {
	return scenario.Objectives{RecoverAllWithin: &scenario.Duration{Duration: d}}
}

func TestCompute(t *testing.T) {
	s := time.Second
	tests := []struct {
		name         string
		outcomes     []Outcome
		obj          scenario.Objectives
		wantValue    float64
		wantMet      bool
		wantMeasured string
	}{
		{"all within", recovered(2*s, 3*s, 4*s), within(time.Minute), 100, true, "slowest recovery 4s"},
		{"exactly at the limit counts", recovered(60 * s), within(time.Minute), 100, true, "slowest recovery 1m0s"},
		// 2 of 3 within 5 s: 66.666... rounds to 66.7.
		{"one slow", recovered(2*s, 3*s, 9*s), within(5 * s), 66.7, false, "slowest recovery 9s"},
		{"one never recovered", append(recovered(2*s), Outcome{Observed: true}), within(time.Minute), 50, false, "1 of 2 instances never recovered"},
		{"none recovered", []Outcome{{Observed: true}, {Observed: true}}, within(time.Minute), 0, false, "2 of 2 instances never recovered"},
		{"nothing acted on", nil, within(time.Minute), 0, false, "no instance was acted on"},
		{"no objective, all recovered", recovered(90 * s), scenario.Objectives{}, 100, true, ""},
		{"no objective, 1 of 4 lost", append(recovered(s, s, s), Outcome{Observed: true}), scenario.Objectives{}, 75, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(tt.outcomes, nil, tt.obj)
			if got.Value != tt.wantValue || got.Met != tt.wantMet {
				t.Errorf("Compute = value %v met %v, want %v %v (%+v)", got.Value, got.Met, tt.wantValue, tt.wantMet, got)
			}
			if got.Value < 0 || got.Value > 100 {
				t.Errorf("score %v outside 0..100", got.Value)
			}
			if tt.obj.RecoverAllWithin == nil {
				if !got.NoObjectives || len(got.Objectives) != 0 {
					t.Errorf("want NoObjectives and no objective results, got %+v", got)
				}
				return
			}
			if len(got.Objectives) != 1 || got.Objectives[0].Measured != tt.wantMeasured || got.Objectives[0].Met != tt.wantMet {
				t.Errorf("objectives = %+v, want measured %q met %v", got.Objectives, tt.wantMeasured, tt.wantMet)
			}
		})
	}
}

func TestComputeWithoutAProbeIsNotScored(t *testing.T) {
	got := Compute([]Outcome{{InstanceID: "i-1"}, {InstanceID: "i-2"}}, nil, scenario.Objectives{})
	if !got.NotScored || got.Value != 0 || !got.Met || got.Parts[0].Weight != 0 {
		t.Errorf("Compute = %+v, want not scored, weight 0, met (no objectives)", got)
	}
	if got := Compute(nil, nil, scenario.Objectives{}); got.NotScored {
		t.Errorf("nothing acted on is scored 0, not 'not scored': %+v", got)
	}
}

func TestRecoveryStatsNearestRank(t *testing.T) {
	var outs []Outcome
	for i := 1; i <= 20; i++ {
		outs = append(outs, Outcome{Recovered: true, Recovery: time.Duration(i) * time.Second})
	}
	outs = append(outs, Outcome{Recovered: false}) // ignored
	got := RecoveryStats(outs)
	// 20 values 1..20 s: p50 rank ceil(10) = 10 s; p95 rank ceil(19) = 19 s.
	want := Stats{Count: 20, Min: time.Second, P50: 10 * time.Second, P95: 19 * time.Second, Max: 20 * time.Second}
	if got != want {
		t.Errorf("RecoveryStats = %+v, want %+v", got, want)
	}
	if one := RecoveryStats(recovered(7 * time.Second)); one.P50 != 7*time.Second || one.P95 != 7*time.Second {
		t.Errorf("single value stats = %+v", one)
	}
	if empty := RecoveryStats(nil); empty != (Stats{}) {
		t.Errorf("empty stats = %+v", empty)
	}
}

func TestRecoveryBoundsAndMinScore(t *testing.T) {
	s := time.Second
	d := func(v time.Duration) *scenario.Duration { return &scenario.Duration{Duration: v} }
	score := func(v float64) *float64 { return &v }
	// 20 recoveries of 1..20 s: p95 (rank 19) is 19 s, max 20 s.
	var outs []Outcome
	for i := 1; i <= 20; i++ {
		outs = append(outs, Outcome{Observed: true, Recovered: true, Recovery: time.Duration(i) * s})
	}
	tests := []struct {
		name      string
		obj       scenario.Objectives
		wantValue float64
		want      map[string]bool // objective -> met
	}{
		{"p95 met", scenario.Objectives{RecoveryP95: d(19 * s)}, 100, map[string]bool{"recovery_p95": true}},
		// recovery 100 (no limit: all recovered); recovery_time 100 x 18/19 =
		// 94.74 -> 94.7; mean (100 + 94.7) / 2 = 97.35 -> 97.4 (half rounds up).
		{"p95 missed", scenario.Objectives{RecoveryP95: d(18 * s)}, 97.4, map[string]bool{"recovery_p95": false}},
		// recovery_max also limits the score's recovery part: 15 of 20 = 75;
		// recovery_time: max 20 s vs 15 s = 100 x 15/20 = 75; mean 75.
		{"max missed, part counts within it", scenario.Objectives{RecoveryMax: d(15 * s)}, 75, map[string]bool{"recovery_max": false}},
		{"min score met", scenario.Objectives{RecoveryMax: d(15 * s), MinScore: score(75)}, 75,
			map[string]bool{"recovery_max": false, "min_score": true}},
		{"min score missed", scenario.Objectives{RecoverAllWithin: d(10 * s), MinScore: score(60)}, 50,
			map[string]bool{"recover_all_within": false, "min_score": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(outs, nil, tt.obj)
			if got.Value != tt.wantValue {
				t.Errorf("score %v, want %v", got.Value, tt.wantValue)
			}
			allMet := true
			for _, o := range got.Objectives {
				met, ok := tt.want[o.Name]
				if !ok || met != o.Met {
					t.Errorf("objective %s met=%v (%s), want %v", o.Name, o.Met, o.Measured, met)
				}
				allMet = allMet && o.Met
			}
			if len(got.Objectives) != len(tt.want) || got.Met != allMet {
				t.Errorf("objectives %+v, met %v", got.Objectives, got.Met)
			}
		})
	}
	lost := append(outs[:3:3], Outcome{Observed: true})
	if r := Compute(lost, nil, scenario.Objectives{RecoveryP95: d(time.Hour)}); r.Met || r.Objectives[0].Measured != "1 of 4 instances never recovered" {
		t.Errorf("p95 with an instance never recovered: %+v", r.Objectives)
	}
}

func TestAvailabilityPartAndObjective(t *testing.T) {
	outs := recovered(time.Second, time.Second)
	services := []ServiceOutcome{{Name: "storefront", OK: 190, Total: 200}, {Name: "db", OK: 199, Total: 200}}
	pct := func(v float64) *scenario.Percent { return &scenario.Percent{Value: v} }
	got := Compute(outs, services, scenario.Objectives{Availability: pct(99)})
	// Recovery 100 and availability 95 (the storefront, the lower one): mean 97.5.
	if got.Value != 97.5 || len(got.Parts) != 2 || got.Parts[1].Value != 95 {
		t.Errorf("score %v parts %+v, want 97.5 from recovery 100 and availability 95", got.Value, got.Parts)
	}
	o := got.Objectives[0]
	if o.Met || o.Measured != "storefront 95%, db 99.5%" || o.Target != "99%" {
		t.Errorf("availability objective %+v, want missed on the storefront", o)
	}
	if r := Compute(outs, services, scenario.Objectives{Availability: pct(95)}); !r.Met {
		t.Errorf("availability 95%% against 95%%: %+v, want met (inclusive)", r.Objectives)
	}
	if r := Compute(outs, nil, scenario.Objectives{Availability: pct(95)}); r.Met || r.Objectives[0].Measured != "no service was probed" {
		t.Errorf("no services: %+v", r.Objectives)
	}
}
