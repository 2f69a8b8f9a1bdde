package cli

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gameday/internal/plan"
	"gameday/internal/sim"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// TestEveryScenarioValidatesAndPlansAgainstTheSimulator keeps the examples
// honest: each one loads and resolves to a non-empty plan on the built-in
// fleet, and its text plan matches testdata/plans/NAME.txt (-update to
// accept a change).
func TestEveryScenarioValidatesAndPlansAgainstTheSimulator(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios found: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if res := runCLI(t, "validate", file); res.code != ExitMet {
				t.Fatalf("validate: exit %d\n%s", res.code, res.stdout)
			}
			res := runCLI(t, "plan", file, "--sim", "--seed", "1", "--show-instances")
			if res.code != ExitMet {
				t.Fatalf("plan: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
			}
			golden := filepath.Join("..", "..", "testdata", "plans", name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(res.stdout), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/cli -run Scenario -update)", err)
			}
			if res.stdout != string(want) {
				t.Errorf("plan of %s differs from %s (-update to accept):\n--- got\n%s--- want\n%s", file, golden, res.stdout, want)
			}
		})
	}
}

func TestPlanJSONIsTheSameForTheSameSeedAndTouchesNothing(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 2)
	args := []string{"plan", "../../scenarios/demo.yaml", "--endpoint-url", f.url, "--seed", "9", "--output", "json"}
	first, second := runCLI(t, args...), runCLI(t, args...)
	if first.code != ExitMet || first.stdout != second.stdout {
		t.Fatalf("exit %d; same seed gave different JSON:\n%s\n---\n%s", first.code, first.stdout, second.stdout)
	}
	var doc struct {
		Account string `json:"account"`
		plan.Document
	}
	if err := json.Unmarshal([]byte(first.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	ph := doc.Phases[0]
	if doc.Account != "123456789012" || doc.Seed != 9 || ph.Selected != 18 || len(ph.Waves) != 3 || len(ph.Excluded) != 12 {
		t.Errorf("plan document: account %s seed %d selected %d waves %d excluded %d", doc.Account, doc.Seed, ph.Selected, len(ph.Waves), len(ph.Excluded))
	}
	for _, rec := range f.sim.Audit() {
		if rec.Action != "DescribeInstances" && rec.Action != "GetCallerIdentity" {
			t.Errorf("plan made a %s call", rec.Action)
		}
	}
	other := runCLI(t, "plan", "../../scenarios/demo.yaml", "--endpoint-url", f.url, "--seed", "10", "--output", "json")
	if other.stdout == first.stdout {
		t.Error("a different seed gave the same plan")
	}
}

func TestPlanErrors(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 2)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"bad output", []string{"plan", "../../scenarios/demo.yaml", "--sim", "--output", "xml"}, ExitInvalid},
		{"selects nothing", []string{"plan", writeScenario(t, scenarioWith("nothing", "1m", "1m")), "--endpoint-url", f.url}, ExitInvalid},
		{"unreachable endpoint", []string{"plan", "../../scenarios/demo.yaml", "--endpoint-url", "http://127.0.0.1:1"}, ExitInfrastructure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if res := runCLI(t, tt.args...); res.code != tt.want {
				t.Errorf("exit %d, want %d\n%s", res.code, tt.want, res.stderr)
			}
		})
	}
}

// plan --time-scale shows the timeline run --time-scale would follow.
func TestPlanTimeScale(t *testing.T) {
	res := runCLI(t, "plan", "../../scenarios/multi-phase-degradation.yaml", "--sim", "--seed", "1", "--time-scale", "0.5")
	if res.code != ExitMet || !strings.Contains(res.stdout, "phase spreading: stop-start, 2m30s after the start of the run") {
		t.Errorf("exit %d, want phase spreading halved from 5m to 2m30s:\n%s%s", res.code, res.stdout, res.stderr)
	}
	if bad := runCLI(t, "plan", "../../scenarios/demo.yaml", "--sim", "--time-scale", "2"); bad.code != ExitInvalid {
		t.Errorf("--time-scale 2: exit %d, want %d", bad.code, ExitInvalid)
	}
}
