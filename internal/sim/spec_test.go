package sim

import (
	"strings"
	"testing"
	"time"
)

func TestRangeForms(t *testing.T) {
	tests := []struct {
		yaml string
		want Range
	}{
		{"down: 2s", Range{2 * time.Second, 2 * time.Second}},
		{"down: {min: 500ms, max: 1.5s}", Range{500 * time.Millisecond, 1500 * time.Millisecond}},
		{"down: {max: 1m, min: 0s}", Range{0, time.Minute}},
		{"down: 0", Range{}},
	}
	for _, tt := range tests {
		spec, err := ParseFleet("f.yaml", []byte("groups: [{name: web, count: 1, boot: {"+tt.yaml+"}}]"))
		if err != nil {
			t.Errorf("%s: %v", tt.yaml, err)
			continue
		}
		if got := spec.Groups[0].Boot.Down; got != tt.want {
			t.Errorf("%s: %v, want %v", tt.yaml, got, tt.want)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	good := func() GroupSpec {
		return GroupSpec{Name: "web", Count: 2, AvailabilityZones: []string{"us-east-1a"}}
	}
	tests := []struct {
		name string
		edit func(*FleetSpec)
		want string
	}{
		{"no groups", func(s *FleetSpec) { s.Groups = nil }, "at least one group"},
		{"bad account", func(s *FleetSpec) { s.AccountID = "12ab" }, "account_id"},
		{"bad port", func(s *FleetSpec) { s.HealthPort = 70000 }, "health_port"},
		{"bad path", func(s *FleetSpec) { s.HealthPath = "healthz" }, "health_path"},
		{"zero count", func(s *FleetSpec) { s.Groups[0].Count = 0 }, "count: expected at least 1"},
		{"empty name", func(s *FleetSpec) { s.Groups[0].Name = "" }, "name"},
		{"duplicate group", func(s *FleetSpec) { s.Groups = append(s.Groups, good()) }, "duplicate group"},
		{"az outside region", func(s *FleetSpec) { s.Groups[0].AvailabilityZones = []string{"eu-west-1a"} }, "not in region"},
		{"Name tag", func(s *FleetSpec) { s.Groups[0].Tags = map[string]string{"Name": "x"} }, "tag Name"},
		{"inverted range", func(s *FleetSpec) { s.Groups[0].Boot.Down = Range{Min: 2, Max: 1} }, "boot.down"},
		{"too many", func(s *FleetSpec) { s.Groups[0].Count = MaxInstances + 1 }, "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := FleetSpec{Groups: []GroupSpec{good()}}
			tt.edit(&spec)
			_, err := New(spec, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New() error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestDemoFleet(t *testing.T) {
	s, err := New(DemoFleet(), Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	instances := s.Instances()
	// 60 web, worker and web-legacy hosts, and the 3 db hosts behind the
	// demo's database service.
	if got := len(instances); got != 63 {
		t.Fatalf("demo fleet has %d instances, want 63", got)
	}
	perAZ := map[string]int{}
	optedIn, legacy, names := 0, 0, map[string]bool{}
	for _, in := range instances {
		perAZ[in.AZ]++
		names[in.Tags["Name"]] = true
		switch {
		case in.HasTag("gameday", "opt-in"):
			optedIn++
		case in.HasTag("app", "web"):
			legacy++
		}
	}
	if optedIn != 51 || legacy != 12 {
		t.Errorf("opted in %d, legacy web %d; want 51 (web, worker, db) and 12", optedIn, legacy)
	}
	for _, az := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
		if perAZ[az] != 21 {
			t.Errorf("%s has %d instances, want 21", az, perAZ[az])
		}
	}
	for _, name := range []string{"web-01", "web-36", "worker-12", "web-legacy-07", "db-03"} {
		if !names[name] {
			t.Errorf("no instance named %s", name)
		}
	}
	down := DemoFleet().Groups[0].Boot.Down
	if down.Min != 1500*time.Millisecond || down.Max != 4*time.Second {
		t.Errorf("demo down range = %v", down)
	}
}
