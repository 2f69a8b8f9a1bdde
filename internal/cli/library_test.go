package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gameday/internal/report"
	"gameday/internal/scenario"
	"gameday/internal/sim"
)

// The outage library (scenarios/library) is written for real fleets: real
// service URLs, schedules in real time zones, timelines of hours and days.
// These tests run every file against the simulated demo fleet the way a
// team would run it on staging: with --time-scale compressing the
// incident's timeline, and two edits a staging copy needs anyway:
//   - service URLs (https://NAME.example.com/...) point at the simulator's
//     load balancer of that name;
//   - a scheduled scenario gets a window that is open now (the schedule is
//     wall-clock time, which --time-scale does not touch), keeping
//     mode: scheduled so the window and not_after checks still run.
// Everything else runs as written.

// libraryCase is what a library scenario must do against the demo fleet.
type libraryCase struct {
	// scale is the --time-scale that brings its timeline to seconds.
	scale string
	// exit is the expected exit code; missed lists the objectives that
	// explain an exit 1.
	exit   int
	missed []string
	// stopStart: the scenario stops and starts instances (else reboots).
	stopStart bool
}

var libraryCases = map[string]libraryCase{
	// 130 hours of notice, zone slots and waves become about 4 s. One
	// instance per AZ (10% of 17) is rebooted and comes back.
	"xen-2014-rolling-reboot": {scale: "0.00001", exit: ExitMet},
	// db-01, the database primary, is in the impacted AZ: its stop takes the
	// db service, and the storefront that depends on it, down for the
	// fleet's 5 s failover. That is fleet time, which --time-scale does not
	// compress, in a run of about 25 s: the 97% availability objective is
	// missed, and only that one.
	"reboot-ahead-of-maintenance": {scale: "0.002", exit: ExitMissed, missed: []string{"availability"}, stopStart: true},
	// Every opted-in instance in 4 health-gated waves; no availability
	// objective (the db failover is accepted), so recovery decides: met.
	"immediate-mass-reboot": {scale: "0.01", exit: ExitMet},
	// us-east-1b holds a db replica and a third of the web tier: the
	// storefront keeps 24 of its 36 hosts and its primary, so 99.9% holds.
	"az-power-interruption": {scale: "0.001", exit: ExitMet, stopStart: true},
	// 85 hours become about 9 s; four hosts of us-east-1a are held stopped
	// in three cohorts and all come back.
	"ebs-2011-az-degradation": {scale: "0.00003", exit: ExitMet, stopStart: true},
	// Web hosts only, one per AZ at a time: the storefront never drops below
	// 33 healthy hosts nor slows past 500 ms, so the tight objectives hold.
	"peak-season-reboot": {scale: "0.002", exit: ExitMet},
}

const libraryDir = "../../scenarios/library"

func TestLibraryHasATestForEveryScenario(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(libraryDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".yaml"))
	}
	for _, name := range names {
		if _, ok := libraryCases[name]; !ok {
			t.Errorf("scenarios/library/%s.yaml has no case in libraryCases", name)
		}
	}
	for name := range libraryCases {
		if !slices.Contains(names, name) {
			t.Errorf("libraryCases has %s, which is not in scenarios/library", name)
		}
	}
}

// The runs wait on the fleet far more than they compute, so they go side
// by side in goroutines of their own rather than as parallel subtests,
// which -parallel would hold to the number of CPUs. Their starts are a
// little apart, so that their first rounds of probes (the steady-state
// check, which one slow probe fails) do not all land at once on a busy
// machine.
func TestLibraryScenariosRunAgainstTheSimulator(t *testing.T) {
	t.Parallel()
	var runs []*libraryRun
	for _, name := range slices.Sorted(maps.Keys(libraryCases)) {
		runs = append(runs, prepareLibraryRun(t, name, libraryCases[name]))
	}
	var wg sync.WaitGroup
	for i, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 750 * time.Millisecond)
			r.started = time.Now()
			r.res = runCLIConcurrently(r.args...)
			r.took = time.Since(r.started)
		}()
	}
	wg.Wait()
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) { r.check(t) })
	}
}

// libraryRun is one library scenario, ready to run against its own
// simulator, and then its outcome.
type libraryRun struct {
	name     string
	tc       libraryCase
	f        simFleet
	selected []string // what gameday plan selects, sorted
	runsDir  string
	args     []string
	started  time.Time // when its run began
	res      cliResult
	took     time.Duration
}

