package fis

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/scenario"
)

// zones makes running instances in us-east-1: counts[i] in AZ letter a+i,
// all opted in and tagged app=web, plus the extra tags.
func zones(counts ...int) []fleet.Instance {
	var out []fleet.Instance
	n := 0
	for z, count := range counts {
		for range count {
			n++
			out = append(out, fleet.Instance{
				ID: fmt.Sprintf("i-%017x", n), Region: "us-east-1", AZ: fmt.Sprintf("us-east-1%c", 'a'+z),
				State: fleet.StateRunning, Tags: map[string]string{"gameday": "opt-in", "app": "web"},
			})
		}
	}
	return out
}

func parse(t *testing.T, yaml string) *scenario.Scenario {
	t.Helper()
	if !strings.HasPrefix(yaml, "action:") && !strings.Contains(yaml, "\naction:") {
		yaml += "action: {type: reboot}\n"
	}
	scn, err := scenario.Parse("test.yaml", []byte("apiVersion: gameday/v1\nname: t\n"+yaml))
	if err != nil {
		t.Fatalf("%v\n%s", err, yaml)
	}
	return scn
}

type built struct {
	*Result
	json []byte
}

func build(t *testing.T, yaml string, instances []fleet.Instance, opts Options) built {
	t.Helper()
	scn := parse(t, yaml)
	res, err := Build(scn, planOn(t, scn, instances, 1), opts)
	if err != nil {
		t.Fatal(err)
	}
	data, err := res.Template.JSON()
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, data)
	return built{res, data}
}

func (b built) warned(t *testing.T, want string) {
	t.Helper()
	for _, w := range b.Warnings {
		if strings.Contains(w, want) {
			return
		}
	}
	t.Errorf("no warning contains %q; warnings:\n%s", want, strings.Join(b.Warnings, "\n"))
}

func (b built) notWarned(t *testing.T, unwanted string) {
	t.Helper()
	for _, w := range b.Warnings {
		if strings.Contains(w, unwanted) {
			t.Errorf("unexpected warning %q", w)
		}
	}
}

func (b built) target(t *testing.T, name string) Target {
	t.Helper()
	tg, ok := b.Template.Targets.Get(name)
	if !ok {
		t.Fatalf("no target %s; targets %v", name, b.Template.Targets.Keys())
	}
	return tg
}

func (b built) action(t *testing.T, name string) Action {
	t.Helper()
	a, ok := b.Template.Actions.Get(name)
	if !ok {
		t.Fatalf("no action %s; actions %v", name, b.Template.Actions.Keys())
	}
	return a
}

const noGate = "waves: {count: 1, wait_for_healthy: false}\n"

func TestFISSelectionMode(t *testing.T) {
	t.Parallel()
	pool := zones(4, 6)
	tests := []struct {
		name, yaml string
		want       string
		azs        []string
	}{
		{"all of the scope", "target: {availability_zones: [us-east-1a]}\nblast_radius: {all: true}\n", "ALL", []string{"us-east-1a"}},
		{"all, capped, stays a count", "target: {availability_zones: [us-east-1a]}\nblast_radius: {all: true, max_instances: 10}\n", "COUNT(4)", []string{"us-east-1a"}},
		{"100% is all", "blast_radius: {percent: 100%}\n", "ALL", nil},
		{"whole percent", "blast_radius: {percent: 50%}\n", "PERCENT(50)", nil},
		{"percent rounded down like FIS", "blast_radius: {percent: 25%}\n", "PERCENT(25)", nil},
		{"fractional percent is a count", "blast_radius: {percent: 12.5%}\n", "COUNT(1)", nil},
		{"percent with a cap is a count", "blast_radius: {percent: 50%, max_instances: 9}\n", "COUNT(5)", nil},
		{"count", "blast_radius: {count: 3}\n", "COUNT(3)", nil},
		{"per_az 100% of one AZ", "blast_radius: {per_az: {us-east-1b: 100%}}\n", "ALL", []string{"us-east-1b"}},
		{"per_az share is a count", "blast_radius: {per_az: {us-east-1b: 50%}}\n", "COUNT(3)", []string{"us-east-1b"}},
		{"exclude_tags leaves candidates out", "target: {exclude_tags: {app: web}}\nblast_radius: {all: true}\n", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.want == "" {
				scn := parse(t, tt.yaml+noGate)
				listings := [][]fleet.Instance{pool}
				if _, err := plan.Build(plan.Input{Scenario: scn, Instances: listings, Seed: 1}); !errors.Is(err, plan.ErrEmptySelection) {
					t.Fatalf("want an empty selection, got %v", err)
				}
				return
			}
			b := build(t, tt.yaml+noGate, pool, Options{})
			tg := b.target(t, "wave-1")
			if tg.SelectionMode != tt.want {
				t.Errorf("selectionMode %s, want %s", tg.SelectionMode, tt.want)
			}
			var azs []string
			for _, f := range tg.Filters {
				if f.Path == FilterAZ {
					azs = f.Values
				}
			}
			if !slices.Equal(azs, tt.azs) {
				t.Errorf("AZ filter %v, want %v", azs, tt.azs)
			}
		})
	}
}

