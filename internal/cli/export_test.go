package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gameday/internal/sim"
)

// exportGoldens are the golden exports of internal/fis (written by `go
// test ./internal/fis -update`), with the flags that produce them. The CLI
// must write the same bytes through the simulator's EC2 API that the fis
// package writes from an in-process plan.
var exportGoldens = []struct {
	name, scenario string
	args           []string
}{
	{"demo", "demo.yaml", nil},
	{"demo.instances", "demo.yaml", []string{"--targets", "instances"}},
	{"az-reboot-now", "az-reboot-now.yaml", nil},
	{"ci-gate", "ci-gate.yaml", nil},
	{"force-power-loss", "force-power-loss.yaml", nil},
	{"maintenance-window", "maintenance-window.yaml", nil},
	{"multi-phase-degradation", "multi-phase-degradation.yaml", nil},
	{"rolling-fleet-by-az", "rolling-fleet-by-az.yaml", nil},
	{"stop-start-capacity-floor", "stop-start-capacity-floor.yaml", []string{
		"--role-arn", "arn:aws:iam::123456789012:role/gameday-fis",
		"--stop-condition-alarm", "arn:aws:cloudwatch:us-east-1:123456789012:alarm:worker-queue-depth",
	}},
}

func warningLines(stderr string) string {
	var sb strings.Builder
	for _, line := range strings.SplitAfter(stderr, "\n") {
		if strings.HasPrefix(line, "warning: ") {
			sb.WriteString(line)
		}
	}
	return sb.String()
}

func TestExportFISWritesTheGoldenTemplates(t *testing.T) {
	t.Parallel()
	for _, g := range exportGoldens {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"export", "fis", filepath.Join("..", "..", "scenarios", g.scenario), "--sim", "--seed", "1"}, g.args...)
			res := runCLI(t, args...)
			if res.code != ExitMet {
				t.Fatalf("exit %d\n%s", res.code, res.stderr)
			}
			golden := filepath.Join("..", "fis", "testdata", "golden", g.name)
			want, err := os.ReadFile(golden + ".json")
			if err != nil {
				t.Fatal(err)
			}
			if res.stdout != string(want) {
				t.Errorf("stdout differs from %s.json:\n--- got\n%s--- want\n%s", golden, res.stdout, want)
			}
			wantWarnings, err := os.ReadFile(golden + ".warnings.txt")
			if err != nil {
				t.Fatal(err)
			}
			if got := warningLines(res.stderr); got != string(wantWarnings) {
				t.Errorf("warnings differ from %s.warnings.txt:\n--- got\n%s--- want\n%s", golden, got, wantWarnings)
			}
		})
	}
}

func TestExportFISOnlyReadsTheFleet(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 1)
	res := runCLI(t, "export", "fis", "../../scenarios/stop-start-capacity-floor.yaml", "--endpoint-url", f.url, "--seed", "1",
		"--targets", "instances")
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	var tpl struct {
		Targets map[string]struct {
			ResourceARNs []string `json:"resourceArns"`
		} `json:"targets"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &tpl); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tg := range tpl.Targets {
		for _, arn := range tg.ResourceARNs {
			n++
			if !strings.HasPrefix(arn, "arn:aws:ec2:us-east-1:123456789012:instance/i-") {
				t.Errorf("ARN %s: want the simulator's account and region", arn)
			}
		}
	}
	if n != 12 {
		t.Errorf("%d pinned instances, want the 12 workers of the plan", n)
	}
	for _, rec := range f.sim.Audit() {
		if rec.Action != "DescribeInstances" && rec.Action != "GetCallerIdentity" {
			t.Errorf("export made a %s call", rec.Action)
		}
	}
}

func TestExportFISOutputFileAndStrict(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "template.json")
	res := runCLI(t, "export", "fis", "../../scenarios/az-reboot-now.yaml", "--sim", "--seed", "1", "--output", out)
	if res.code != ExitMet || res.stdout != "" {
		t.Fatalf("exit %d, stdout %q\n%s", res.code, res.stdout, res.stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "fis", "testdata", "golden", "az-reboot-now.json"))
	if err != nil || string(got) != string(want) {
		t.Errorf("--output file differs from the golden (%v)", err)
	}

	strictOut := filepath.Join(dir, "strict.json")
	res = runCLI(t, "export", "fis", "../../scenarios/az-reboot-now.yaml", "--sim", "--seed", "1", "--strict", "--output", strictOut)
	if res.code != ExitInvalid || !strings.Contains(res.stderr, "5 warnings and --strict: no template written") {
		t.Errorf("--strict with warnings: exit %d, want %d\n%s", res.code, ExitInvalid, res.stderr)
	}
	if _, err := os.Stat(strictOut); !os.IsNotExist(err) {
		t.Errorf("--strict wrote %s (%v)", strictOut, err)
	}
	if !strings.Contains(res.stderr, "warning: no --role-arn") {
		t.Errorf("--strict should still print the warnings:\n%s", res.stderr)
	}
}

func TestExportFISUsageErrors(t *testing.T) {
	t.Parallel()
	twoRegions := writeScenario(t, `apiVersion: gameday/v1
name: two-regions
target: {regions: [us-east-1, us-west-2], tags: {app: web}}
blast_radius: {count: 1}
action: {type: reboot}
waves: {wait_for_healthy: false}
`)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no format", []string{"export"}, "name a format"},
		{"unknown format", []string{"export", "chaos-mesh"}, `unknown format "chaos-mesh"`},
		{"no scenario", []string{"export", "fis"}, "accepts 1 arg"},
		{"role is not an ARN", []string{"export", "fis", "../../scenarios/demo.yaml", "--sim", "--role-arn", "fis-role"}, `role ARN "fis-role"`},
		{"alarm is not an alarm", []string{"export", "fis", "../../scenarios/demo.yaml", "--sim", "--stop-condition-alarm", "arn:aws:sns:us-east-1:123456789012:t"}, "want a CloudWatch alarm ARN"},
		{"unknown target mode", []string{"export", "fis", "../../scenarios/demo.yaml", "--sim", "--targets", "arns"}, `targets "arns"`},
		{"several regions", []string{"export", "fis", twoRegions, "--sim"}, "an FIS experiment template acts in one region"},
		{"invalid scenario", []string{"export", "fis", "../../scenarios/missing.yaml", "--sim"}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := runCLI(t, tt.args...)
			if res.code != ExitInvalid || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, want %d with %q\n%s", res.code, ExitInvalid, tt.want, res.stderr)
			}
			if res.stdout != "" {
				t.Errorf("stdout %q, want nothing", res.stdout)
			}
		})
	}
}

func TestExportFISHelpNamesTheFlags(t *testing.T) {
	t.Parallel()
	res := runCLI(t, "export", "fis", "--help")
	for _, flag := range []string{"--role-arn", "--stop-condition-alarm", "--targets", "--assume-recovery", "--output", "--strict", "--sim", "--log-group-arn", "--experiment-options"} {
		if !strings.Contains(res.stdout, flag) {
			t.Errorf("help lacks %s", flag)
		}
	}
	if !slices.Contains([]int{ExitMet}, res.code) {
		t.Errorf("help exit %d", res.code)
	}
}
