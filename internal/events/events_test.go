package events

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/scenario"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

var now = time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)

func id(n int) string { return fmt.Sprintf("i-%017x", 0xe0000+n) }

// fixture is a fleet of web hosts in three AZs and the events EC2 reports
// for it: every code, a window already open, completed and canceled
// events, an instance not opted in, a stopped one, and an event of an
// instance outside the fleet.
func fixture() ([]fleet.Instance, []Scheduled) {
	type host struct {
		n        int
		name, az string
		state    string
		optedIn  bool
	}
	hosts := []host{
		{1, "web-01", "us-east-1a", "running", true}, {2, "web-02", "us-east-1b", "running", true},
		{3, "web-03", "us-east-1c", "running", true}, {4, "web-04", "us-east-1a", "running", true},
		{5, "web-05", "us-east-1b", "running", true}, {6, "web-06", "us-east-1c", "running", true},
		{7, "web-07", "us-east-1a", "running", true}, {8, "legacy-01", "us-east-1a", "running", false},
		{9, "web-09", "us-east-1b", "stopped", true}, {10, "web-10", "us-east-1c", "running", true},
		{11, "web-11", "us-east-1c", "running", true}, {12, "web-12", "us-east-1b", "running", true},
	}
	var instances []fleet.Instance
	for _, h := range hosts {
		tags := map[string]string{"Name": h.name, "app": "web"}
		if h.optedIn {
			tags["gameday"] = "opt-in"
		}
		instances = append(instances, fleet.Instance{ID: id(h.n), Region: "us-east-1", AZ: h.az, State: h.state,
			PrivateIP: fmt.Sprintf("10.0.0.%d", h.n), Tags: tags})
	}
	at := func(d time.Duration) time.Time { return now.Add(d) }
	ev := func(n int, code, desc string, nb, na time.Time) Scheduled {
		in := instances[n-1]
		return Scheduled{InstanceID: in.ID, AZ: in.AZ, State: in.State, EventID: fmt.Sprintf("instance-event-%017x", n),
			Code: code, Description: desc, NotBefore: nb, NotAfter: na}
	}
	scheduled := []Scheduled{
		ev(1, CodeSystemReboot, "Scheduled system reboot", at(2*time.Hour), at(4*time.Hour)),
		ev(2, CodeSystemReboot, "Scheduled system reboot", at(2*time.Hour), at(4*time.Hour)),
		ev(3, CodeInstanceReboot, "Scheduled instance reboot", at(2*time.Hour), at(4*time.Hour)),
		// web-04 has a reboot and a retirement: one stop-start, in the
		// earlier window.
		ev(4, CodeSystemReboot, "Scheduled system reboot", at(2*time.Hour), at(4*time.Hour)),
		ev(4, CodeInstanceRetirement, "The instance is running on degraded hardware", at(3*time.Hour), time.Time{}),
		ev(5, CodeInstanceStop, "The instance is running on degraded hardware", at(3*time.Hour), time.Time{}),
		ev(6, CodeSystemMaintenance, "Scheduled system maintenance", at(5*time.Hour), at(7*time.Hour)),
		ev(7, CodeSystemReboot, "Scheduled system reboot", at(-10*time.Minute), at(110*time.Minute)),
		ev(8, CodeSystemReboot, "Scheduled system reboot", at(2*time.Hour), at(4*time.Hour)),
		ev(9, CodeInstanceStop, "The instance is running on degraded hardware", at(3*time.Hour), time.Time{}),
		ev(10, CodeSystemReboot, "[Completed] Scheduled system reboot", at(-48*time.Hour), at(-46*time.Hour)),
		ev(11, CodeInstanceReboot, "[Canceled] Scheduled instance reboot", at(2*time.Hour), at(4*time.Hour)),
		ev(12, CodeSystemReboot, "Scheduled system reboot", at(2*time.Hour), at(4*time.Hour)),
		{InstanceID: id(99), AZ: "us-east-1a", State: "running", EventID: "instance-event-0000000000000ffff",
			Code: CodeSystemReboot, NotBefore: at(time.Hour)},
	}
	return instances, scheduled
}

func fixtureListing(maintenance string) Listing {
	instances, scheduled := fixture()
	return Build(instances, scheduled, Options{Region: "us-east-1", Tags: map[string]string{"app": "web"}, Now: now, Maintenance: maintenance})
}