func prepareLibraryRun(t *testing.T, name string, tc libraryCase) *libraryRun {
	t.Helper()
	path := filepath.Join(libraryDir, name+".yaml")
	if res := runCLI(t, "validate", path); res.code != ExitMet {
		t.Fatalf("gameday validate %s: exit %d\n%s%s", path, res.code, res.stdout, res.stderr)
	}
	scn, err := scenario.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if scn.Name != name {
		t.Errorf("%s is named %q; name the file after the scenario", path, scn.Name)
	}
	r := &libraryRun{name: name, tc: tc, runsDir: t.TempDir()}
	r.f = startSim(t, sim.DemoFleet(), bootSeenBy(scn), 7)
	staging := stagingCopy(t, path, r.f.sim)
	r.selected = plannedInstances(t, staging, r.f.url)
	r.args = []string{"run", staging, "--endpoint-url", r.f.url, "--runs-dir", r.runsDir, "--time-scale", tc.scale,
		"--yes", "--poll-interval", "100ms"}
	return r
}

// runCLIConcurrently is runCLI for a goroutine that is not the test's.
func runCLIConcurrently(args ...string) cliResult {
	var out, errOut bytes.Buffer
	a := &app{in: strings.NewReader(""), out: &out, errOut: &errOut, exit: func(code int) {
		panic(fmt.Sprintf("exit(%d) called", code))
	}}
	code := a.run(context.Background(), args)
	return cliResult{code: code, stdout: out.String(), stderr: errOut.String()}
}

func (r *libraryRun) check(t *testing.T) {
	tc, res, selected := r.tc, r.res, r.selected
	if res.code != tc.exit {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", res.code, tc.exit, res.stdout, res.stderr)
	}
	rep := readOnlyReport(t, r.runsDir)
	wantStatus := map[int]string{ExitMet: report.StatusPassed, ExitMissed: report.StatusFailed}[tc.exit]
	if rep.Status != wantStatus {
		t.Errorf("status %s (%s), want %s", rep.Status, rep.Reason, wantStatus)
	}
	var missed []string
	for _, o := range rep.Score.Objectives {
		if !o.Met {
			missed = append(missed, o.Name)
		}
	}
	if !slices.Equal(missed, tc.missed) {
		t.Errorf("missed objectives %v, want %v: %+v", missed, tc.missed, rep.Score.Objectives)
	}

	// Acted on exactly what the plan selected, each once.
	var acted []string
	for _, inst := range rep.Instances {
		if inst.Acted {
			acted = append(acted, inst.InstanceID)
		}
		if !inst.Recovered {
			t.Errorf("%s (%s) did not recover", inst.InstanceID, inst.AZ)
		}
	}
	slices.Sort(acted)
	if len(selected) == 0 || !slices.Equal(acted, selected) {
		t.Errorf("acted on %v\nplan selected %v", acted, selected)
	}
	if rep.Fleet.Selected != len(selected) {
		t.Errorf("report selected %d, plan %d", rep.Fleet.Selected, len(selected))
	}
	s := r.f.sim
	calls := map[string]map[string]int{
		sim.ActionRebootInstances: s.RebootCounts(),
		sim.ActionStopInstances:   s.CallCounts(sim.ActionStopInstances),
		sim.ActionStartInstances:  s.CallCounts(sim.ActionStartInstances),
	}
	want := map[string]bool{sim.ActionRebootInstances: !tc.stopStart, sim.ActionStopInstances: tc.stopStart, sim.ActionStartInstances: tc.stopStart}
	for action, counts := range calls {
		var ids []string
		for id, n := range counts {
			ids = append(ids, id)
			if n != 1 {
				t.Errorf("%s named %s %d times, want once", action, id, n)
			}
		}
		slices.Sort(ids)
		switch {
		case want[action] && !slices.Equal(ids, selected):
			t.Errorf("%s named %v, want the selection %v", action, ids, selected)
		case !want[action] && len(ids) > 0:
			t.Errorf("%s named %v, want none", action, ids)
		}
	}
	allRunning(t, s)

	// The compression is on record.
	factor, err := strconv.ParseFloat(tc.scale, 64)
	if err != nil {
		t.Fatal(err)
	}
	if note := "(timeline scaled by " + scenario.FormatTimeScale(factor) + ")"; !strings.HasSuffix(rep.Scenario.Description, note) {
		t.Errorf("report description %q lacks %q", rep.Scenario.Description, note)
	}
	if !strings.Contains(res.stderr, "time scale") {
		t.Errorf("stderr does not log the time scale:\n%s", res.stderr)
	}
	t.Logf("%d instances, exit %d, score %.1f, run %.1fs (%s in gameday run)", len(selected), res.code,
		rep.Score.Value, rep.Seconds, r.took.Round(100*time.Millisecond))
}

// bootSeenBy gives the fleet boot timings the scenario's probes are sure
// to see: a host stays down (reboot, or boot after a start) for longer than
// one probe interval, so every action shows as a failed probe followed by
// a healthy one, and no recovery waits out the no-downtime grace.
func bootSeenBy(scn *scenario.Scenario) sim.BootSpec {
	interval := scenario.DefaultProbeInterval
	if p := scn.Verify.Instance; p != nil {
		interval = p.Interval.Duration
	}
	between := func(lo, hi float64) sim.Range {
		return sim.Range{Min: time.Duration(lo * float64(interval)), Max: time.Duration(hi * float64(interval))}
	}
	return sim.BootSpec{
		Down:     between(1.2, 1.5),
		Pending:  between(1.2, 1.5),
		Stopping: between(0.2, 0.3),
		Starting: between(0.1, 0.2),
	}
}