func TestFISExcludedInstancesMakeACount(t *testing.T) {
	t.Parallel()
	instances := zones(6)
	instances[0].Tags["tier"] = "canary"
	b := build(t, "target: {exclude_tags: {tier: canary}}\nblast_radius: {all: true}\n"+noGate, instances, Options{})
	if got := b.target(t, "wave-1").SelectionMode; got != "COUNT(5)" {
		t.Errorf("selectionMode %s, want COUNT(5): ALL would take the excluded canary", got)
	}
	b.warned(t, "target.exclude_tags (tier=canary) cannot be expressed")
}

func TestFISHealthGatedWavesWaitIntervalPlusAssumedRecovery(t *testing.T) {
	t.Parallel()
	yaml := `blast_radius: {count: 6}
waves: {count: 3, interval: 30s, gate_timeout: 10m}
verify: {instance: {url: "http://{{.PrivateIP}}/"}}
`
	b := build(t, yaml, zones(4, 4), Options{AssumedRecovery: 2 * time.Minute})
	if got := b.Template.Actions.Keys(); !slices.Equal(got, []string{"wave-1", "wait-after-wave-1", "wave-2", "wait-after-wave-2", "wave-3"}) {
		t.Fatalf("actions %v", got)
	}
	wait := b.action(t, "wait-after-wave-1")
	if d, _ := wait.Parameters.Get(ParamDuration); d != "PT2M30S" || !slices.Equal(wait.StartAfter, []string{"wave-1"}) {
		t.Errorf("wait-after-wave-1: duration %s after %v, want PT2M30S after [wave-1]", d, wait.StartAfter)
	}
	if got := b.action(t, "wave-2").StartAfter; !slices.Equal(got, []string{"wait-after-wave-1"}) {
		t.Errorf("wave-2 starts after %v", got)
	}
	if len(b.action(t, "wave-1").StartAfter) != 0 {
		t.Error("wave-1 should start with the experiment")
	}
	b.warned(t, "waves wait for health (wait_for_healthy) and FIS cannot")

	// The assumed recovery is capped by the gate timeout, as in the plan's
	// estimate; without a gate the wait is the interval alone.
	capped := build(t, strings.Replace(yaml, "gate_timeout: 10m", "gate_timeout: 1m", 1), zones(4, 4), Options{AssumedRecovery: 2 * time.Minute})
	if d, _ := capped.action(t, "wait-after-wave-1").Parameters.Get(ParamDuration); d != "PT1M30S" {
		t.Errorf("capped wait %s, want PT1M30S", d)
	}
	ungated := build(t, "blast_radius: {count: 6}\nwaves: {count: 3, interval: 90s, wait_for_healthy: false}\n", zones(4, 4), Options{AssumedRecovery: 2 * time.Minute})
	if d, _ := ungated.action(t, "wait-after-wave-1").Parameters.Get(ParamDuration); d != "PT1M30S" {
		t.Errorf("ungated wait %s, want PT1M30S", d)
	}
	ungated.notWarned(t, "wait for health")
	chained := build(t, "blast_radius: {count: 6}\nwaves: {count: 3, wait_for_healthy: false}\n", zones(4, 4), Options{})
	if got := chained.action(t, "wave-2").StartAfter; !slices.Equal(got, []string{"wave-1"}) {
		t.Errorf("without interval or gate, wave-2 starts after %v, want [wave-1]", got)
	}
}

