package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gameday/internal/plan"
	"gameday/internal/scenario"
)

const replaySamples = "../../testdata/replay/"

// cloudTrailSample is what testdata/replay/cloudtrail-s3.json records,
// read by hand from the file (zones from testdata/replay/instances.json):
// the successful RebootInstances, StopInstances and TerminateInstances
// calls, grouped by zone and action, with their offsets from the first one
// (2024-03-12T14:02:10Z).
var cloudTrailSample = []struct {
	offset     time.Duration
	az, action string
	count      int
	stoppedFor time.Duration
}{
	{0, "us-east-1a", "reboot", 6, 0},                                          // 14:02:10 4 + 14:02:30 2
	{3 * time.Minute, "us-east-1b", "stop-start", 4, 170 * time.Second},        // 14:05:10 3 + 14:05:50 1; started 14:08:00 and 14:08:10
	{8 * time.Minute, "us-east-1c", "reboot", 7, 0},                            // 14:10:10 5 + 14:10:40 2
	{11 * time.Minute, "us-east-1a", "force-stop-start", 2, 150 * time.Second}, // 14:13:10, started 14:15:40
	{12 * time.Minute, "us-east-1c", "stop-start", 1, 30 * time.Minute},        // 14:14:10 TerminateInstances (auto scaling)
	{15 * time.Minute, "us-east-1c", "stop-start", 2, 30 * time.Minute},        // 14:17:10, never started again
	{17 * time.Minute, "us-east-1b", "reboot", 3, 0},                           // 14:19:10 3 + 14:19:15 one of them again
	{19*time.Minute + 30*time.Second, "us-east-1a", "reboot", 1, 0},            // 14:21:40
}

// TestReplayCloudTrailSampleReproducesPerAZCountsAndTiming is the
// acceptance test of gameday replay: the scenario built from the CloudTrail
// sample, planned against the simulated demo fleet, selects per phase the
// sample's number of instances in the sample's zone, and starts each phase
// at the sample's offset (scaled).
func TestReplayCloudTrailSampleReproducesPerAZCountsAndTiming(t *testing.T) {
	t.Parallel()
	for _, timeScale := range []float64{1, 0.1} {
		t.Run(fmt.Sprintf("time-scale %g", timeScale), func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "replay.yaml")
			res := runCLI(t, "replay", replaySamples+"cloudtrail-s3.json", "--instances", replaySamples+"instances.json",
				"--tag", "app=web", "--time-scale", fmt.Sprint(timeScale), "--output", out)
			if res.code != ExitMet {
				t.Fatalf("replay: exit %d\n%s", res.code, res.stderr)
			}
			scn, err := scenario.Load(out)
			if err != nil {
				t.Fatalf("the replayed scenario does not load: %v", err)
			}
			res = runCLI(t, "plan", out, "--sim", "--seed", "1", "--output", "json")
			if res.code != ExitMet {
				t.Fatalf("plan: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
			}
			var doc plan.Document
			if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Phases) != len(cloudTrailSample) || len(doc.Estimate.Phases) != len(cloudTrailSample) {
				t.Fatalf("%d phases (%d timed), want %d", len(doc.Phases), len(doc.Estimate.Phases), len(cloudTrailSample))
			}
			steps := scn.Steps()
			perAZ := map[string]int{}
			for i, want := range cloudTrailSample {
				ph, timing, step := doc.Phases[i], doc.Estimate.Phases[i], steps[i]
				gotAZ := fmt.Sprint(ph.SelectedPerAZ)
				wantAZ := fmt.Sprintf("[{%s %d}]", want.az, want.count)
				if gotAZ != wantAZ || ph.Action != want.action {
					t.Errorf("phase %d (%s): selected %s %s, want %s %s", i+1, ph.Name, ph.Action, gotAZ, want.action, wantAZ)
				}
				wantStart := time.Duration(float64(want.offset) * timeScale)
				if got := time.Duration(timing.StartSeconds * float64(time.Second)); timing.Name != ph.Name || got != wantStart {
					t.Errorf("phase %d (%s): starts at %s, want %s", i+1, timing.Name, got, wantStart)
				}
				wantStopped := want.stoppedFor
				if want.stoppedFor != 30*time.Minute { // --open-stop-for is not scaled
					wantStopped = time.Duration(float64(want.stoppedFor) * timeScale)
				}
				if got := step.Action.StoppedFor.Duration; got != wantStopped {
					t.Errorf("phase %d (%s): stopped_for %s, want %s", i+1, ph.Name, got, wantStopped)
				}
				for _, c := range ph.SelectedPerAZ {
					perAZ[c.AZ] += c.Count
				}
			}
			// The incident's totals per zone: 9, 7 and 10 web hosts.
			if got := fmt.Sprint(perAZ); got != "map[us-east-1a:9 us-east-1b:7 us-east-1c:10]" {
				t.Errorf("selected per zone over the whole replay: %s", got)
			}
		})
	}
}