func TestEventsBuildDecidesPerEvent(t *testing.T) {
	l := fixtureListing(MaintenanceWait)
	type outcome struct {
		status Status
		action string
	}
	got := map[string][]outcome{}
	for _, e := range l.Events {
		got[e.Name] = append(got[e.Name], outcome{e.Status, e.Action})
	}
	want := map[string][]outcome{
		"web-01":    {{StatusScheduled, scenario.ActionReboot}},
		"web-02":    {{StatusScheduled, scenario.ActionReboot}},
		"web-03":    {{StatusScheduled, scenario.ActionReboot}},
		"web-04":    {{StatusScheduled, scenario.ActionReboot}, {StatusScheduled, scenario.ActionStopStart}},
		"web-05":    {{StatusScheduled, scenario.ActionStopStart}},
		"web-06":    {{StatusScheduled, ""}},
		"web-07":    {{StatusInProgress, scenario.ActionReboot}},
		"legacy-01": {{StatusScheduled, ""}},
		"web-09":    {{StatusScheduled, ""}},
		"web-10":    {{StatusCompleted, ""}},
		"web-11":    {{StatusCanceled, ""}},
		"web-12":    {{StatusScheduled, scenario.ActionReboot}},
	}
	for name, w := range want {
		if !slices.Equal(got[name], w) {
			t.Errorf("%s: got %v, want %v", name, got[name], w)
		}
	}
	if len(l.Events) != 13 {
		t.Errorf("%d events, want 13 (the instance outside the fleet dropped)", len(l.Events))
	}
	for i := 1; i < len(l.Events); i++ {
		a, b := l.Events[i-1], l.Events[i]
		if a.AZ > b.AZ || a.AZ == b.AZ && a.NotBefore.After(b.NotBefore) {
			t.Errorf("events not sorted by AZ then window: %s %s before %s %s", a.AZ, a.NotBefore, b.AZ, b.NotBefore)
		}
	}
	if l := fixtureListing(MaintenanceStopStart); l.Events[slices.IndexFunc(l.Events, func(e Event) bool { return e.Name == "web-06" })].Action != scenario.ActionStopStart {
		t.Error("--maintenance stop-start: web-06's system-maintenance is not stop-started")
	}
}

func TestEventsActionForEveryCode(t *testing.T) {
	tests := []struct {
		code, maintenance, want string
	}{
		{CodeSystemReboot, MaintenanceWait, scenario.ActionReboot},
		{CodeInstanceReboot, MaintenanceWait, scenario.ActionReboot},
		{CodeInstanceRetirement, MaintenanceWait, scenario.ActionStopStart},
		{CodeInstanceStop, MaintenanceWait, scenario.ActionStopStart},
		{CodeSystemMaintenance, MaintenanceWait, ""},
		{CodeSystemMaintenance, MaintenanceStopStart, scenario.ActionStopStart},
		{"instance-terminate", MaintenanceStopStart, ""},
	}
	for _, tt := range tests {
		t.Run(tt.code+"/"+tt.maintenance, func(t *testing.T) {
			if got := ActionFor(tt.code, tt.maintenance); got != tt.want {
				t.Errorf("ActionFor(%s, %s) = %q, want %q", tt.code, tt.maintenance, got, tt.want)
			}
		})
	}
}

func TestEventsGroupsByWindowAndAction(t *testing.T) {
	type group struct {
		name, action string
		names        []string
		open         bool
	}
	var got []group
	for _, g := range fixtureListing(MaintenanceStopStart).Groups() {
		var names []string
		for _, a := range g.Instances {
			names = append(names, a.Name)
		}
		got = append(got, group{g.Name, g.Action, names, g.Open})
	}
	want := []group{
		{"window-1-reboot", "reboot", []string{"web-07"}, true},
		{"window-2-reboot", "reboot", []string{"web-01", "web-02", "web-12", "web-03"}, false},
		{"window-2-stop-start", "stop-start", []string{"web-04"}, false},
		{"window-3-stop-start", "stop-start", []string{"web-05"}, false},
		{"window-4-stop-start", "stop-start", []string{"web-06"}, false},
	}
	if !slices.EqualFunc(got, want, func(a, b group) bool {
		return a.name == b.name && a.action == b.action && a.open == b.open && slices.Equal(a.names, b.names)
	}) {
		t.Errorf("groups:\n got %v\nwant %v", got, want)
	}
}