func TestFISPhasesChainByOffsetAndAfterPhase(t *testing.T) {
	t.Parallel()
	yaml := `target: {availability_zones: [us-east-1a]}
action: {type: reboot}
waves: {count: 2, wait_for_healthy: false}
phases:
  - name: first
    blast_radius: {count: 2}
  - name: second
    after: 10m
    blast_radius: {count: 2}
  - name: third
    after_phase: first
    blast_radius: {count: 1}
    action: {type: stop-start, stopped_for: 0s}
    waves: {count: 1, wait_for_healthy: false}
  - name: fourth
    blast_radius: {count: 1}
    waves: {count: 1, wait_for_healthy: false}
`
	b := build(t, yaml, zones(12), Options{})
	want := map[string][]string{
		"first-wave-1":       nil,
		"first-wave-2":       {"first-wave-1"},
		"wait-before-second": nil,
		"second-wave-1":      {"wait-before-second"},
		"second-wave-2":      {"second-wave-1"},
		"third-wave-1":       {"first-wave-2"},
		"fourth-wave-1":      {"third-wave-1"},
	}
	for name, deps := range want {
		if got := b.action(t, name).StartAfter; !slices.Equal(got, deps) {
			t.Errorf("%s starts after %v, want %v", name, got, deps)
		}
	}
	if d, _ := b.action(t, "wait-before-second").Parameters.Get(ParamDuration); d != "PT10M" {
		t.Errorf("wait-before-second %s, want PT10M", d)
	}
	third := b.action(t, "third-wave-1")
	if d, _ := third.Parameters.Get(ParamStartAfter); third.ActionID != ActionStop || d != "PT1M" {
		t.Errorf("third: %s with %s, want stop-instances with PT1M", third.ActionID, d)
	}
	b.warned(t, "phase third: action.stopped_for is 0s, below FIS's 1-minute minimum: exported as PT1M")
	b.warned(t, "targets first-wave-1, first-wave-2, second-wave-1, second-wave-2, third-wave-1 and fourth-wave-1 can match the same instances")
}

func TestFISGatedPhaseEndsAfterAssumedRecoveryForAfterPhase(t *testing.T) {
	t.Parallel()
	yaml := `target: {availability_zones: [us-east-1a]}
action: {type: reboot}
verify: {instance: {url: "http://{{.PrivateIP}}/"}}
phases:
  - name: one
    blast_radius: {count: 2}
  - name: two
    after_phase: one
    blast_radius: {count: 2}
`
	b := build(t, yaml, zones(8), Options{AssumedRecovery: 3 * time.Minute})
	wait := b.action(t, "wait-after-one-wave-1")
	if d, _ := wait.Parameters.Get(ParamDuration); d != "PT3M" {
		t.Errorf("end of phase one waits %s, want PT3M", d)
	}
	if got := b.action(t, "two-wave-1").StartAfter; !slices.Equal(got, []string{"wait-after-one-wave-1"}) {
		t.Errorf("two-wave-1 starts after %v", got)
	}
	if _, ok := b.Template.Actions.Get("wait-after-two-wave-1"); ok {
		t.Error("the last phase needs no trailing wait")
	}
}

func TestFISInstancesTargetsNameThePlanInFives(t *testing.T) {
	t.Parallel()
	instances := zones(12)
	b := build(t, "blast_radius: {count: 12}\n"+noGate, instances, Options{Targets: TargetsByInstance, Account: "210987654321"})
	names := b.Template.Targets.Keys()
	if !slices.Equal(names, []string{"wave-1-part-1", "wave-1-part-2", "wave-1-part-3"}) {
		t.Fatalf("targets %v", names)
	}
	var arns []string
	for _, n := range names {
		tg := b.target(t, n)
		if tg.SelectionMode != SelectAll || len(tg.ResourceTags) > 0 || len(tg.Filters) > 0 {
			t.Errorf("%s: %+v, want ARNs only, ALL", n, tg)
		}
		arns = append(arns, tg.ResourceARNs...)
		if got := b.action(t, n).Targets; len(got) != 1 || got[0].Value != n {
			t.Errorf("action %s targets %v", n, got)
		}
	}
	if len(arns) != 12 || arns[0] != "arn:aws:ec2:us-east-1:210987654321:instance/"+b.planIDs()[0] {
		t.Errorf("ARNs %v", arns)
	}
	b.warned(t, "--targets instances: the targets name the 12 instances this plan selected")
	b.notWarned(t, "can match the same instances")
}