// TestReplayEverySampleValidatesAndPlans runs each sample format through
// replay (to stdout), validate and plan --sim.
func TestReplayEverySampleValidatesAndPlans(t *testing.T) {
	t.Parallel()
	for _, sample := range []string{"cloudtrail-s3.json", "lookup-events.json", "eventbridge.jsonl", "timeline.csv"} {
		t.Run(sample, func(t *testing.T) {
			t.Parallel()
			res := runCLI(t, "replay", replaySamples+sample, "--instances", replaySamples+"instances.json", "--tag", "app=web")
			if res.code != ExitMet {
				t.Fatalf("replay: exit %d\n%s", res.code, res.stderr)
			}
			if !strings.Contains(res.stdout, "apiVersion: gameday/v1") || !strings.Contains(res.stderr, "replay: "+replaySamples+sample) {
				t.Errorf("want the scenario on stdout and the summary on stderr:\n--- stdout\n%s--- stderr\n%s", res.stdout, res.stderr)
			}
			path := writeScenario(t, res.stdout)
			if v := runCLI(t, "validate", path); v.code != ExitMet {
				t.Fatalf("validate: exit %d\n%s", v.code, v.stdout)
			}
			if p := runCLI(t, "plan", path, "--sim", "--seed", "1"); p.code != ExitMet {
				t.Fatalf("plan: exit %d\n%s\n%s", p.code, p.stdout, p.stderr)
			}
		})
	}
}

func TestReplaySummaryCountsWhatWasSkipped(t *testing.T) {
	t.Parallel()
	res := runCLI(t, "replay", replaySamples+"cloudtrail-s3.json", "--tag", "app=web", "--az-of", "i-052bfc29107353e20=us-east-1a")
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	for _, want := range []string{
		"cloudtrail, 40 records: 15 used, 25 skipped",
		"17 read-only calls (DescribeInstances 12",
		"4 failed calls (",
		"StopInstances Client.DryRunOperation 1",
		"time span  2024-03-12T14:02:10Z to 2024-03-12T14:21:40Z (19m30s)",
		// Without --instances only the one --az-of zone is known.
		"warning: the zone of 25 instances is unknown",
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, res.stderr)
		}
	}
}

func TestReplayRejectsBadInputWithExitCode2(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("time,target,event\n2024-08-07T03:10:00Z,us-east-1a,reboot\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ct := replaySamples + "cloudtrail-s3.json"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{"replay", filepath.Join(dir, "nope.json")}, "no such file"},
		{"malformed CSV", []string{"replay", bad}, "bad.csv:2: target us-east-1a is a zone"},
		{"unknown format", []string{"replay", ct, "--format", "xml"}, `--format "xml"`},
		{"forced wrong format", []string{"replay", ct, "--format", "csv"}, "cloudtrail-s3.json"},
		{"bad tag", []string{"replay", ct, "--tag", "app"}, `--tag "app": want KEY=VALUE`},
		{"bad az-of", []string{"replay", ct, "--az-of", "i-1=mars"}, "--az-of"},
		{"bad fleet size", []string{"replay", ct, "--original-fleet-size", "us-east-1a=lots"}, "--original-fleet-size"},
		{"percent without sizes", []string{"replay", ct, "--scale", "percent", "--region", "us-east-1"}, "--original-fleet-size"},
		{"time scale 0", []string{"replay", ct, "--time-scale", "0"}, "time scale 0"},
		{"instances not describe-instances", []string{"replay", ct, "--instances", ct}, "--instances"},
		{"no argument", []string{"replay"}, "accepts 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := runCLI(t, tt.args...)
			if res.code != ExitInvalid || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, want %d with %q in stderr:\n%s", res.code, ExitInvalid, tt.want, res.stderr)
			}
			if res.stdout != "" {
				t.Errorf("nothing should reach stdout:\n%s", res.stdout)
			}
		})
	}
}

func TestReplayScalePercentAndTargetZones(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "r.yaml")
	res := runCLI(t, "replay", replaySamples+"lookup-events.json", "--instances", replaySamples+"instances.json",
		"--scale", "percent", "--target-azs", "us-west-2a,us-west-2b,us-west-2c", "--tag", "app=web", "--target-tags", "team=sre",
		"--name", "rolling-restart", "-o", out)
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	scn, err := scenario.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range scn.Steps() {
		got = append(got, fmt.Sprintf("%s %s %v %s %s", st.Name, st.Target.Region, st.Target.AvailabilityZones,
			st.BlastRadius.Percent, st.Target.Tags))
	}
	// The original zones hold 15 instances each (12 web, 3 workers).
	want := []string{
		"p01-us-west-2a-reboot us-west-2 [us-west-2a] 20% map[app:web team:sre]",
		"p02-us-west-2b-reboot us-west-2 [us-west-2b] 20% map[app:web team:sre]",
		"p03-us-west-2c-reboot us-west-2 [us-west-2c] 13.33% map[app:web team:sre]",
		"p04-us-west-2c-stop-start us-west-2 [us-west-2c] 6.67% map[app:web team:sre]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || scn.Name != "rolling-restart" {
		t.Errorf("name %s, steps:\n%s\nwant:\n%s", scn.Name, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