// TestEventsScenarioGolden holds the text listing, the JSON listing and the
// generated scenario of the fixture; -update rewrites them.
func TestEventsScenarioGolden(t *testing.T) {
	l := fixtureListing(MaintenanceWait)
	var text, js bytes.Buffer
	if err := l.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := l.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	gen, err := l.Scenario(ScenarioOptions{Lead: time.Hour, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"listing.txt": text.Bytes(), "listing.json": js.Bytes(), "scenario.yaml": gen.YAML} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file (go test ./internal/events -run Golden -update):\n%s", name, got)
		}
	}
}

func TestEventsScenarioIsValidAndActsAZByAZ(t *testing.T) {
	instances, _ := fixture()
	gen, err := fixtureListing(MaintenanceWait).Scenario(ScenarioOptions{Lead: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	scn := gen.Scenario
	if scn.Schedule.Mode != scenario.ScheduleScheduled || !scn.Schedule.StartAt.Equal(now) ||
		!scn.Schedule.NotAfter.Equal(now.Add(time.Hour)) || !gen.NotAfter.Equal(now.Add(time.Hour)) {
		t.Errorf("schedule %+v, want scheduled from now, not after the first window (+2h) minus the lead (1h)", scn.Schedule)
	}
	if scn.Verify.Instance == nil || scn.Verify.Instance.URL != DefaultHealthURL || scn.Objectives.RecoverAllWithin == nil {
		t.Errorf("verify %+v objectives %+v, want the default health URL and recover_all_within", scn.Verify, scn.Objectives)
	}
	if !maps.Equal(scn.Guardrails.RequireTag, scenario.DefaultRequireTag) {
		t.Errorf("require_tag %v, want the default opt-in", scn.Guardrails.RequireTag)
	}
	listings := make([][]fleet.Instance, len(scn.Steps()))
	for i := range listings {
		listings[i] = instances // plan checks instance_ids itself
	}
	p, err := plan.Build(plan.Input{Scenario: scn, Instances: listings, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	wantWaves := map[string][]string{
		"window-1-reboot":     {"us-east-1a"},
		"window-2-reboot":     {"us-east-1a", "us-east-1b", "us-east-1c"},
		"window-2-stop-start": {"us-east-1a"},
		"window-3-stop-start": {"us-east-1b"},
	}
	if len(p.Phases) != len(wantWaves) {
		t.Fatalf("%d phases, want %d", len(p.Phases), len(wantWaves))
	}
	for _, ph := range p.Phases {
		var azs []string
		for _, w := range ph.Waves {
			for _, in := range w.Instances {
				if in.AZ != w.Instances[0].AZ {
					t.Errorf("phase %s wave %d spans %s and %s", ph.Name, w.Index, w.Instances[0].AZ, in.AZ)
				}
			}
			azs = append(azs, w.Instances[0].AZ)
		}
		if !slices.Equal(azs, wantWaves[ph.Name]) {
			t.Errorf("phase %s: waves in %v, want one per AZ: %v", ph.Name, azs, wantWaves[ph.Name])
		}
		if !ph.Step.Waves.WaitsForHealthy() {
			t.Errorf("phase %s does not wait for health between AZs", ph.Name)
		}
	}
}

func TestEventsScenarioDeadline(t *testing.T) {
	l := fixtureListing(MaintenanceWait)
	gen, err := l.Scenario(ScenarioOptions{Lead: 3 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if gen.Scenario.Schedule.Mode != scenario.ScheduleImmediate || !gen.NotAfter.IsZero() ||
		!slices.ContainsFunc(gen.Warnings, func(w string) bool { return strings.Contains(w, "no deadline") }) {
		t.Errorf("lead 3h before a window 2h away: schedule %+v, warnings %q; want immediate and a warning", gen.Scenario.Schedule, gen.Warnings)
	}
	if !slices.ContainsFunc(gen.Warnings, func(w string) bool { return strings.Contains(w, id(7)) && strings.Contains(w, "any moment") }) {
		t.Errorf("warnings %q do not name web-07, whose window is open", gen.Warnings)
	}
	if !slices.ContainsFunc(gen.Warnings, func(w string) bool { return strings.Contains(w, id(8)) && strings.Contains(w, "not opted in") }) {
		t.Errorf("warnings %q do not name legacy-01, which is not opted in", gen.Warnings)
	}

	// Only the open window left: act now, no deadline.
	instances, scheduled := fixture()
	open := Build(instances, scheduled[7:8], Options{Region: "us-east-1", Now: now})
	gen, err = open.Scenario(ScenarioOptions{Lead: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if gen.Scenario.Schedule.Mode != scenario.ScheduleImmediate || len(gen.Groups) != 1 || !gen.Groups[0].Open {
		t.Errorf("open window only: schedule %+v, groups %+v", gen.Scenario.Schedule, gen.Groups)
	}
}

func TestEventsScenarioNothingToDo(t *testing.T) {
	instances, scheduled := fixture()
	// Completed, canceled, not opted in, stopped, system-maintenance.
	var left []Scheduled
	for _, s := range scheduled {
		if slices.Contains([]string{id(6), id(8), id(9), id(10), id(11)}, s.InstanceID) {
			left = append(left, s)
		}
	}
	l := Build(instances, left, Options{Region: "us-east-1", Now: now})
	if _, err := l.Scenario(ScenarioOptions{}); !errors.Is(err, ErrNothingToDo) {
		t.Errorf("Scenario = %v, want ErrNothingToDo", err)
	}
	if _, err := Build(instances, nil, Options{Region: "us-east-1", Now: now}).Scenario(ScenarioOptions{}); !errors.Is(err, ErrNothingToDo) {
		t.Errorf("no events: Scenario = %v, want ErrNothingToDo", err)
	}
}

func TestEventsScenarioSplitsLargeWindows(t *testing.T) {
	var instances []fleet.Instance
	var scheduled []Scheduled
	for n := range 450 {
		az := []string{"us-east-1a", "us-east-1b"}[n%2]
		instances = append(instances, fleet.Instance{ID: id(n), AZ: az, State: "running", Tags: map[string]string{"gameday": "opt-in"}})
		scheduled = append(scheduled, Scheduled{InstanceID: id(n), AZ: az, State: "running", EventID: fmt.Sprint(n),
			Code: CodeSystemReboot, NotBefore: now.Add(48 * time.Hour)})
	}
	gen, err := Build(instances, scheduled, Options{Region: "us-east-1", Now: now}).Scenario(ScenarioOptions{Lead: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var sizes []int
	for _, g := range gen.Groups {
		names = append(names, g.Name)
		sizes = append(sizes, len(g.Instances))
	}
	if !slices.Equal(names, []string{"window-1-reboot-part-1", "window-1-reboot-part-2", "window-1-reboot-part-3"}) ||
		!slices.Equal(sizes, []int{200, 200, 50}) {
		t.Errorf("groups %v of %v, want three parts of at most %d", names, sizes, MaxPhaseInstances)
	}
	// AZ order holds across the parts: all of a, then all of b.
	var azs []string
	for _, g := range gen.Groups {
		for _, a := range g.Instances {
			if len(azs) == 0 || azs[len(azs)-1] != a.AZ {
				azs = append(azs, a.AZ)
			}
		}
	}
	if !slices.Equal(azs, []string{"us-east-1a", "us-east-1b"}) {
		t.Errorf("instances go through AZs %v, want a then b", azs)
	}
}

// TestEventsScenarioQuotesWhatYAMLWouldMisread: tag keys and values and
// the health URL come back from the file exactly as given.
func TestEventsScenarioQuotesWhatYAMLWouldMisread(t *testing.T) {
	tags := map[string]string{"app": "web", "on": "yes", "team": "a: b # c", "tier": "*"}
	instances := []fleet.Instance{{ID: id(1), AZ: "us-east-1a", State: "running",
		Tags: map[string]string{"gameday": "opt-in", "app": "web", "on": "yes", "team": "a: b # c", "tier": "x", "Name": "web\n01"}}}
	scheduled := []Scheduled{{InstanceID: id(1), Code: CodeSystemReboot, NotBefore: now.Add(48 * time.Hour)}}
	url := `http://{{.PrivateIP}}:8080/health?q="a: b"`
	gen, err := Build(instances, scheduled, Options{Region: "us-east-1", Tags: tags, Now: now}).
		Scenario(ScenarioOptions{HealthURL: url, Lead: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	step := gen.Scenario.Steps()[0]
	if !maps.Equal(step.Target.Tags, tags) || gen.Scenario.Verify.Instance.URL != url {
		t.Errorf("read back tags %v url %q, want %v %q", step.Target.Tags, gen.Scenario.Verify.Instance.URL, tags, url)
	}
	if strings.Contains(string(gen.YAML), "web\n01") {
		t.Error("a Name tag's newline reached the file")
	}
}