func (b built) planIDs() []string {
	var ids []string
	for _, f := range b.Template.Targets {
		for _, a := range f.Value.ResourceARNs {
			ids = append(ids, a[strings.LastIndex(a, "/")+1:])
		}
	}
	return ids
}

func TestFISInstanceIDsAreAlwaysPinned(t *testing.T) {
	t.Parallel()
	instances := zones(3)
	yaml := fmt.Sprintf("target: {instance_ids: [%s, %s]}\nblast_radius: {all: true}\n%s", instances[0].ID, instances[2].ID, noGate)
	b := build(t, yaml, instances, Options{})
	tg := b.target(t, "wave-1")
	if len(tg.ResourceARNs) != 2 || !strings.HasPrefix(tg.ResourceARNs[0], "arn:aws:ec2:us-east-1:ACCOUNT_ID:instance/i-") {
		t.Errorf("target %+v, want the two instances by ARN", tg)
	}
	b.warned(t, "no account for the instance ARNs")
}

func TestFISQuotaWarnings(t *testing.T) {
	t.Parallel()
	t.Run("parallel actions", func(t *testing.T) {
		t.Parallel()
		b := build(t, "blast_radius: {count: 60}\n"+noGate, zones(60), Options{Targets: TargetsByInstance, Account: "123456789012"})
		if n := len(b.Template.Actions); n != 12 {
			t.Fatalf("%d actions, want 12 parts of 5", n)
		}
		b.warned(t, "FIS quota: up to 12 actions run at the same time, above the default 10")
	})
	t.Run("actions per template", func(t *testing.T) {
		t.Parallel()
		b := build(t, "blast_radius: {count: 11}\nwaves: {size: 1, interval: 1m, wait_for_healthy: false}\n", zones(11), Options{})
		b.warned(t, "FIS quota: the template has 21 actions, above the default 20")
	})
	t.Run("twelve hours", func(t *testing.T) {
		t.Parallel()
		b := build(t, "action: {type: stop-start, stopped_for: 13h}\nblast_radius: {count: 2}\nwaves: {count: 2, wait_for_healthy: false}\n", zones(2), Options{})
		b.warned(t, "action.stopped_for is 13h0m0s, above FIS's 12-hour maximum: exported as PT12H")
		b.warned(t, "FIS quota: the experiment runs for about 24h2m0s, above FIS's 12-hour maximum")
	})
	t.Run("resources per target", func(t *testing.T) {
		t.Parallel()
		b := build(t, "blast_radius: {count: 6}\n"+noGate, zones(8), Options{})
		b.warned(t, "wave-1 (COUNT(6)) resolve to more")
		all := build(t, "blast_radius: {all: true}\n"+noGate, zones(4), Options{})
		all.warned(t, "wave-1 (ALL, 4 of 4 instances on the planned fleet) follow the fleet")
		small := build(t, "blast_radius: {count: 5}\n"+noGate, zones(8), Options{})
		small.notWarned(t, "FIS quota")
	})
}

func TestFISTimeline(t *testing.T) {
	t.Parallel()
	tpl := &Template{Actions: Object[Action]{
		{"a", Action{ActionID: ActionReboot}},
		{"w", Action{ActionID: ActionWait, Parameters: Object[string]{{ParamDuration, "PT5M"}}}},
		{"b", Action{ActionID: ActionStop, Parameters: Object[string]{{ParamStartAfter, "PT10M"}}, StartAfter: []string{"w"}}},
		{"c", Action{ActionID: ActionReboot, StartAfter: []string{"a", "b"}}},
	}}
	total, parallel := Timeline(tpl)
	if total != 16*time.Minute || parallel != 2 {
		t.Errorf("Timeline = %s, %d; want 16m (5m wait + 1m stop + 10m stopped), 2 at once (a and w)", total, parallel)
	}
}