var (
	exampleService = regexp.MustCompile(`https://([a-z0-9-]+)\.example\.com/[^"\s]*`)
	scheduleBlock  = regexp.MustCompile(`(?m)^schedule:\n(?:[ \t]+.*\n|[ \t]*\n)*`)
)

// stagingCopy writes the scenario as a staging copy of it would read:
// service URLs on the simulator's load balancers, and a schedule whose
// window is open now.
func stagingCopy(t *testing.T, path string, s *sim.Sim) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := exampleService.ReplaceAllStringFunc(string(data), func(url string) string {
		name := exampleService.FindStringSubmatch(url)[1]
		sv, ok := s.Service(name)
		if !ok {
			t.Fatalf("%s probes service %q, which the demo fleet does not have", path, name)
		}
		return sv.URL
	})
	now := time.Now().UTC()
	text = scheduleBlock.ReplaceAllLiteralString(text, fmt.Sprintf(`schedule:
  mode: scheduled
  window: {start: "%s", duration: 2h}
  not_after: %s

`, now.Add(-time.Minute).Format("15:04"), now.Add(2*time.Hour).Format(time.RFC3339)))
	out := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// plannedInstances asks gameday plan, against the same simulator, which
// instances the scenario selects.
func plannedInstances(t *testing.T, path, endpoint string) []string {
	t.Helper()
	res := runCLI(t, "plan", path, "--endpoint-url", endpoint, "--output", "json")
	if res.code != ExitMet {
		t.Fatalf("gameday plan: exit %d\n%s", res.code, res.stderr)
	}
	var doc struct {
		Phases []struct {
			Selected int `json:"selected"`
			Waves    []struct {
				InstanceIDs []string `json:"instance_ids"`
			} `json:"waves"`
		} `json:"phases"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatalf("plan output: %v\n%s", err, res.stdout)
	}
	var ids []string
	for _, ph := range doc.Phases {
		n := 0
		for _, w := range ph.Waves {
			ids = append(ids, w.InstanceIDs...)
			n += len(w.InstanceIDs)
		}
		if n != ph.Selected {
			t.Errorf("plan: %d instances in waves, %d selected", n, ph.Selected)
		}
	}
	slices.Sort(ids)
	return ids
}

func TestTimeScaleFlagRejectsFactorsOutsideZeroToOne(t *testing.T) {
	t.Parallel()
	path := filepath.Join(libraryDir, "az-power-interruption.yaml")
	for _, f := range []string{"0", "-1", "1.5", "NaN"} {
		res := runCLI(t, "run", path, "--time-scale", f, "--endpoint-url", "http://127.0.0.1:1", "--runs-dir", t.TempDir())
		if res.code != ExitInvalid || !strings.Contains(res.stderr, "--time-scale") {
			t.Errorf("--time-scale %s: exit %d, want 2 naming the flag\n%s", f, res.code, res.stderr)
		}
	}
	if res := runCLI(t, "run", path, "--time-scale", "fast"); res.code != ExitInvalid {
		t.Errorf("--time-scale fast: exit %d, want 2", res.code)
	}
}

// The scaled values are the ones the run executes: a stop-start held for
// 82 minutes at --time-scale 0.001 keeps its instances stopped for about
// 4.9 s, which the simulator's audit shows between the stop and the start.
func TestTimeScaleShortensTheHoldTheRunExecutes(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 8)
	path := writeScenario(t, `apiVersion: gameday/v1
name: hold
target: {region: us-east-1, tags: {app: worker}}
blast_radius: {count: 1}
action: {type: stop-start, stopped_for: 82m}
waves: {count: 1, wait_for_healthy: false}
`)
	res := runCLI(t, "run", path, "--endpoint-url", f.url, "--runs-dir", t.TempDir(), "--time-scale", "0.001", "--poll-interval", "50ms")
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	var stopped, started time.Time
	for _, rec := range f.sim.Audit() {
		if rec.DryRun || rec.ErrorCode != "" {
			continue
		}
		switch rec.Action {
		case sim.ActionStopInstances:
			stopped = rec.Time
		case sim.ActionStartInstances:
			started = rec.Time
		}
	}
	if held := started.Sub(stopped); held < 4900*time.Millisecond || held > 30*time.Second {
		t.Errorf("held %s between stop and start, want about 4.92s (82m x 0.001)", held)
	}
	if !strings.Contains(res.stdout, "(timeline scaled by 0.001)") {
		t.Errorf("the run does not say its timeline was scaled:\n%s", res.stdout)
	}
}
