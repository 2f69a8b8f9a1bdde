package score

import (
	"encoding/json"
	"math"
	"math/rand"
	"strings"
	"testing"
	"time"

	"gameday/internal/scenario"
)

func dur(v time.Duration) *scenario.Duration { return &scenario.Duration{Duration: v} }
func pct(v float64) *scenario.Percent        { return &scenario.Percent{Value: v} }
func num(v float64) *float64                 { return &v }

// TestComputeBreakdown checks every part, the score and each objective's
// measured value on cases computed by hand.
func TestComputeBreakdown(t *testing.T) {
	s := time.Second
	var oneToTwenty []Outcome
	for i := 1; i <= 20; i++ {
		oneToTwenty = append(oneToTwenty, Outcome{Observed: true, Recovered: true, Recovery: time.Duration(i) * s})
	}
	storefront := []ServiceOutcome{{Name: "storefront", OK: 190, Total: 200}, {Name: "db", OK: 199, Total: 200}}
	type part struct {
		name   string
		value  float64
		detail string
	}
	type objective struct {
		name  string
		met   bool
		value *float64 // MeasuredValue
		unit  string
	}
	tests := []struct {
		name      string
		outcomes  []Outcome
		services  []ServiceOutcome
		obj       scenario.Objectives
		wantScore float64
		wantParts []part
		wantObj   []objective
	}{
		{
			// recovery: 2 of 3 within 5 s = 66.67 -> 66.7.
			// recovery_time: p95 of {2, 3, 9} is rank ceil(0.95 x 3) = 3 -> 9 s;
			//   100 x 6/9 = 66.67 -> 66.7.
			// availability: storefront 190/200 = 95 (db 99.5 is higher) -> 95.
			// score: (66.7 + 66.7 + 95) / 3 = 228.4 / 3 = 76.13 -> 76.1.
			name:     "three parts, everything missed",
			outcomes: recovered(2*s, 3*s, 9*s), services: storefront,
			obj:       scenario.Objectives{RecoverAllWithin: dur(5 * s), RecoveryP95: dur(6 * s), Availability: pct(99)},
			wantScore: 76.1,
			wantParts: []part{
				{"recovery", 66.7, "2 of 3 instances recovered within 5s (recover_all_within)"},
				{"recovery_time", 66.7, "p95 9s vs objective 6s"},
				{"availability", 95, "lowest service availability: storefront 95% (190 of 200 probes ok) vs objective 99%"},
			},
			wantObj: []objective{
				{"availability", false, num(95), UnitPercent},
				{"recover_all_within", false, num(9), UnitSeconds},
				{"recovery_p95", false, num(9), UnitSeconds},
			},
		},
		{
			// recovery: limit is recovery_max 25 s, all 20 within -> 100.
			// recovery_time: p95 19 s vs 10 s -> 100 x 10/19 = 52.63 -> 52.6;
			//   max 20 s vs 25 s -> 100; the lower counts: 52.6.
			// score: (100 + 52.6) / 2 = 76.3.
			name:      "p95 and max, the lower counts",
			outcomes:  oneToTwenty,
			obj:       scenario.Objectives{RecoveryP95: dur(10 * s), RecoveryMax: dur(25 * s)},
			wantScore: 76.3,
			wantParts: []part{
				{"recovery", 100, "20 of 20 instances recovered within 25s (recovery_max)"},
				{"recovery_time", 52.6, "p95 19s vs objective 10s (52.6), max 20s vs objective 25s (100): the lower counts"},
			},
			wantObj: []objective{
				{"recovery_p95", false, num(19), UnitSeconds},
				{"recovery_max", true, num(20), UnitSeconds},
			},
		},
		{
			// recovery: no limit (p95 only), 3 of 4 recovered at all -> 75.
			// recovery_time: an instance never recovered -> 0.
			// score: (75 + 0) / 2 = 37.5.
			name:      "an instance never recovered zeroes recovery_time",
			outcomes:  append(recovered(s, s, s), Outcome{Observed: true}),
			obj:       scenario.Objectives{RecoveryP95: dur(time.Minute)},
			wantScore: 37.5,
			wantParts: []part{
				{"recovery", 75, "3 of 4 instances recovered (no recovery time objective set)"},
				{"recovery_time", 0, "1 of 4 instances never recovered: no recovery time to hold against p95 <= 1m0s"},
			},
			wantObj: []objective{{"recovery_p95", false, nil, UnitSeconds}},
		},
		{
			// recovery: 100 (all recovered, no limit); availability: 998/1000 = 99.8.
			// score: (100 + 99.8) / 2 = 99.9. No objective at all.
			name:      "no objectives: parts still computed and labelled",
			outcomes:  recovered(2*s, 4*s),
			services:  []ServiceOutcome{{Name: "web", OK: 998, Total: 1000}},
			wantScore: 99.9,
			wantParts: []part{
				{"recovery", 100, "2 of 2 instances recovered (no recovery time objective set)"},
				{"availability", 99.8, "lowest service availability: web 99.8% (998 of 1000 probes ok) (no availability objective set)"},
			},
		},
		{
			// No probe on instances: recovery and recovery_time weigh 0; the
			// availability part alone scores: 50/100 = 50.
			name:      "services only",
			outcomes:  []Outcome{{InstanceID: "i-1"}, {InstanceID: "i-2"}},
			services:  []ServiceOutcome{{Name: "api", OK: 50, Total: 100}},
			obj:       scenario.Objectives{RecoveryMax: dur(time.Minute), MinScore: num(60)},
			wantScore: 50,
			wantParts: []part{
				{"recovery", 0, "not measured: the scenario has no per-instance health check (verify.instance, ec2_status_checks or target_groups)"},
				{"recovery_time", 0, "not measured: the scenario has no per-instance health check (verify.instance, ec2_status_checks or target_groups)"},
				{"availability", 50, "lowest service availability: api 50% (50 of 100 probes ok) (no availability objective set)"},
			},
			wantObj: []objective{
				{"recovery_max", false, nil, UnitSeconds},
				{"min_score", false, num(50), UnitPoints},
			},
		},
		{
			// A zero objective: max 1 s vs 0 s -> 0 (no division by zero).
			// recovery: within recovery_max 0 s: only the 0 s one -> 1 of 2 = 50.
			// score: (50 + 0) / 2 = 25.
			name:      "zero target",
			outcomes:  recovered(0, s),
			obj:       scenario.Objectives{RecoveryMax: dur(0)},
			wantScore: 25,
			wantParts: []part{
				{"recovery", 50, "1 of 2 instances recovered within 0s (recovery_max)"},
				{"recovery_time", 0, "max 1s vs objective 0s"},
			},
			wantObj: []objective{{"recovery_max", false, num(1), UnitSeconds}},
		},
		{
			// recovery 100 (42.13 s within 1 min); recovery_time: p95 42.13 s
			// within 60 s -> 100; min_score 100 met with score 100.
			name:      "all within, min score met",
			outcomes:  recovered(42130 * time.Millisecond),
			obj:       scenario.Objectives{RecoverAllWithin: dur(time.Minute), RecoveryP95: dur(time.Minute), MinScore: num(100)},
			wantScore: 100,
			wantParts: []part{
				{"recovery", 100, "1 of 1 instances recovered within 1m0s (recover_all_within)"},
				{"recovery_time", 100, "p95 42.13s vs objective 1m0s"},
			},
			wantObj: []objective{
				{"recover_all_within", true, num(42.13), UnitSeconds},
				{"recovery_p95", true, num(42.13), UnitSeconds},
				{"min_score", true, num(100), UnitPoints},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(tt.outcomes, tt.services, tt.obj)
			if got.Value != tt.wantScore {
				t.Errorf("score %v, want %v (parts %+v)", got.Value, tt.wantScore, got.Parts)
			}
			if len(got.Parts) != len(tt.wantParts) {
				t.Fatalf("parts %+v, want %d", got.Parts, len(tt.wantParts))
			}
			for i, w := range tt.wantParts {
				p := got.Parts[i]
				if p.Name != w.name || p.Value != w.value || p.Detail != w.detail {
					t.Errorf("part %d = %s %v %q, want %s %v %q", i, p.Name, p.Value, p.Detail, w.name, w.value, w.detail)
				}
			}
			if len(got.Objectives) != len(tt.wantObj) {
				t.Fatalf("objectives %+v, want %d", got.Objectives, len(tt.wantObj))
			}
			met := true
			for i, w := range tt.wantObj {
				o := got.Objectives[i]
				met = met && w.met
				if o.Name != w.name || o.Met != w.met || o.Unit != w.unit || !sameValue(o.MeasuredValue, w.value) {
					t.Errorf("objective %d = %+v (value %v), want %+v (value %v)", i, o, deref(o.MeasuredValue), w, deref(w.value))
				}
			}
			if got.Met != met || got.NoObjectives != (len(tt.wantObj) == 0) {
				t.Errorf("met %v no objectives %v, want %v %v", got.Met, got.NoObjectives, met, len(tt.wantObj) == 0)
			}
		})
	}
}

