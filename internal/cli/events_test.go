package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gameday/internal/events"
	"gameday/internal/fleet"
	"gameday/internal/scenario"
	"gameday/internal/sim"
)

// eventsTestFleet is 9 opted-in web hosts over us-east-1a, b and c
// (web-01 in a, web-02 in b, ...) and 3 web-legacy hosts not opted in,
// with the events given, chosen by Name tag.
func eventsTestFleet(evs ...sim.EventSpec) sim.FleetSpec {
	azs := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	return sim.FleetSpec{
		Groups: []sim.GroupSpec{
			{Name: "web", Count: 9, AvailabilityZones: azs, Tags: map[string]string{"app": "web", "gameday": "opt-in"}},
			{Name: "web-legacy", Count: 3, AvailabilityZones: azs, Tags: map[string]string{"app": "web"}},
		},
		Events: evs,
	}
}

func eventOn(code, name string, notBefore time.Duration) sim.EventSpec {
	after := sim.In(notBefore + time.Hour)
	return sim.EventSpec{Code: code, Tags: map[string]string{"Name": name}, NotBefore: sim.In(notBefore), NotAfter: &after}
}

// simViews indexes the simulator's instances by id and by Name.
func simViews(s *sim.Sim) (byID, byName map[string]sim.InstanceView) {
	byID, byName = map[string]sim.InstanceView{}, map[string]sim.InstanceView{}
	for _, v := range s.Describe() {
		byID[v.ID], byName[v.Tags["Name"]] = v, v
	}
	return byID, byName
}

// waitPast sleeps until t has passed and the simulator has had a moment to
// act on its due events.
func waitPast(t *testing.T, at time.Time) {
	t.Helper()
	time.Sleep(time.Until(at) + 500*time.Millisecond)
}

