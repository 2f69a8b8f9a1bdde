package score

import (
	"encoding/json"
	"testing"
	"time"

	"gameday/internal/scenario"
)

// objective builds an ObjectiveResult with a measured value.
func objective(name, unit string, met bool, value float64) ObjectiveResult {
	return ObjectiveResult{Name: name, Unit: unit, Met: met, Target: "t", Measured: formatNumber(value), MeasuredValue: num(value)}
}

func scoreWith(value float64, objs ...ObjectiveResult) Score {
	return Score{Value: value, Objectives: objs}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name      string
		current   Score
		baseline  Score
		wantNames []string // objectives that regressed, in order
	}{
		{"nothing changed", scoreWith(90, objective("recovery_p95", UnitSeconds, true, 10)),
			scoreWith(90, objective("recovery_p95", UnitSeconds, true, 10)), nil},
		{"met then missed", scoreWith(90, objective("recover_all_within", UnitSeconds, false, 9)),
			scoreWith(90, objective("recover_all_within", UnitSeconds, true, 9)), []string{"recover_all_within"}},
		// 10 s -> 12 s: +2 s (>= 1 s) and +20% (> 10%).
		{"slower beyond tolerance", scoreWith(90, objective("recovery_p95", UnitSeconds, true, 12)),
			scoreWith(90, objective("recovery_p95", UnitSeconds, true, 10)), []string{"recovery_p95"}},
		// 10 s -> 10.9 s: +9%, within 10%.
		{"slower within 10%", scoreWith(90, objective("recovery_p95", UnitSeconds, true, 10.9)),
			scoreWith(90, objective("recovery_p95", UnitSeconds, true, 10)), nil},
		// 10 s -> 11 s: exactly +10% is not more than 10%.
		{"exactly 10% slower", scoreWith(90, objective("recovery_max", UnitSeconds, true, 11)),
			scoreWith(90, objective("recovery_max", UnitSeconds, true, 10)), nil},
		// 5 s -> 5.9 s: +18% but only 0.9 s.
		{"slower by under a second", scoreWith(90, objective("recovery_max", UnitSeconds, true, 5.9)),
			scoreWith(90, objective("recovery_max", UnitSeconds, true, 5)), nil},
		// 5 s -> 6 s: +20% and exactly 1 s: at least 1 s counts.
		{"slower by exactly a second", scoreWith(90, objective("recovery_max", UnitSeconds, true, 6)),
			scoreWith(90, objective("recovery_max", UnitSeconds, true, 5)), []string{"recovery_max"}},
		// 0 s -> 1 s: any slowdown from 0 is more than 10%.
		{"slower from zero", scoreWith(90, objective("recovery_max", UnitSeconds, true, 1)),
			scoreWith(90, objective("recovery_max", UnitSeconds, true, 0)), []string{"recovery_max"}},
		{"faster", scoreWith(90, objective("recovery_max", UnitSeconds, false, 20)),
			scoreWith(90, objective("recovery_max", UnitSeconds, false, 30)), nil},
		// 99.5% -> 99.4%: exactly 0.1 points lower is within tolerance.
		{"availability within 0.1", scoreWith(90, objective("availability", UnitPercent, true, 99.4)),
			scoreWith(90, objective("availability", UnitPercent, true, 99.5)), nil},
		// 99.5% -> 99.38%: 0.12 points lower.
		{"availability lower", scoreWith(90, objective("availability", UnitPercent, true, 99.38)),
			scoreWith(90, objective("availability", UnitPercent, true, 99.5)), []string{"availability"}},
		// 80 -> 79: exactly 1 point lower is within tolerance.
		{"score within a point", scoreWith(79), scoreWith(80), nil},
		// 80 -> 78.9: 1.1 points lower.
		{"score lower", scoreWith(78.9), scoreWith(80), []string{"score"}},
		{"score not compared when not scored", Score{NotScored: true}, scoreWith(80), nil},
		{"score not compared when the baseline was not scored", scoreWith(10), Score{NotScored: true}, nil},
		// min_score's value is the score: reported once, as "score".
		{"min_score numbers left to the score", scoreWith(70, objective("min_score", UnitPoints, true, 70)),
			scoreWith(90, objective("min_score", UnitPoints, true, 90)), []string{"score"}},
		{"min_score met then missed", scoreWith(70, objective("min_score", UnitPoints, false, 70)),
			scoreWith(90, objective("min_score", UnitPoints, true, 90)), []string{"min_score", "score"}},
		{"objective only in the current run", scoreWith(90, objective("recovery_p95", UnitSeconds, false, 100)),
			scoreWith(90, objective("recovery_max", UnitSeconds, true, 1)), nil},
		{"objective only in the baseline", scoreWith(90),
			scoreWith(90, objective("recovery_p95", UnitSeconds, true, 1)), nil},
		{"measured then lost", scoreWith(90, ObjectiveResult{Name: "recovery_max", Unit: UnitSeconds, Measured: "1 of 4 instances never recovered"}),
			scoreWith(90, objective("recovery_max", UnitSeconds, false, 20)), []string{"recovery_max"}},
		{"lost in both", scoreWith(90, ObjectiveResult{Name: "recovery_max", Unit: UnitSeconds}),
			scoreWith(90, ObjectiveResult{Name: "recovery_max", Unit: UnitSeconds}), nil},
		{"different units are not compared", scoreWith(90, objective("x", UnitPercent, true, 1)),
			scoreWith(90, objective("x", UnitSeconds, true, 100)), nil},
		{"order: current's objectives, then the score",
			scoreWith(50, objective("recovery_max", UnitSeconds, false, 30), objective("availability", UnitPercent, false, 90)),
			scoreWith(90, objective("availability", UnitPercent, true, 99), objective("recovery_max", UnitSeconds, true, 10)),
			[]string{"recovery_max", "availability", "score"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compare(tt.current, tt.baseline)
			if got == nil {
				t.Fatal("Compare returned nil, want a non-nil slice")
			}
			var names []string
			for _, r := range got {
				names = append(names, r.Objective)
				if r.Detail == "" {
					t.Errorf("regression %+v has no detail", r)
				}
			}
			if len(names) != len(tt.wantNames) {
				t.Fatalf("regressions %+v, want %v", got, tt.wantNames)
			}
			for i := range names {
				if names[i] != tt.wantNames[i] {
					t.Fatalf("regressions %+v, want %v", got, tt.wantNames)
				}
			}
		})
	}
}

