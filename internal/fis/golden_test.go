package fis

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/scenario"
	"gameday/internal/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// The account of the built-in simulated fleet, as STS reports it to
// `gameday export fis --sim`.
const simAccount = "123456789012"

// goldenSeed is the seed of every golden, like testdata/plans.
const goldenSeed = 1

// goldenCase is one golden export: a scenario of scenarios/ planned on the
// built-in fleet with seed 1, and the options `gameday export fis` would
// pass for the flags in Args. The CLI tests replay Args and expect the same
// bytes.
type goldenCase struct {
	Name     string
	Scenario string
	Args     []string
	Options  Options
}

const (
	exampleRole  = "arn:aws:iam::123456789012:role/gameday-fis"
	exampleAlarm = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:worker-queue-depth"
)

// goldenCases covers every example scenario once with the default flags,
// plus a pinned-instance export and one with a role and a stop condition.
var goldenCases = []goldenCase{
	{Name: "demo", Scenario: "demo.yaml"},
	{Name: "demo.instances", Scenario: "demo.yaml", Args: []string{"--targets", "instances"}, Options: Options{Targets: TargetsByInstance}},
	{Name: "az-reboot-now", Scenario: "az-reboot-now.yaml"},
	{Name: "ci-gate", Scenario: "ci-gate.yaml"},
	{Name: "force-power-loss", Scenario: "force-power-loss.yaml"},
	{Name: "maintenance-window", Scenario: "maintenance-window.yaml"},
	{Name: "multi-phase-degradation", Scenario: "multi-phase-degradation.yaml"},
	{Name: "rolling-fleet-by-az", Scenario: "rolling-fleet-by-az.yaml"},
	{Name: "stop-start-capacity-floor", Scenario: "stop-start-capacity-floor.yaml",
		Args:    []string{"--role-arn", exampleRole, "--stop-condition-alarm", exampleAlarm},
		Options: Options{RoleARN: exampleRole, StopConditionAlarms: []string{exampleAlarm}}},
}

func (c goldenCase) options() Options {
	o := c.Options
	o.Account = simAccount
	o.AssumedRecovery = plan.DefaultAssumedRecovery
	return o
}

func loadScenario(t *testing.T, file string) *scenario.Scenario {
	t.Helper()
	scn, err := scenario.Load(filepath.Join("..", "..", "scenarios", file))
	if err != nil {
		t.Fatal(err)
	}
	return scn
}

// simPlan plans scn on the built-in simulated fleet, as `gameday plan
// --sim --seed SEED` does (the simulator takes the same seed), without
// serving it: plan applies every targeting rule itself.
func simPlan(t *testing.T, scn *scenario.Scenario, seed uint64) *plan.Plan {
	t.Helper()
	s, err := sim.New(sim.DemoFleet(), sim.Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return planOn(t, scn, s.Instances(), seed)
}

func planOn(t *testing.T, scn *scenario.Scenario, instances []fleet.Instance, seed uint64) *plan.Plan {
	t.Helper()
	listings := make([][]fleet.Instance, len(scn.Steps()))
	for i := range listings {
		listings[i] = instances
	}
	p, err := plan.Build(plan.Input{Scenario: scn, Instances: listings, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// warningsText is how `gameday export fis` prints warnings on stderr.
func warningsText(warnings []string) string {
	var sb strings.Builder
	for _, w := range warnings {
		sb.WriteString("warning: " + w + "\n")
	}
	return sb.String()
}

func TestFISGoldenExports(t *testing.T) {
	t.Parallel()
	for _, c := range goldenCases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			scn := loadScenario(t, c.Scenario)
			res, err := Build(scn, simPlan(t, scn, goldenSeed), c.options())
			if err != nil {
				t.Fatal(err)
			}
			got, err := res.Template.JSON()
			if err != nil {
				t.Fatal(err)
			}
			checkShape(t, got)
			compareGolden(t, filepath.Join("testdata", "golden", c.Name+".json"), string(got))
			compareGolden(t, filepath.Join("testdata", "golden", c.Name+".warnings.txt"), warningsText(res.Warnings))
		})
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/fis -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test ./internal/fis -update to accept):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// TestBuildIsDeterministic: the same scenario, plan and options give the
// same bytes, whatever map order Go picks.
func TestFISBuildIsDeterministic(t *testing.T) {
	t.Parallel()
	scn := loadScenario(t, "multi-phase-degradation.yaml")
	p := simPlan(t, scn, 7)
	var first []byte
	for i := range 20 {
		res, err := Build(scn, p, Options{AssumedRecovery: plan.DefaultAssumedRecovery})
		if err != nil {
			t.Fatal(err)
		}
		got, err := res.Template.JSON()
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = got
		} else if string(got) != string(first) {
			t.Fatalf("run %d differs:\n%s\n---\n%s", i, got, first)
		}
	}
}
