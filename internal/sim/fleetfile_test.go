package sim

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gameday/internal/strictyaml"
)

// TestParseFleetErrors pins every problem of a broken fleet file, each
// placed at file:line:col with its field path, all reported at once.
func TestParseFleetErrors(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"unknown field",
			`regoin: us-east-1
groups:
  - {name: web, count: 2}
`,
			`fleet.yaml:1:1: regoin: unknown field (hint: did you mean "region"?)`},
		{"syntax",
			"groups:\n  - name: web\n\tcount: 2\n",
			`fleet.yaml:3:1: (document): invalid YAML: found a tab character that violates indentation (hint: indent with spaces; YAML does not allow tabs there)`},
		{"range needs both",
			`groups:
  - name: web
    count: 2
    boot:
      down: {min: 2s}
`,
			`fleet.yaml:5:13: groups[0].boot.down: a range needs both min and max; max is missing (hint: write one duration such as "2s" for a fixed time)`},
		{"bare number",
			`groups:
  - name: web
    count: 2
    boot:
      pending: {min: 10, max: 40s}
`,
			`fleet.yaml:5:16: groups[0].boot.pending: min: expected a duration like "1.5s" or "2m", got 10 (hint: add a unit, e.g. "10s" for seconds)`},
		{"unreachable",
			`groups:
  - name: web
    count: 2
    boot: {unreachable: drop}
`,
			`fleet.yaml:4:25: groups[0].boot.unreachable: expected "refuse" or "hang", got "drop"`},
		{"probability",
			`groups:
  - name: web
    count: 2
    boot: {broken_probability: 2}
`,
			`fleet.yaml:4:32: groups[0].boot.broken_probability: expected a probability between 0 and 1, got 2 (hint: write 0.02 for 2%)`},
		{"inverted range",
			`groups:
  - name: web
    count: 2
    boot:
      stopping: {min: 1m, max: 15s}
`,
			`fleet.yaml:5:17: groups[0].boot.stopping: expected 0 <= min <= max, got min 1m0s max 15s`},
		{"explicit zero port",
			`health_port: 0
groups:
  - {name: web, count: 2}
`,
			`fleet.yaml:1:14: health_port: expected a port in 1..65535, got 0`},
		{"required",
			`groups:
  - instance_type: m5.large
events:
  - code: system-reboot
`,
			`fleet.yaml:2:5: groups[0].name: name is required
fleet.yaml:2:5: groups[0].count: count is required
fleet.yaml:4:5: events[0].not_before: not_before is required`},
		{"name tag",
			`groups:
  - name: web
    count: 2
    tags: {Name: x}
  - name: web
    count: 1
`,
			`fleet.yaml:4:12: groups[0].tags.Name: tag Name is generated from the group name; remove it
fleet.yaml:5:11: groups[1].name: duplicate group name "web"`},
		{"event code",
			`groups:
  - {name: web, count: 2}
events:
  - code: system-reboo
    not_before: 10m
`,
			`fleet.yaml:4:11: events[0].code: unknown event code "system-reboo" (hint: did you mean "system-reboot"?)`},
		{"event selection",
			`groups:
  - {name: web, count: 2, availability_zones: [us-east-1a], tags: {app: web}}
events:
  - code: system-reboot
    availability_zones: [us-east-1b]
    not_before: 10m
  - code: instance-stop
    tags: {app: db}
    not_before: 10m
  - code: instance-reboot
    count: 3
    not_before: 10m
  - code: instance-reboot
    count: 1
    percent: 50%
    not_before: 10m
`,
			`fleet.yaml:5:26: events[0].availability_zones[0]: no group has instances in "us-east-1b" (hint: the fleet's zones: us-east-1a)
fleet.yaml:7:5: events[1]: the event selects no instance (hint: check its tags and availability_zones against the groups)
fleet.yaml:11:12: events[2].count: 3 instances asked for, but only 2 match
fleet.yaml:15:5: events[3].percent: choose count or percent, not both`},
		{"event times",
			`groups:
  - {name: web, count: 2}
events:
  - code: system-reboot
    not_before: 2h
    not_after: 1h
  - code: system-reboot
    not_before: tomorrow
  - code: system-reboot
    not_before: 2026-12-01T02:00:00Z
    not_before_deadline: 2026-11-30T02:00:00Z
`,
			`fleet.yaml:6:16: events[0].not_after: not_after 1h0m0s is not after not_before 2h0m0s
fleet.yaml:8:17: events[1].not_before: expected an offset from the simulator's start like "10m" or an RFC 3339 time like "2026-12-01T02:00:00Z", got "tomorrow" (hint: offsets use the units "s", "m" and "h"; an RFC 3339 time needs a zone such as Z)
fleet.yaml:11:26: events[2].not_before_deadline: not_before_deadline 2026-11-30T02:00:00Z is before not_before 2026-12-01T02:00:00Z`},
		{"api",
			`groups:
  - {name: web, count: 2}
api:
  rate_limits: maybe
  deny: [StopInstance, RebootInstances, RebootInstances]
  faults: {throttle_rate: 0.8, server_error_rate: 0.5, latency_rate: 0.1}
`,
			`fleet.yaml:4:16: api.rate_limits: expected a boolean (true or false), got "maybe"
fleet.yaml:5:10: api.deny[0]: unknown EC2 action "StopInstance" (hint: did you mean "StopInstances"?)
fleet.yaml:5:41: api.deny[2]: RebootInstances is listed twice
fleet.yaml:6:3: api.faults.latency: latency_rate needs a latency range (hint: add latency: {min: 100ms, max: 2s})
fleet.yaml:6:3: api.faults: server_error_rate, throttle_rate, reset_rate and reset_after_rate add up to 1.3, more than 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := ParseFleet("fleet.yaml", []byte(tt.file))
			if err == nil {
				t.Fatalf("ParseFleet succeeded: %+v", spec)
			}
			var errs strictyaml.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %T is not strictyaml.Errors: %v", err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("errors:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestParseFleetDefaultsKeepExplicitZeros(t *testing.T) {
	spec, err := ParseFleet("fleet.yaml", []byte(`
groups:
  - name: web
    count: 2
    boot:
      pending: 0s
      down: 3s
events:
  - {code: instance-stop, not_before: 90s}
`))
	if err != nil {
		t.Fatal(err)
	}
	def, g := DefaultBoot(), spec.Groups[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"region", spec.Region, DefaultRegion},
		{"account", spec.AccountID, DefaultAccountID},
		{"port", spec.HealthPort, DefaultHealthPort},
		{"az", strings.Join(g.AvailabilityZones, ","), "us-east-1a"},
		{"instance type", g.InstanceType, DefaultInstanceType},
		{"explicit zero pending", g.Boot.Pending, Range{}},
		{"one duration", g.Boot.Down, Range{3 * time.Second, 3 * time.Second}},
		{"default starting", g.Boot.Starting, def.Starting},
		{"default stopping", g.Boot.Stopping, def.Stopping},
		{"default hard reboot delay", g.Boot.HardRebootDelay, def.HardRebootDelay},
		{"no failures by default", g.Boot.BrokenProbability + g.Boot.HardRebootProbability, 0.0},
		{"refuse by default", g.Boot.Unreachable, UnreachableRefuse},
		{"rate limits on", spec.API.RateLimitsEnabled(), true},
		{"event description", spec.Events[0].Description, defaultEventDescription(EventInstanceStop)},
		{"event offset", spec.Events[0].NotBefore, In(90 * time.Second)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseFleetFullFile(t *testing.T) {
	spec, err := ParseFleet("fleet.yaml", []byte(`
region: eu-west-1
account_id: "012345678901"
groups:
  - name: api
    count: 4
    availability_zones: [eu-west-1a, eu-west-1b]
    public_ip: true
    boot:
      down: {min: 2s, max: 5s}
      unreachable: hang
      hard_reboot_probability: 0.5
      hard_reboot_delay: {min: 4m, max: 5m}
events:
  - code: instance-retirement
    description: degraded hardware
    tags: {Name: "api-0?"}
    percent: 50%
    not_before: 2026-12-01T02:00:00Z
    not_after: 2026-12-01T04:00:00+01:00
api:
  rate_limits: false
  deny: [StopInstances]
  faults: {latency_rate: 0.1, latency: {min: 100ms, max: 2s}}
`))
	if err != nil {
		t.Fatal(err)
	}
	g, e := spec.Groups[0], spec.Events[0]
	at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	switch {
	case spec.AccountID != "012345678901" || !g.PublicIP || g.Boot.Unreachable != UnreachableHang:
		t.Errorf("spec %+v", spec)
	case g.Boot.Down != (Range{2 * time.Second, 5 * time.Second}) || g.Boot.HardRebootProbability != 0.5:
		t.Errorf("boot %+v", g.Boot)
	case !e.NotBefore.At.Equal(at) || !e.NotAfter.At.Equal(at.Add(time.Hour)) || e.Percent.Value != 50:
		t.Errorf("event %+v", e)
	case spec.API.RateLimitsEnabled() || !spec.API.Denies("StopInstances") || spec.API.Faults.Latency.Max != 2*time.Second:
		t.Errorf("api %+v", spec.API)
	}
}

func TestLoadFleet(t *testing.T) {
	if _, err := LoadFleet(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: error %v, want fs.ErrNotExist", err)
	}
	for _, path := range []string{"../../scenarios/fleets/demo.yaml", "../../scenarios/fleets/default.yaml"} {
		if _, err := LoadFleet(path); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

// TestDefaultFleetIsRealistic holds the built-in default fleet to the
// timings docs/fleets.md promises.
func TestDefaultFleetIsRealistic(t *testing.T) {
	spec := DefaultFleet()
	if _, err := New(spec, Options{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	within := func(r Range, lo, hi time.Duration) bool { return r.Min >= lo && r.Max <= hi && r.Min < r.Max }
	for _, g := range spec.Groups {
		b := g.Boot
		switch {
		case !within(b.Pending, 10*time.Second, 40*time.Second), !within(b.Stopping, 15*time.Second, time.Minute),
			!within(b.Down, 45*time.Second, 2*time.Minute), !within(b.Starting, 5*time.Second, 30*time.Second),
			!within(b.HardRebootDelay, 4*time.Minute, 5*time.Minute):
			t.Errorf("group %s: timings %+v are not the documented realistic ones", g.Name, b)
		case b.BrokenProbability <= 0 || b.BrokenProbability > 0.05, b.HardRebootProbability <= 0 || b.HardRebootProbability > 0.05:
			t.Errorf("group %s: failure probabilities %v/%v, want small but not zero", g.Name, b.BrokenProbability, b.HardRebootProbability)
		}
	}
	if len(spec.Events) == 0 {
		t.Error("the default fleet schedules no event")
	}
}

// TestDemoFleetIsFast keeps `gameday demo` at about 20 seconds: no phase
// over a few seconds, nothing that breaks or hard-reboots.
func TestDemoFleetIsFast(t *testing.T) {
	for _, g := range DemoFleet().Groups {
		b := g.Boot
		for _, r := range []Range{b.Down, b.Starting, b.Pending, b.Stopping} {
			if r.Max > 4*time.Second {
				t.Errorf("group %s: a phase takes up to %v", g.Name, r.Max)
			}
		}
		if b.BrokenProbability != 0 || b.HardRebootProbability != 0 {
			t.Errorf("group %s breaks or hard-reboots", g.Name)
		}
	}
}