func TestFISWarnsWhatItCannotExpress(t *testing.T) {
	t.Parallel()
	instances := zones(6, 6)
	for i := range instances {
		instances[i].InstanceType = "m5.large"
	}
	yaml := `target:
  tags: {app: "w*"}
  filters: {instance-type: [m5.large], tag-key: [app]}
blast_radius:
  per_az: {us-east-1a: 50%, us-east-1b: 25%}
  min_healthy_remaining: {per_az: 1}
action: {type: force-stop-start, stopped_for: 2m}
waves: {count: 2, order: interleave-az, max_in_flight: 1, interval: 10s, wait_for_healthy: false}
schedule: {mode: scheduled, start_at: 2030-01-01T00:00:00Z}
guardrails: {require_tag: {gameday: opt-in}, allowed_regions: [us-east-1]}
`
	b := build(t, yaml, instances, Options{})
	for _, want := range []string{
		`target.tags app="w*" uses a wildcard`,
		"target.filters tag-key has no FIS equivalent: dropped",
		"waves.max_in_flight 1 cannot be expressed",
		"the per-AZ floor (blast_radius.min_healthy_remaining.per_az) cannot be expressed",
		"waves.order interleave-az cannot be expressed",
		"blast_radius.per_az shares cannot be expressed per wave",
		"action force-stop-start is exported as aws:ec2:stop-instances, which has no force option",
		"schedule (mode scheduled) is not exported",
		"guardrails.allowed_accounts and allowed_regions are not exported",
		"the wait after wave 1 (waves.interval 10s) is 10s, below FIS's 1-minute minimum: exported as PT1M",
	} {
		b.warned(t, want)
	}
	tg := b.target(t, "wave-1")
	if v, _ := tg.ResourceTags.Get("app"); v != "w*" {
		t.Errorf("resourceTags app=%q, want the literal w*", v)
	}
	if !slices.ContainsFunc(tg.Filters, func(f Filter) bool { return f.Path == "InstanceType" && slices.Equal(f.Values, []string{"m5.large"}) }) {
		t.Errorf("filters %+v lack InstanceType m5.large", tg.Filters)
	}

	stop := build(t, "blast_radius: {count: 1}\naction: {type: stop, allow_leave_stopped: true}\n"+noGate, zones(2), Options{})
	a := stop.action(t, "wave-1")
	if a.ActionID != ActionStop || len(a.Parameters) != 0 {
		t.Errorf("stop: %+v, want stop-instances without startInstancesAfterDuration", a)
	}
	stop.warned(t, "action stop leaves the instances stopped")
}

func TestFISEscapedTagValueIsLiteral(t *testing.T) {
	t.Parallel()
	instances := zones(2)
	instances[0].Tags["app"] = "web*"
	b := build(t, "target: {tags: {app: 'web\\*'}}\nblast_radius: {count: 1}\n"+noGate, instances, Options{})
	if v, _ := b.target(t, "wave-1").ResourceTags.Get("app"); v != "web*" {
		t.Errorf("app=%q, want web*", v)
	}
	b.notWarned(t, "wildcard")
}