func TestCompareDetails(t *testing.T) {
	s := time.Second
	obj := scenario.Objectives{RecoverAllWithin: dur(30 * s), RecoveryP95: dur(time.Minute)}
	baseline := Compute(recovered(8*s, 10*s), nil, obj)
	current := Compute(recovered(8*s, 12500*time.Millisecond), nil, obj)
	// Both met; slowest 10 s -> 12.5 s: +2.5 s, +25%. p95 of two values is
	// the second: the same. Score 100 in both.
	got := Compare(current, baseline)
	want := []Regression{
		{Objective: "recover_all_within", Baseline: "slowest recovery 10s", Current: "slowest recovery 12.5s",
			Detail: "slower: 12.5s, was 10s (+2.5s, +25%; tolerance 10% and at least 1s)"},
		{Objective: "recovery_p95", Baseline: "10s", Current: "12.5s",
			Detail: "slower: 12.5s, was 10s (+2.5s, +25%; tolerance 10% and at least 1s)"},
	}
	if len(got) != len(want) {
		t.Fatalf("Compare = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("regression %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	// Met then missed, with the target tightened in between.
	tight := Compute(recovered(8*s, 10*s), nil, scenario.Objectives{RecoverAllWithin: dur(9 * s)})
	r := Compare(tight, baseline)
	// recover_all_within missed; score: recovery 1 of 2 = 50 vs 100.
	if len(r) != 2 || r[0].Detail != "met in the baseline, missed now (target was 30s, now 9s)" ||
		r[1] != (Regression{Objective: "score", Baseline: "100", Current: "50", Detail: "score lower: 50, was 100 (-50 points; tolerance 1)"}) {
		t.Errorf("Compare = %+v", r)
	}

	// Availability: 99.5% -> 99%.
	svc := func(ok int) []ServiceOutcome { return []ServiceOutcome{{Name: "web", OK: ok, Total: 1000}} }
	a := Compare(Compute(recovered(s), svc(990), scenario.Objectives{Availability: pct(95)}),
		Compute(recovered(s), svc(995), scenario.Objectives{Availability: pct(95)}))
	if len(a) != 1 || a[0].Objective != "availability" || a[0].Detail != "lower: 99%, was 99.5% (-0.5 points; tolerance 0.1)" {
		t.Errorf("availability regression %+v", a)
	}

	// An instance that never recovers now: the objective lost its value.
	lost := Compute(append(recovered(8*s), Outcome{Observed: true}), nil, obj)
	l := Compare(lost, baseline)
	if len(l) < 2 || l[0].Objective != "recover_all_within" || l[0].Current != "1 of 2 instances never recovered" {
		t.Errorf("lost instance regressions %+v", l)
	}

	b, err := json.Marshal(Compare(baseline, baseline))
	if err != nil || string(b) != "[]" {
		t.Errorf("no regression marshals as %s (%v), want []", b, err)
	}
}