func sameValue(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

func TestPartTargetAndMeasured(t *testing.T) {
	s := time.Second
	got := Compute(recovered(2*s, 3*s, 9*s), []ServiceOutcome{{Name: "web", OK: 9, Total: 10}},
		scenario.Objectives{RecoverAllWithin: dur(5 * s), RecoveryP95: dur(6 * s), RecoveryMax: dur(8 * s), Availability: pct(99.5)})
	want := [][2]string{
		{"all within 5s (recover_all_within)", "2 of 3 within 5s"},
		{"p95 <= 6s, max <= 8s", "p95 9s, max 9s"},
		{"99.5%", "web 90%"},
	}
	for i, w := range want {
		if got.Parts[i].Target != w[0] || got.Parts[i].Measured != w[1] {
			t.Errorf("part %s target %q measured %q, want %q %q", got.Parts[i].Name, got.Parts[i].Target, got.Parts[i].Measured, w[0], w[1])
		}
	}
	none := Compute(recovered(s), nil, scenario.Objectives{})
	if none.Parts[0].Target != "" || !strings.Contains(none.Parts[0].Detail, "no recovery time objective set") {
		t.Errorf("no objectives: part %+v, want no target and a label", none.Parts[0])
	}
	b, err := json.Marshal(none.Parts[0])
	if err != nil || strings.Contains(string(b), `"target"`) {
		t.Errorf("part JSON %s (%v): target should be omitted when unset", b, err)
	}
}

func TestTimeRatio(t *testing.T) {
	s := time.Second
	tests := []struct {
		measured, target time.Duration
		want             float64
	}{
		{0, 0, 100},
		{5 * s, 5 * s, 100}, // inclusive
		{10 * s, 5 * s, 50}, // twice the objective scores 50
		{40 * s, 10 * s, 25},
		{s, 0, 0},
		{s, -s, 0},
		{time.Duration(math.MaxInt64), s, 100 * float64(s) / float64(math.MaxInt64)},
	}
	for _, tt := range tests {
		if got := timeRatio(tt.measured, tt.target); got != tt.want {
			t.Errorf("timeRatio(%v, %v) = %v, want %v", tt.measured, tt.target, got, tt.want)
		}
	}
}

func TestClampAndRound(t *testing.T) {
	for in, want := range map[float64]float64{
		math.NaN(): 0, math.Inf(1): 100, math.Inf(-1): 0, -3: 0, 150: 100, 66.66: 66.7, 99.95: 100, 0.04: 0,
	} {
		if got := round1(in); got != want {
			t.Errorf("round1(%v) = %v, want %v", in, got, want)
		}
	}
}

// TestBounds: whatever the inputs, the score and every part stay within
// 0..100, nothing is NaN, and the score marshals to JSON.
func TestBounds(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	durations := []time.Duration{0, time.Nanosecond, time.Second, 59 * time.Second, time.Hour, -time.Second, time.Duration(math.MaxInt64)}
	pickDur := func() time.Duration {
		if rng.Intn(2) == 0 {
			return durations[rng.Intn(len(durations))]
		}
		return time.Duration(rng.Int63n(int64(10 * time.Minute)))
	}
	floats := []float64{0, 50, 99.9, 100, 101, -1, math.NaN(), math.Inf(1)}
	maybeDur := func() *scenario.Duration {
		if rng.Intn(2) == 0 {
			return nil
		}
		return dur(pickDur())
	}
	for i := 0; i < 5000; i++ {
		observed := rng.Intn(5) != 0
		var outcomes []Outcome
		for range rng.Intn(30) {
			outcomes = append(outcomes, Outcome{Observed: observed, Recovered: rng.Intn(4) != 0, Recovery: pickDur()})
		}
		var services []ServiceOutcome
		for j := range rng.Intn(4) {
			total := rng.Intn(1000) - 10
			services = append(services, ServiceOutcome{Name: string(rune('a' + j)), Total: total, OK: rng.Intn(1100) - 10})
		}
		obj := scenario.Objectives{RecoverAllWithin: maybeDur(), RecoveryP95: maybeDur(), RecoveryMax: maybeDur()}
		if rng.Intn(2) == 0 {
			obj.Availability = pct(floats[rng.Intn(len(floats))])
		}
		if rng.Intn(2) == 0 {
			obj.MinScore = num(floats[rng.Intn(len(floats))])
		}
		got := Compute(outcomes, services, obj)
		if !(got.Value >= 0 && got.Value <= 100) {
			t.Fatalf("case %d: score %v outside 0..100: %+v", i, got.Value, got)
		}
		for _, p := range got.Parts {
			if !(p.Value >= 0 && p.Value <= 100) || math.IsNaN(p.Weight) || p.Detail == "" {
				t.Fatalf("case %d: part %+v out of bounds or unexplained", i, p)
			}
		}
		if got.NoObjectives != (len(got.Objectives) == 0) {
			t.Fatalf("case %d: NoObjectives %v with %d objectives", i, got.NoObjectives, len(got.Objectives))
		}
		if _, err := json.Marshal(got); err != nil {
			t.Fatalf("case %d: marshal: %v (%+v)", i, err, got)
		}
		// Compare with itself never regresses, and never returns nil.
		if r := Compare(got, got); r == nil || len(r) != 0 {
			t.Fatalf("case %d: Compare with itself = %+v", i, r)
		}
	}
}

// TestDocsWorkedExample is the worked example of docs/scoring.md.
func TestDocsWorkedExample(t *testing.T) {
	s := time.Second
	services := []ServiceOutcome{{Name: "api", OK: 990, Total: 1000}, {Name: "web", OK: 390, Total: 400}}
	obj := scenario.Objectives{RecoverAllWithin: dur(5 * s), Availability: pct(99)}
	// (66.7 + 97.5) / 2 = 82.1.
	if got := Compute(recovered(2*s, 3*s, 9*s), services, obj); got.Value != 82.1 || got.Met {
		t.Errorf("score %v met %v, want 82.1, missed", got.Value, got.Met)
	}
	// With recovery_p95: 6s, (66.7 + 66.7 + 97.5) / 3 = 76.97 -> 77.
	obj.RecoveryP95 = dur(6 * s)
	got := Compute(recovered(2*s, 3*s, 9*s), services, obj)
	want := []string{
		"recovery 66.7: 2 of 3 instances recovered within 5s (recover_all_within)",
		"recovery_time 66.7: p95 9s vs objective 6s",
		"availability 97.5: lowest service availability: web 97.5% (390 of 400 probes ok) vs objective 99%",
	}
	if got.Value != 77 || len(got.Parts) != len(want) {
		t.Fatalf("score %v parts %+v, want 77", got.Value, got.Parts)
	}
	for i, p := range got.Parts {
		if line := p.Name + " " + formatNumber(p.Value) + ": " + p.Detail; line != want[i] {
			t.Errorf("breakdown %q, want %q", line, want[i])
		}
	}
}
