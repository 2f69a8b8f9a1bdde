package sim

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"gameday/internal/scenario"
)

// awkwardFleet exercises what a writer gets wrong: zero timings (instant in
// Go, EC2's defaults if left out of a file), tag values YAML would read as
// other types, events with every kind of time, and a non-default api.
func awkwardFleet() FleetSpec {
	off := false
	at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	after := In(90 * time.Minute)
	return FleetSpec{
		Region:     "eu-west-1",
		AccountID:  "012345678901",
		HealthPort: 9090,
		HealthPath: "/health",
		Groups: []GroupSpec{
			{Name: "instant", Count: 3, AvailabilityZones: []string{"eu-west-1b", "eu-west-1a"}},
			{Name: "odd-tags", Count: 2, InstanceType: "m5.large", PublicIP: true, Tags: map[string]string{
				"empty": "", "bool": "on", "yes": "yes", "number": "012", "null": "null", "tilde": "~",
				"colon": "a: b", "hash": "#x", "spaces": "  padded  ", "quote": `"q'`, "unicode": "café ☕",
				"multi": "line1\nline2", "aws:autoscaling:groupName": "asg-1", "gameday": "opt-in",
			}, Boot: BootSpec{
				Down: Range{Min: 1500 * time.Millisecond, Max: time.Hour + 30*time.Minute}, Starting: Range{Min: 2 * time.Second, Max: 2 * time.Second},
				Unreachable: UnreachableHang, BrokenProbability: 0.25, HardRebootProbability: 1, HardRebootDelay: Range{Max: time.Minute},
			}},
		},
		Events: []EventSpec{
			{Code: EventSystemReboot, NotBefore: In(0), Count: 1, Tags: map[string]string{"bool": "o?"}},
			{Code: EventInstanceStop, Description: "custom: words", NotBefore: EventTime{At: at}, NotAfter: &after,
				NotBeforeDeadline: &EventTime{At: at.Add(time.Hour)}, Percent: &scenario.Percent{Value: 50}, AvailabilityZones: []string{"eu-west-1a"}},
		},
		// A primary service's zero failover_after is instant; left out of a
		// file it would be DefaultFailoverAfter.
		Services: []ServiceSpec{
			{Name: "front", Members: map[string]string{"gameday": "opt-in"}, Primary: true},
			{Name: "back", Members: map[string]string{"bool": "o?"}, Port: 81, Path: "/x",
				MinHealthy: &scenario.Quantity{Percent: &scenario.Percent{Value: 50}},
				Latency:    Range{Min: 10 * time.Millisecond, Max: time.Second}, DependsOn: []string{"front"}},
		},
		API: APISpec{RateLimits: &off, Deny: []string{ActionStopInstances}, Faults: FaultSpec{
			ThrottleRate: 0.1, LatencyRate: 0.5, Latency: Range{Min: 10 * time.Millisecond, Max: 2 * time.Second},
		}},
	}
}

func TestWriteFleetReadsBackAsTheSameSpec(t *testing.T) {
	specs := map[string]FleetSpec{"demo": DemoFleet(), "default": DefaultFleet(), "awkward": awkwardFleet(),
		"minimal": {Groups: []GroupSpec{{Name: "one", Count: 1}}}}
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteFleet(&buf, spec, "written by a test"); err != nil {
				t.Fatal(err)
			}
			got, err := ParseFleet(name+".yaml", buf.Bytes())
			if err != nil {
				t.Fatalf("the written file does not parse: %v\n%s", err, buf.String())
			}
			if want := spec.WithDefaults(); !reflect.DeepEqual(got, want) {
				t.Errorf("read back\n%+v\nwant\n%+v\nfile:\n%s", got, want, buf.String())
			}
		})
	}
}

func TestWriteFleetOmitsWhatTheFileWouldGetAnyway(t *testing.T) {
	var buf bytes.Buffer
	spec := FleetSpec{Groups: []GroupSpec{{Name: "web", Count: 2, Boot: DefaultBoot()}}}
	if err := WriteFleet(&buf, spec, ""); err != nil {
		t.Fatal(err)
	}
	want := `region: us-east-1
account_id: "123456789012"
health_port: 8080
health_path: /healthz
groups:
  - name: web
    count: 2
    availability_zones: [us-east-1a]
    instance_type: t3.micro
    boot:
      down: {min: 45s, max: 2m}
      starting: {min: 5s, max: 30s}
      pending: {min: 10s, max: 40s}
      stopping: {min: 15s, max: 1m}
      unreachable: refuse
      hard_reboot_delay: {min: 4m, max: 5m}
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestWriteFleetHeaderIsAComment(t *testing.T) {
	var buf bytes.Buffer
	header := "snapshot of us-east-1\n\ngroups: [] # not YAML: a comment\n"
	if err := WriteFleet(&buf, FleetSpec{Groups: []GroupSpec{{Name: "web", Count: 1}}}, header); err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(buf.String(), "\nregion:")
	if want := "# snapshot of us-east-1\n#\n# groups: [] # not YAML: a comment\n"; head != want {
		t.Errorf("header\n%q\nwant\n%q", head, want)
	}
	if _, err := ParseFleet("fleet.yaml", buf.Bytes()); err != nil {
		t.Errorf("a file with a header does not parse: %v", err)
	}
}

func TestWriteFleetRefusesAnInvalidSpec(t *testing.T) {
	var buf bytes.Buffer
	err := WriteFleet(&buf, FleetSpec{Groups: []GroupSpec{{Name: "web", Count: 0}}}, "header")
	if err == nil || !strings.Contains(err.Error(), "groups[0].count: expected at least 1 instance") {
		t.Errorf("error %v, want the invalid count named", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q for an invalid spec, want nothing", buf.String())
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 1500 * time.Millisecond: "1.5s", 2 * time.Minute: "2m", 90 * time.Second: "1m30s",
		time.Hour: "1h", 90 * time.Minute: "1h30m", time.Hour + time.Second: "1h0m1s", 250 * time.Microsecond: "250µs",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(formatDuration(d)); err != nil || back != d {
			t.Errorf("%q reads back as %v (%v), want %v", formatDuration(d), back, err, d)
		}
	}
}
