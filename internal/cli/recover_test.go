package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gameday/internal/fleet"
	"gameday/internal/journal"
	"gameday/internal/sim"
)

// These tests stand in for a gameday run killed in the middle of a
// stop-start wave: the instances are stopped and tagged in the simulator
// as the run would have, and its journal is written by hand through the
// journal's Writer. gameday recover then goes through the real provider,
// the AWS SDK and the simulator's EC2 API.

// stopStartBoot gives stops and starts a visible stopping and pending phase.
func stopStartBoot() sim.BootSpec {
	b := fastBoot()
	b.Stopping = sim.Range{Min: 200 * time.Millisecond, Max: 400 * time.Millisecond}
	b.Pending = sim.Range{Min: 100 * time.Millisecond, Max: 300 * time.Millisecond}
	return b
}

// killedRun is a run's journal, written by hand.
type killedRun struct {
	t     *testing.T
	runs  string
	id    string
	w     *journal.Writer
	f     simFleet
	start journal.Start
}

func newKilledRun(t *testing.T, f simFleet, runs, id string) *killedRun {
	t.Helper()
	w, err := journal.Create(runs, id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	k := &killedRun{t: t, runs: runs, id: id, w: w, f: f, start: journal.Start{RunID: id, Scenario: "stop-start",
		Seed: 1, GamedayVersion: "test", Regions: []string{"us-east-1"}, Account: f.sim.AccountID(), Endpoint: f.url}}
	return k
}

func (k *killedRun) add(r journal.Record) uint64 {
	k.t.Helper()
	seq, err := k.w.AppendSeq(r)
	if err != nil {
		k.t.Fatal(err)
	}
	return seq
}

// begin writes the start and plan records.
func (k *killedRun) begin(insts []fleet.Instance) {
	k.add(journal.Record{Start: &k.start})
	wave := journal.PlanWave{Index: 1}
	for _, inst := range insts {
		wave.Instances = append(wave.Instances, journal.PlanInstance{ID: inst.ID, Region: "us-east-1", AZ: inst.AZ})
	}
	k.add(journal.Record{Plan: &journal.Plan{Phases: []journal.PlanPhase{{Name: "main", Action: "stop-start", Waves: []journal.PlanWave{wave}}}}})
}

// call journals a mutating call and its outcome.
func (k *killedRun) call(region string, action fleet.Action, ids []string, tags map[string]string) {
	seq := k.add(journal.Record{Intent: &journal.Intent{Action: action, Region: region, IDs: ids, Phase: "main", Wave: 1, Tags: tags}})
	k.add(journal.Record{Outcome: &journal.Outcome{Intent: seq, Result: journal.ResultOK}})
}

// tagAndStop does to ids what the run does before its crash, in the
// simulator and in the journal: tag, then stop.
func (k *killedRun) tagAndStop(ids []string, restoreBy time.Time) {
	k.t.Helper()
	k.tagAndStopIn("us-east-1", ids, restoreBy)
}

func (k *killedRun) tagAndStopIn(region string, ids []string, restoreBy time.Time) {
	k.t.Helper()
	tags := journal.DeadManTags(k.id, restoreBy)
	k.call(region, fleet.ActionTag, ids, tags)
	if err := k.f.sim.CreateTags(ids, []sim.Tag{{Key: journal.TagRunID, Value: k.id}, {Key: journal.TagRestoreBy, Value: tags[journal.TagRestoreBy]}}); err != nil {
		k.t.Fatal(err)
	}
	k.call(region, fleet.ActionStop, ids, nil)
	if _, err := k.f.sim.StopInstances(ids, false); err != nil {
		k.t.Fatal(err)
	}
}

// kill releases the journal as a dead process would.
func (k *killedRun) kill() { k.w.Close() }

func (k *killedRun) summary() journal.Summary {
	k.t.Helper()
	recs, _, err := journal.Read(journal.Path(k.runs, k.id))
	if err != nil {
		k.t.Fatal(err)
	}
	return journal.Summarize(recs)
}

func webInstances(t *testing.T, f simFleet, n int) []fleet.Instance {
	t.Helper()
	var out []fleet.Instance
	for _, inst := range f.sim.Instances() {
		if inst.Tags["app"] == "web" && inst.Tags["gameday"] == "opt-in" && len(out) < n {
			out = append(out, inst)
		}
	}
	return out
}

func instanceStates(f simFleet, ids []string) (states map[string]string, tagged []string) {
	states = map[string]string{}
	for _, inst := range f.sim.Instances() {
		if slices.Contains(ids, inst.ID) {
			states[inst.ID] = inst.State
		}
		if _, ok := inst.Tags[journal.TagRunID]; ok && slices.Contains(ids, inst.ID) {
			tagged = append(tagged, inst.ID)
		}
	}
	return states, tagged
}

func assertAllRunningUntagged(t *testing.T, f simFleet, ids []string) {
	t.Helper()
	states, tagged := instanceStates(f, ids)
	for _, id := range ids {
		if states[id] != fleet.StateRunning {
			t.Errorf("%s is %s, want running", id, states[id])
		}
	}
	if len(tagged) > 0 {
		t.Errorf("instances still tagged: %v", tagged)
	}
}

func startCalls(f simFleet) int {
	n := 0
	for _, c := range f.sim.CallCounts(sim.ActionStartInstances) {
		n += c
	}
	return n
}

func TestRecoverBringsBackWhatAKilledRunLeftStoppedAndIsIdempotent(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), stopStartBoot(), 21)
	runs := t.TempDir()
	insts := webInstances(t, f, 7)
	ids := fleet.IDs(insts)
	k := newKilledRun(t, f, runs, "20261122T180000Z-stop-start-dead")
	k.begin(insts)
	// Two waves: the first stopped by now, the second still stopping.
	k.tagAndStop(ids[:3], time.Now().Add(time.Hour))
	time.Sleep(500 * time.Millisecond)
	k.tagAndStop(ids[3:6], time.Now().Add(time.Hour))
	// The last stop intent went out, and the process died before the
	// call: the journal says "may be stopped"; EC2 says running.
	k.add(journal.Record{Intent: &journal.Intent{Action: fleet.ActionStop, Region: "us-east-1", IDs: ids[6:], Phase: "main", Wave: 1}})
	k.kill()

	res := runCLI(t, "runs", "--runs-dir", runs)
	if res.code != 0 || !strings.Contains(res.stdout, "interrupted") || !regexpLine(res.stdout, k.id, "7") {
		t.Fatalf("runs before recovery: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}

	res = runCLI(t, "recover", k.id, "--runs-dir", runs, "--poll-interval", "50ms")
	if res.code != ExitMet {
		t.Fatalf("recover: exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	assertAllRunningUntagged(t, f, ids)
	if n := startCalls(f); n < 1 || f.sim.CallCounts(sim.ActionStartInstances)[ids[6]] != 0 {
		t.Errorf("start calls %d, per instance %v: want the running one never started", n, f.sim.CallCounts(sim.ActionStartInstances))
	}
	for id, n := range f.sim.CallCounts(sim.ActionStartInstances) {
		if n != 1 {
			t.Errorf("%s started %d times", id, n)
		}
	}
	for _, want := range []string{"run " + k.id + ": recovered", "stopped -> running", "stopping -> running", "started, tags removed", "already running"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, res.stdout)
		}
	}
	if sum := k.summary(); sum.Status != journal.StatusRecovered || sum.NeedsRecovery() {
		t.Errorf("journal after recovery: status %s, left %v, tagged %v", sum.Status, sum.MayBeStopped, sum.Tagged)
	}

	// Again: nothing to do, nothing sent.
	before := startCalls(f)
	res = runCLI(t, "recover", k.id, "--runs-dir", runs)
	if res.code != ExitMet || !strings.Contains(res.stdout, "nothing to do") || startCalls(f) != before {
		t.Errorf("second recover: exit %d, %d new start calls\n%s\n%s", res.code, startCalls(f)-before, res.stdout, res.stderr)
	}
	res = runCLI(t, "recover", "--runs-dir", runs)
	if res.code != ExitMet || !strings.Contains(res.stdout, "nothing to do: no run") {
		t.Errorf("recover without ids: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	res = runCLI(t, "runs", "--runs-dir", runs)
	if !regexpLine(res.stdout, k.id, "recovered") || !regexpLine(res.stdout, k.id, " 0") {
		t.Errorf("runs after recovery:\n%s", res.stdout)
	}
}

func TestRecoverOrphansFromTagsAfterTheJournalIsLost(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), stopStartBoot(), 22)
	runs := t.TempDir()
	insts := webInstances(t, f, 5)
	ids := fleet.IDs(insts)
	expired := newKilledRun(t, f, runs, "run-expired")
	expired.tagAndStop(ids[:3], time.Now().Add(-time.Minute))
	live := newKilledRun(t, f, runs, "run-live")
	live.tagAndStop(ids[3:], time.Now().Add(time.Hour))
	expired.kill()
	live.kill()
	if err := os.RemoveAll(filepath.Join(runs, "run-expired")); err != nil {
		t.Fatal(err)
	}

	res := runCLI(t, "recover", "run-expired", "--runs-dir", runs)
	if res.code != ExitInvalid || !strings.Contains(res.stderr, "--orphans") {
		t.Fatalf("recover of a run without journal: exit %d, stderr %q", res.code, res.stderr)
	}
	session := []string{"--region", "us-east-1", "--endpoint-url", f.url, "--poll-interval", "50ms"}

	res = runCLI(t, append([]string{"recover", "--orphans", "--expired-only"}, session...)...)
	if res.code != ExitMet {
		t.Fatalf("recover --orphans --expired-only: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	assertAllRunningUntagged(t, f, ids[:3])
	if states, _ := instanceStates(f, ids[3:]); states[ids[3]] != fleet.StateStopped || !strings.Contains(res.stdout, "left alone") {
		t.Errorf("--expired-only restored a live run's instance (%v):\n%s", states, res.stdout)
	}

	res = runCLI(t, append([]string{"recover", "--orphans"}, session...)...)
	if res.code != ExitMet {
		t.Fatalf("recover --orphans: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	assertAllRunningUntagged(t, f, ids)
	if !strings.Contains(res.stdout, "run run-live, restore-by") || !strings.Contains(res.stderr, "may still be alive") {
		t.Errorf("orphans output does not name the run and warn about its deadline:\n%s\n%s", res.stdout, res.stderr)
	}
	res = runCLI(t, append([]string{"recover", "--orphans"}, session...)...)
	if res.code != ExitMet || !strings.Contains(res.stdout, "nothing to do") {
		t.Errorf("second recover --orphans: exit %d\n%s", res.code, res.stdout)
	}
}

func TestRecoverToleratesATornLastLineAndRefusesALiveRun(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), stopStartBoot(), 23)
	runs := t.TempDir()
	insts := webInstances(t, f, 2)
	k := newKilledRun(t, f, runs, "run-torn")
	k.begin(insts)
	k.tagAndStop(fleet.IDs(insts), time.Now().Add(time.Hour))

	res := runCLI(t, "recover", k.id, "--runs-dir", runs)
	if res.code != ExitInvalid || !strings.Contains(res.stderr, "still running") {
		t.Fatalf("recover of a live run: exit %d\n%s", res.code, res.stderr)
	}
	if res := runCLI(t, "runs", "--runs-dir", runs); !regexpLine(res.stdout, k.id, "running") {
		t.Errorf("runs does not show the live run running:\n%s", res.stdout)
	}
	if res := runCLI(t, "recover", "--runs-dir", runs); res.code != 0 || !strings.Contains(res.stdout, "still running") {
		t.Errorf("recover without ids touched a live run: exit %d\n%s", res.code, res.stdout)
	}

	k.kill()
	appendTo(t, journal.Path(runs, k.id), `{"v":1,"seq":9,"time":"2026-11-22T18:0`)
	res = runCLI(t, "runs", "--runs-dir", runs)
	if res.code != 0 || !strings.Contains(res.stderr, "torn last record") || !regexpLine(res.stdout, k.id, "interrupted") {
		t.Fatalf("runs with a torn journal: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	res = runCLI(t, "recover", "--runs-dir", runs, "--poll-interval", "50ms")
	if res.code != ExitMet {
		t.Fatalf("recover of a torn journal: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	assertAllRunningUntagged(t, f, fleet.IDs(insts))
	if _, warnings, err := journal.Read(journal.Path(runs, k.id)); err != nil || len(warnings) != 0 {
		t.Errorf("journal after recovery: %v %v", warnings, err)
	}
}

func TestRecoverRefusesToGuess(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), fastBoot(), 24)
	runs := t.TempDir()
	insts := webInstances(t, f, 1)
	other := newKilledRun(t, f, runs, "run-other-account")
	other.start.Account = "999999999999"
	other.begin(insts)
	other.call("us-east-1", fleet.ActionStop, fleet.IDs(insts), nil)
	other.kill()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"another account", []string{"recover", "run-other-account"}, "acted in account 999999999999"},
		{"another endpoint", []string{"recover", "run-other-account", "--endpoint-url", "http://127.0.0.1:9"}, "ran against " + f.url + " in us-east-1"},
		{"another region", []string{"recover", "run-other-account", "--region", "eu-west-1"}, "--region eu-west-1 contradicts"},
		{"no journal", []string{"recover", "no-such-run"}, "no journal"},
		{"not a run id", []string{"recover", "../etc"}, "not a run id"},
		{"orphans without region", []string{"recover", "--orphans"}, "needs --region"},
		{"orphans and ids", []string{"recover", "--orphans", "--region", "us-east-1", "run-other-account"}, "not both"},
		{"expired-only alone", []string{"recover", "--expired-only"}, "goes with --orphans"},
	}
	for _, tt := range tests {
		res := runCLI(t, append(tt.args, "--runs-dir", runs)...)
		if res.code != ExitInvalid || !strings.Contains(res.stderr, tt.want) {
			t.Errorf("%s: exit %d, want 2 with %q\n%s", tt.name, res.code, tt.want, res.stderr)
		}
	}
	if n := startCalls(f); n != 0 {
		t.Errorf("%d start calls after refusals", n)
	}
}

func TestRecoverExitsOneWhenAnInstanceIsGone(t *testing.T) {
	t.Parallel()
	f := startSim(t, sim.DemoFleet(), stopStartBoot(), 25)
	runs := t.TempDir()
	insts := webInstances(t, f, 1)
	k := newKilledRun(t, f, runs, "run-gone")
	k.begin(insts)
	k.tagAndStop(fleet.IDs(insts), time.Now().Add(time.Hour))
	k.call("us-east-1", fleet.ActionStop, []string{"i-0000000000000dead"}, nil)
	k.kill()
	res := runCLI(t, "recover", k.id, "--runs-dir", runs, "--poll-interval", "50ms", "--output", "x")
	if res.code != ExitInvalid {
		t.Errorf("unknown flag: exit %d", res.code)
	}
	res = runCLI(t, "recover", k.id, "--runs-dir", runs, "--poll-interval", "50ms")
	if res.code != ExitMissed || !strings.Contains(res.stdout, "gone: no longer exists") {
		t.Fatalf("exit %d, want 1\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	assertAllRunningUntagged(t, f, fleet.IDs(insts))
	if sum := k.summary(); sum.Status != journal.StatusRecovered {
		t.Errorf("status %s: a gone instance is not left stopped", sum.Status)
	}
}

func TestRunsListsFinishedAndInterruptedRuns(t *testing.T) {
	t.Parallel()
	runs := t.TempDir()
	at := time.Date(2026, 11, 22, 17, 0, 0, 0, time.UTC)
	writeJournal(t, runs, "b-interrupted", at.Add(time.Hour), nil)
	writeJournal(t, runs, "a-passed", at, &journal.End{Status: journal.StatusPassed})
	writeReport(t, runs, "c-report-only", `{"schema_version":1,"run_id":"c-report-only","scenario":{"name":"demo","action":"reboot"},
		"status":"failed","started_at":"2026-11-22T16:00:00Z","ended_at":"2026-11-22T16:00:30Z","duration_seconds":30}`)
	writeReport(t, runs, "b-interrupted", `{"schema_version":1,"run_id":"b-interrupted","scenario":{"name":"s","action":"stop-start"},
		"status":"running","started_at":"2026-11-22T18:00:00Z","ended_at":"2026-11-22T18:00:00Z"}`)
	if err := os.MkdirAll(filepath.Join(runs, "empty-dir"), 0o755); err != nil {
		t.Fatal(err)
	}

	res := runCLI(t, "runs", "--runs-dir", runs)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], "c-report-only") || !strings.HasPrefix(lines[2], "a-passed") ||
		!strings.HasPrefix(lines[3], "b-interrupted") {
		t.Fatalf("want a header and 3 runs by start time:\n%s", res.stdout)
	}
	for i, want := range []string{"failed", "passed", "interrupted"} {
		if !strings.Contains(lines[i+1], want) {
			t.Errorf("line %q lacks %q", lines[i+1], want)
		}
	}
	if !strings.Contains(lines[1], "30s") || !strings.Contains(lines[1], " -") || !strings.Contains(lines[3], " 1") {
		t.Errorf("durations or left-stopped counts wrong:\n%s", res.stdout)
	}

	res = runCLI(t, "runs", "--runs-dir", runs, "--output", "json")
	var entries []runEntry
	if err := json.Unmarshal([]byte(res.stdout), &entries); err != nil || len(entries) != 3 {
		t.Fatalf("json: %v\n%s", err, res.stdout)
	}
	if e := entries[2]; e.Status != journal.StatusInterrupted || len(e.LeftStopped) != 1 || e.LeftStopped[0].AZ != "us-east-1a" || !e.NeedsRecovery {
		t.Errorf("interrupted entry %+v", e)
	}
	if res := runCLI(t, "runs", "--runs-dir", filepath.Join(runs, "none")); res.code != 0 || !strings.Contains(res.stderr, "no runs") {
		t.Errorf("missing runs dir: exit %d %q", res.code, res.stderr)
	}
}

func writeJournal(t *testing.T, runs, id string, at time.Time, end *journal.End) {
	t.Helper()
	w, err := journal.Create(runs, id)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	recs := []journal.Record{
		{Time: at, Start: &journal.Start{RunID: id, Scenario: "s", Regions: []string{"us-east-1"}}},
		{Time: at.Add(time.Second), Plan: &journal.Plan{Phases: []journal.PlanPhase{{Name: "main", Waves: []journal.PlanWave{{Index: 1,
			Instances: []journal.PlanInstance{{ID: "i-1", Region: "us-east-1", AZ: "us-east-1a"}}}}}}}},
		{Time: at.Add(2 * time.Second), Intent: &journal.Intent{Action: fleet.ActionStop, Region: "us-east-1", IDs: []string{"i-1"}}},
	}
	if end != nil {
		recs = recs[:2]
		recs = append(recs, journal.Record{Time: at.Add(time.Minute), End: end})
	}
	for _, r := range recs {
		if err := w.Append(r); err != nil {
			t.Fatal(err)
		}
	}
}

func writeReport(t *testing.T, runs, id, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(runs, id), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(runs, id, "report.json"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendTo(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// regexpLine reports whether some line of text contains all of parts.
func regexpLine(text string, parts ...string) bool {
	for _, line := range strings.Split(text, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

func TestRecoverAcrossRegionsConnectsToEachRegionsEndpoint(t *testing.T) {
	t.Parallel()
	east := startSim(t, sim.DemoFleet(), stopStartBoot(), 26)
	spec, err := sim.ParseFleet("eu.yaml", []byte("region: eu-west-1\ngroups: [{name: web, count: 3, tags: {app: web, gameday: opt-in}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	west := startSim(t, spec, stopStartBoot(), 27)
	runs := t.TempDir()
	k := newKilledRun(t, east, runs, "run-two-regions")
	k.start.Regions = []string{"us-east-1", "eu-west-1"}
	k.start.Endpoints = map[string]string{"eu-west-1": west.url}
	k.begin(nil)
	eastIDs := fleet.IDs(webInstances(t, east, 2))
	k.tagAndStop(eastIDs, time.Now().Add(time.Hour))
	westIDs := fleet.IDs(west.sim.Instances())
	// The same run, in its other region.
	eu := &killedRun{t: t, runs: runs, id: k.id, w: k.w, f: west}
	eu.tagAndStopIn("eu-west-1", westIDs, time.Now().Add(time.Hour))
	k.kill()

	res := runCLI(t, "recover", k.id, "--runs-dir", runs, "--poll-interval", "50ms")
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	assertAllRunningUntagged(t, east, eastIDs)
	assertAllRunningUntagged(t, west, westIDs)
	if strings.Count(res.stderr, "acting as") != 2 {
		t.Errorf("want one connection per region:\n%s", res.stderr)
	}
}