// TestEventsToScenarioRebootsEveryFlaggedInstanceAheadOfItsWindow is the
// acceptance test of `gameday events --to-scenario`: reboot events on
// opted-in hosts of three AZs, due 30 s after the simulator starts. The
// generated scenario, run as it is, reboots each of them once, AZ by AZ,
// before the window opens, and the simulator then performs no forced
// reboot: their events are cleared, not completed. The not-opted-in host's
// event is left to the simulator, which does reboot it: that is what a
// forced reboot looks like here.
func TestEventsToScenarioRebootsEveryFlaggedInstanceAheadOfItsWindow(t *testing.T) {
	t.Parallel()
	const due = 30 * time.Second
	spec := eventsTestFleet(
		eventOn(sim.EventSystemReboot, "web-01", due),   // us-east-1a
		eventOn(sim.EventSystemReboot, "web-04", due),   // us-east-1a
		eventOn(sim.EventInstanceReboot, "web-02", due), // us-east-1b
		eventOn(sim.EventSystemReboot, "web-06", due),   // us-east-1c
		eventOn(sim.EventSystemReboot, "web-legacy-01", due),
	)
	boot := sim.BootSpec{ // down longer than the 2 s probe interval: every reboot is seen
		Down:     sim.Range{Min: 2400 * time.Millisecond, Max: 2800 * time.Millisecond},
		Starting: sim.Range{Min: 50 * time.Millisecond, Max: 100 * time.Millisecond},
	}
	f := startSim(t, spec, boot, 3)
	notBefore := f.sim.ScheduledEvents()[0].NotBefore
	path := filepath.Join(t.TempDir(), "ahead.yaml")

	res := runCLI(t, "events", "--endpoint-url", f.url, "--region", "us-east-1", "--tag", "app=web",
		"--to-scenario", path, "--lead", "5s")
	if res.code != ExitMet {
		t.Fatalf("events: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	_, byName := simViews(f.sim)
	flagged := []string{byName["web-01"].ID, byName["web-04"].ID, byName["web-02"].ID, byName["web-06"].ID}
	legacy := byName["web-legacy-01"].ID
	for _, want := range append(slices.Clone(flagged), "us-east-1a", "us-east-1b", "us-east-1c", "-> reboot",
		legacy+"  web-legacy-01  left alone: not opted in") {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("listing lacks %q:\n%s", want, res.stdout)
		}
	}
	if !strings.Contains(res.stderr, "window-1-reboot") || !strings.Contains(res.stderr, "not opted in") {
		t.Errorf("stderr lacks the phase summary or the opt-in warning:\n%s", res.stderr)
	}
	scn, err := scenario.Load(path)
	if err != nil {
		t.Fatalf("the written scenario does not load: %v", err)
	}
	if scn.Schedule.NotAfter == nil || !scn.Schedule.NotAfter.Equal(notBefore.Add(-5*time.Second).Truncate(time.Second)) {
		t.Errorf("schedule %+v, want not_after 5 s before %s", scn.Schedule, notBefore)
	}

	runs := t.TempDir()
	res = runCLI(t, "run", path, "--endpoint-url", f.url, "--runs-dir", runs)
	if res.code != ExitMet {
		t.Fatalf("run: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if time.Now().After(notBefore) {
		t.Fatalf("the run ended after the window opened (%s): the test's timings are too tight", notBefore)
	}
	t.Logf("the run ended %s before the window", time.Until(notBefore).Round(time.Millisecond))
	waitPast(t, notBefore)

	byID, _ := simViews(f.sim)
	counts := f.sim.RebootCounts()
	for _, id := range flagged {
		if counts[id] != 1 || byID[id].Reboots != 1 {
			t.Errorf("%s (%s): %d RebootInstances, %d reboots in all; want 1 and 1 (no forced reboot)",
				id, byID[id].Tags["Name"], counts[id], byID[id].Reboots)
		}
	}
	if len(counts) != len(flagged) {
		t.Errorf("RebootInstances named %v, want only the %d flagged instances", counts, len(flagged))
	}
	// Every reboot call came before the window, inside one AZ, AZ after AZ.
	var azs []string
	for _, rec := range f.sim.Audit() {
		if rec.Action != sim.ActionRebootInstances || rec.DryRun || rec.ErrorCode != "" {
			continue
		}
		if !rec.Time.Before(notBefore) {
			t.Errorf("reboot of %v at %s, not before the window (%s)", rec.InstanceIDs, rec.Time, notBefore)
		}
		az := byID[rec.InstanceIDs[0]].AZ
		for _, id := range rec.InstanceIDs {
			if byID[id].AZ != az {
				t.Errorf("one RebootInstances call spans %s and %s", az, byID[id].AZ)
			}
		}
		if len(azs) == 0 || azs[len(azs)-1] != az {
			azs = append(azs, az)
		}
	}
	if !slices.Equal(azs, []string{"us-east-1a", "us-east-1b", "us-east-1c"}) {
		t.Errorf("reboots went through AZs %v, want a, b, c, each once", azs)
	}
	for _, ev := range f.sim.ScheduledEvents() {
		for _, id := range ev.Completed {
			if id != legacy {
				t.Errorf("the simulator performed %s on %s (%s): the run did not get there first", ev.Code, id, byID[id].Tags["Name"])
			}
		}
		for _, id := range ev.Pending {
			t.Errorf("%s still pending on %s after its window opened", ev.Code, id)
		}
	}
	// The control: the event left to the simulator was performed.
	if byID[legacy].Reboots != 1 || counts[legacy] != 0 {
		t.Errorf("web-legacy-01: %d reboots, %d asked for; want the simulator's forced reboot only", byID[legacy].Reboots, counts[legacy])
	}
}

// TestEventsToScenarioStopStartsRetiringInstances: instance-retirement and
// instance-stop events become a stop and start, AZ by AZ, before the
// window; afterwards the instances run (they were not stopped by the
// simulator) and the events are gone.
func TestEventsToScenarioStopStartsRetiringInstances(t *testing.T) {
	t.Parallel()
	const due = 25 * time.Second
	spec := eventsTestFleet(
		eventOn(sim.EventInstanceRetirement, "web-02", due), // us-east-1b
		eventOn(sim.EventInstanceStop, "web-03", due),       // us-east-1c
		eventOn(sim.EventSystemMaintenance, "web-01", due),  // left to AWS
	)
	boot := sim.BootSpec{ // pending longer than the 2 s probe interval: every start is seen
		Stopping: sim.Range{Min: 300 * time.Millisecond, Max: 500 * time.Millisecond},
		Pending:  sim.Range{Min: 2400 * time.Millisecond, Max: 2800 * time.Millisecond},
		Starting: sim.Range{Min: 50 * time.Millisecond, Max: 100 * time.Millisecond},
	}
	f := startSim(t, spec, boot, 5)
	notBefore := f.sim.ScheduledEvents()[0].NotBefore
	path := filepath.Join(t.TempDir(), "ahead.yaml")
	res := runCLI(t, "events", "--endpoint-url", f.url, "--region", "us-east-1", "--to-scenario", path, "--lead", "2s")
	if res.code != ExitMet {
		t.Fatalf("events: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stderr, "window-1-stop-start") || strings.Contains(res.stderr, "window-1-reboot") {
		t.Errorf("want one stop-start phase:\n%s", res.stderr)
	}
	res = runCLI(t, "run", path, "--endpoint-url", f.url, "--runs-dir", t.TempDir(), "--poll-interval", "100ms")
	if res.code != ExitMet {
		t.Fatalf("run: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if time.Now().After(notBefore) {
		t.Fatalf("the run ended after the window opened (%s): the test's timings are too tight", notBefore)
	}
	t.Logf("the run ended %s before the window", time.Until(notBefore).Round(time.Millisecond))
	waitPast(t, notBefore)

	byID, byName := simViews(f.sim)
	starts := f.sim.CallCounts(sim.ActionStartInstances)
	var azs []string
	for _, rec := range f.sim.Audit() {
		if rec.Action == sim.ActionStartInstances && !rec.DryRun && rec.ErrorCode == "" {
			if !rec.Time.Before(notBefore) {
				t.Errorf("start of %v at %s, after the window opened", rec.InstanceIDs, rec.Time)
			}
			azs = append(azs, byID[rec.InstanceIDs[0]].AZ)
		}
	}
	if !slices.Equal(azs, []string{"us-east-1b", "us-east-1c"}) {
		t.Errorf("starts in AZs %v, want b then c", azs)
	}
	for _, name := range []string{"web-02", "web-03"} {
		v := byName[name]
		if starts[v.ID] != 1 || v.State != fleet.StateRunning || v.StateReason != nil {
			t.Errorf("%s: %d starts, state %s, reason %+v; want started once, running", name, starts[v.ID], v.State, v.StateReason)
		}
	}
	if n := len(f.sim.CallCounts(sim.ActionStopInstances)); n != 2 || len(f.sim.RebootCounts()) != 0 {
		t.Errorf("%d instances stopped, %d rebooted; want 2 stop-started, none rebooted (system-maintenance is left alone)",
			n, len(f.sim.RebootCounts()))
	}
	for _, ev := range f.sim.ScheduledEvents() {
		if ev.Code != sim.EventSystemMaintenance && (len(ev.Pending) > 0 || len(ev.Completed) > 0) {
			t.Errorf("%s: pending %v, performed on %v; want it cleared by the stop-start", ev.Code, ev.Pending, ev.Completed)
		}
	}
}

func TestEventsListsJSONGroupedByAZAndWindow(t *testing.T) {
	t.Parallel()
	spec := eventsTestFleet(
		eventOn(sim.EventSystemReboot, "web-01", time.Hour),
		eventOn(sim.EventInstanceRetirement, "web-02", 2*time.Hour),
		eventOn(sim.EventSystemMaintenance, "web-05", 2*time.Hour),
	)
	f := startSim(t, spec, fastBoot(), 9)
	res := runCLI(t, "events", "--endpoint-url", f.url, "--region", "us-east-1", "--output", "json", "--tag", "app=web")
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	var doc events.Document
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, res.stdout)
	}
	type row struct{ az, code, name, action string }
	var got []row
	for _, z := range doc.Zones {
		for _, w := range z.Windows {
			if w.NotBefore == "" || w.NotAfter == "" {
				t.Errorf("window %+v lacks its times", w)
			}
			for _, e := range w.Events {
				got = append(got, row{z.AvailabilityZone, e.Code, e.Name, e.Action})
			}
		}
	}
	want := []row{
		{"us-east-1a", "system-reboot", "web-01", "reboot"},
		{"us-east-1b", "instance-retirement", "web-02", "stop-start"},
		{"us-east-1b", "system-maintenance", "web-05", "none"},
	}
	if !slices.Equal(got, want) || doc.Region != "us-east-1" || doc.Instances != 12 || doc.Tags["app"] != "web" {
		t.Errorf("document %+v\ngot rows %v\nwant %v", doc, got, want)
	}
}

func TestEventsWithoutEventsWritesNoScenario(t *testing.T) {
	t.Parallel()
	f := startSim(t, eventsTestFleet(), fastBoot(), 2)
	path := filepath.Join(t.TempDir(), "none.yaml")
	res := runCLI(t, "events", "--endpoint-url", f.url, "--region", "us-east-1", "--to-scenario", path)
	if res.code != ExitMet || !strings.Contains(res.stdout, "no scheduled events") || !strings.Contains(res.stderr, "no scenario written") {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a scenario was written: %v", err)
	}
}

// TestEventsSimToStdout: --sim serves the built-in default fleet, whose
// event reboots web hosts; "-" puts the scenario on stdout and the listing
// on stderr.
func TestEventsSimToStdout(t *testing.T) {
	t.Parallel()
	res := runCLI(t, "events", "--sim", "--to-scenario", "-", "--lead", "10m")
	if res.code != ExitMet {
		t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	scn, err := scenario.Parse("stdout", []byte(res.stdout))
	if err != nil {
		t.Fatalf("stdout is not a scenario: %v\n%s", err, res.stdout)
	}
	if len(scn.Phases) != 1 || scn.Phases[0].Action.Type != scenario.ActionReboot || !strings.Contains(res.stderr, "system-reboot") {
		t.Errorf("phases %+v\nstderr:\n%s", scn.Phases, res.stderr)
	}
}

func TestEventsRejectsBadFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--output", "yaml"}, "--output"},
		{[]string{"--tag", "app"}, "KEY=VALUE"},
		{[]string{"--tag", "app=web", "--tag", "app=api"}, "given twice"},
		{[]string{"--lead", "-1h"}, "--lead"},
		{[]string{"--maintenance", "reboot"}, "--maintenance"},
		{[]string{"--output", "json", "--to-scenario", "-"}, "stdout"},
		{[]string{"--sim", "--endpoint-url", "http://127.0.0.1:1"}, "--sim"},
		{[]string{"extra"}, "accepts 0 arg"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			res := runCLI(t, append([]string{"events", "--region", "us-east-1"}, tt.args...)...)
			if res.code != ExitInvalid || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d mentioning %q", res.code, res.stderr, ExitInvalid, tt.want)
			}
		})
	}
}