func TestFISStopConditionsRoleAndLogs(t *testing.T) {
	t.Parallel()
	alarms := []string{
		"arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors",
		"arn:aws:cloudwatch:us-west-2:123456789012:alarm:latency",
		"arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors",
	}
	b := build(t, "blast_radius: {count: 1}\n"+noGate, zones(2), Options{
		RoleARN: "arn:aws:iam::123456789012:role/fis", StopConditionAlarms: alarms,
		LogGroupARN:       "arn:aws:logs:us-east-1:123456789012:log-group:/gameday/fis:*",
		ExperimentOptions: true,
	})
	want := []StopCondition{{StopSourceAlarm, alarms[0]}, {StopSourceAlarm, alarms[1]}}
	if !slices.Equal(b.Template.StopConditions, want) {
		t.Errorf("stop conditions %v, want %v", b.Template.StopConditions, want)
	}
	if b.Template.RoleARN != "arn:aws:iam::123456789012:role/fis" {
		t.Errorf("roleArn %s", b.Template.RoleARN)
	}
	if lc := b.Template.LogConfiguration; lc == nil || lc.LogSchemaVersion != 2 || lc.CloudWatchLogsConfiguration.LogGroupARN == "" {
		t.Errorf("logConfiguration %+v", lc)
	}
	if eo := b.Template.ExperimentOptions; eo == nil || eo.AccountTargeting != "single-account" || eo.EmptyTargetResolutionMode != "fail" {
		t.Errorf("experimentOptions %+v, want single-account and fail", eo)
	}
	if plain := build(t, "blast_radius: {count: 1}\n"+noGate, zones(2), Options{}); plain.Template.ExperimentOptions != nil {
		t.Error("experimentOptions written without being asked for")
	}
	b.warned(t, "stop condition arn:aws:cloudwatch:us-west-2:123456789012:alarm:latency is an alarm in us-west-2, not in us-east-1")
	b.notWarned(t, "--role-arn")
	b.notWarned(t, "--stop-condition-alarm")
}

func TestFISLongPhaseNamesStayWithinSixtyFourCharacters(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 60)
	yaml := fmt.Sprintf(`blast_radius: {count: 2}
action: {type: reboot}
verify: {instance: {url: "http://{{.PrivateIP}}/"}}
phases:
  - name: %s1
    waves: {count: 2, interval: 1m}
  - name: %s2
    after_phase: %s1
`, long, long, long)
	b := build(t, yaml, zones(8), Options{AssumedRecovery: time.Minute})
	for _, name := range append(b.Template.Targets.Keys(), b.Template.Actions.Keys()...) {
		if len(name) > MaxNameLength {
			t.Errorf("name %q is %d characters", name, len(name))
		}
	}
	if n := len(b.Template.Actions); n != 5 {
		t.Errorf("%d actions %v, want 5 (names made unique)", n, b.Template.Actions.Keys())
	}
}

func TestFISSeveralRegionsAreRefused(t *testing.T) {
	t.Parallel()
	east, west := zones(2), zones(2)
	for i := range west {
		west[i].Region, west[i].AZ, west[i].ID = "us-west-2", "us-west-2a", fmt.Sprintf("i-%017x", 100+i)
	}
	scn := parse(t, "target: {regions: [us-east-1, us-west-2]}\nblast_radius: {all: true}\n"+noGate)
	p := planOn(t, scn, append(east, west...), 1)
	if _, err := Build(scn, p, Options{}); !errors.Is(err, ErrSeveralRegions) {
		t.Fatalf("err %v, want ErrSeveralRegions", err)
	}
}

func TestFISOptionsValidate(t *testing.T) {
	t.Parallel()
	good := Options{
		RoleARN:             "arn:aws:iam::123456789012:role/path/fis-role",
		StopConditionAlarms: []string{"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:High 5xx"},
		LogGroupARN:         "arn:aws:logs:eu-west-1:123456789012:log-group:fis:*",
		Account:             "123456789012", Targets: TargetsByInstance, AssumedRecovery: time.Minute,
	}
	if err := good.Validate(); err == nil || !strings.Contains(err.Error(), "High 5xx") {
		// A space is not allowed in an ARN (the API model says \S).
		t.Errorf("alarm name with a space: %v", err)
	}
	good.StopConditionAlarms = []string{"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:High5xx"}
	if err := good.Validate(); err != nil {
		t.Errorf("valid options: %v", err)
	}
	for _, bad := range []Options{
		{RoleARN: "fis-role"},
		{RoleARN: "arn:aws:iam::12345:role/x"},
		{StopConditionAlarms: []string{"arn:aws:sns:us-east-1:123456789012:topic"}},
		{LogGroupARN: "my-logs"},
		{Account: "abc"},
		{Targets: "arns"},
		{AssumedRecovery: -time.Second},
	} {
		if err := bad.Validate(); !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: err %v, want ErrOptions", bad, err)
		}
	}
}
