package scenario

import (
	"reflect"
	"testing"
	"time"
)

func TestAccountKeepsLeadingZero(t *testing.T) {
	src := edit(t, noWait, noWait+"guardrails:\n  allowed_accounts: [012345678901, \"000000000001\", 123456789012]\n")
	s, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"012345678901", "000000000001", "123456789012"}
	if got := s.Guardrails.AllowedAccounts; !reflect.DeepEqual(got, want) {
		t.Errorf("allowed_accounts = %q, want %q", got, want)
	}
}

func TestDefaultsReachPhasesAndServices(t *testing.T) {
	src := edit(t, noWait, noWait+`phases:
  - name: one
  - name: two
    target: {region: us-east-1}
    waves: {size: 2, wait_for_healthy: false}
verify:
  services: [{name: shop, url: "https://shop.example.com/"}]
  instance: {type: tcp, address: "{{.PrivateIP}}:22"}
schedule:
  mode: scheduled
  window: {start: "02:00", duration: 1h}
`)
	s, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	no := false
	two := s.Phases[1]
	wantWaves := Waves{Size: 2, Order: OrderRandom, WaitForHealthy: &no, GateTimeout: dur(DefaultGateTimeout), OnGateTimeout: OnGateTimeoutAbort}
	if !reflect.DeepEqual(*two.Waves, wantWaves) {
		t.Errorf("phases[1].waves = %+v, want %+v", *two.Waves, wantWaves)
	}
	if !reflect.DeepEqual(two.Target.States, []string{"running"}) {
		t.Errorf("phases[1].target.states = %v, want [running]", two.Target.States)
	}
	if s.Phases[0].Waves != nil || s.Phases[0].Target != nil {
		t.Errorf("phases[0] gained sections it did not write: %+v", s.Phases[0])
	}
	svc := s.Verify.Services[0]
	if svc.Interval.Duration != 2*time.Second || svc.Timeout.Duration != time.Second || svc.ExpectStatus != 200 {
		t.Errorf("service defaults: %+v", svc)
	}
	if p := s.Verify.Instance; p.ExpectStatus != 0 || p.Interval.Duration != 2*time.Second {
		t.Errorf("a tcp probe got expect_status %d, interval %v; want 0 and 2s", p.ExpectStatus, p.Interval)
	}
	if s.Schedule.Window.TimeZone != "UTC" {
		t.Errorf("window time zone %q, want UTC", s.Schedule.Window.TimeZone)
	}
}

func TestStepsOfParsedPhases(t *testing.T) {
	s, err := Load(scenarioData + "/valid/ebs-az-degradation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	steps := s.Steps()
	var names []string
	for _, st := range steps {
		names = append(names, st.Name)
	}
	if want := []string{"first-hosts-stuck", "storm-grows", "forced-recovery"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("steps %v, want %v", names, want)
	}
	if steps[1].After == nil || *steps[1].After != 20*time.Minute || steps[2].AfterPhase != "storm-grows" {
		t.Errorf("starts: %v, %q", steps[1].After, steps[2].AfterPhase)
	}
	if steps[0].Action.Type != ActionStopStart || steps[2].Action.Type != ActionForceStopStart {
		t.Errorf("actions: %q, %q", steps[0].Action.Type, steps[2].Action.Type)
	}
	if steps[2].Waves.Percent == nil || steps[2].Waves.Count != 0 || steps[0].Waves.Size != 5 {
		t.Errorf("waves: %+v / %+v", steps[0].Waves, steps[2].Waves)
	}
}

// TestValidEditsV1 lists edits with the gameday/v1 features that must stay
// valid.
func TestValidEditsV1(t *testing.T) {
	probe := "verify: {instance: {url: 'http://{{.PrivateIP}}/'}}\n"
	tests := []struct{ name, old, new string }{
		{"regions", "  region: us-east-1\n", "  regions: [us-east-1, eu-west-1]\n"},
		{"zones across regions", "  region: us-east-1\n  availability_zones: [us-east-1a]\n",
			"  regions: [us-east-1, eu-west-1]\n  availability_zones: [us-east-1a, eu-west-1c]\n"},
		{"per_az with star", "  count: 1", "  per_az: {us-east-1a: 100%, \"*\": 0.5}"},
		{"floor by count and tag", "  count: 1", "  count: 1\n  min_healthy_remaining: {per_az: 1, per_tag_group: {tag: app, min: 99%}}"},
		{"filters", "  region: us-east-1\n", "  region: us-east-1\n  filters: {\"tag-key\": [app], vpc-id: [vpc-1], network-interface.subnet-id: [subnet-1]}\n"},
		{"all states", "  region: us-east-1\n", "  region: us-east-1\n  states: [pending, running, shutting-down, terminated, stopping, stopped]\n"},
		{"stop-start with stopped_for", "type: reboot", "type: stop-start\n  stopped_for: 0s"},
		{"stop", "type: reboot", "type: stop\n  allow_leave_stopped: true"},
		{"allow_leave_stopped false", "type: reboot", "type: reboot\n  allow_leave_stopped: false"},
		{"wave percent", noWait, "waves: {percent: 100%, wait_for_healthy: false}\n"},
		{"gate timeout action while waiting", noWait, "waves: {on_gate_timeout: continue}\n" + probe},
		{"ec2 status checks gate", noWait, "verify: {ec2_status_checks: true}\nobjectives: {recovery_p95: 1m, recovery_max: 1m}\n"},
		{"window every day", noWait, noWait + "schedule: {mode: scheduled, window: {start: \"23:59\", duration: 24h, time_zone: America/New_York}}\n"},
		{"phase after zero", noWait, noWait + "phases: [{name: a, after: 0s}, {name: b, after_phase: a}, {name: c}]\n"},
		{"phases inherit nothing they replace", noWait, noWait + "phases: [{name: a, blast_radius: {all: true}, action: {type: force-stop-start}}]\n"},
		{"max_latency equals timeout", noWait, "verify: {instance: {url: 'http://{{.PrivateIP}}/', timeout: 2s, max_latency: 2s}}\n"},
		{"min_score bounds", noWait, noWait + "verify: {ec2_status_checks: true}\nobjectives: {min_score: 100}\n"},
		{"allowed regions", noWait, noWait + "guardrails: {allowed_regions: [us-east-1]}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse("t.yaml", []byte(edit(t, tt.old, tt.new))); err != nil {
				t.Errorf("unexpected errors:\n%v", err)
			}
		})
	}
}
