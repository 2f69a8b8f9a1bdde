package fis

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/scenario"
)

// ErrSeveralRegions means the plan acts in more than one region; an
// experiment template acts in one.
var ErrSeveralRegions = errors.New("fis: an experiment template acts in one region")

// Result is a template and what it could not carry over from the scenario.
type Result struct {
	Template *Template
	// Warnings, one sentence each, in a stable order: the template's
	// set-up, then each phase, then how targets overlap, then quotas.
	Warnings []string
}

// Build turns a scenario and its plan into an experiment template.
//
// Each wave becomes one target and one action (or, with
// TargetsByInstance, one per five instances, started together). Waves of
// a phase are chained with startAfter, with an aws:fis:wait between them
// for waves.interval, plus Options.AssumedRecovery when waves wait for
// health. A phase starts at its after offset (an aws:fis:wait from the
// start of the experiment) or after the last action of its after_phase.
func Build(scn *scenario.Scenario, p *plan.Plan, opts Options) (*Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.Targets == "" {
		opts.Targets = TargetsByTags
	}
	region, err := regionOf(p, opts.Region)
	if err != nil {
		return nil, err
	}
	b := &builder{
		scn: scn, plan: p, opts: opts, region: region,
		seen:     map[string]bool{},
		used:     map[string]bool{},
		phaseEnd: map[string][]string{},
		needsEnd: map[string]bool{},
	}
	role := b.role()
	b.tpl = &Template{
		Description:    description(scn, p),
		StopConditions: b.stopConditions(),
		RoleARN:        role,
		Tags: Object[string]{
			{"Name", "gameday-" + scn.Name},
			{"gameday:scenario", scn.Name},
			{"gameday:seed", strconv.FormatUint(p.Seed, 10)},
		},
	}
	if opts.ExperimentOptions {
		b.tpl.ExperimentOptions = &ExperimentOptions{AccountTargeting: "single-account", EmptyTargetResolutionMode: "fail"}
	}
	if opts.LogGroupARN != "" {
		b.tpl.LogConfiguration = &LogConfiguration{
			CloudWatchLogsConfiguration: &CloudWatchLogsConfiguration{LogGroupARN: opts.LogGroupARN},
			LogSchemaVersion:            2,
		}
	}
	b.scenarioWarnings()
	for _, ph := range p.Phases {
		if ph.Step.AfterPhase != "" {
			b.needsEnd[ph.Step.AfterPhase] = true
		}
	}
	for _, ph := range p.Phases {
		b.phase(ph)
	}
	b.overlapWarnings()
	b.quotaWarnings()
	return &Result{Template: b.tpl, Warnings: b.warnings}, nil
}

type builder struct {
	scn    *scenario.Scenario
	plan   *plan.Plan
	opts   Options
	region string
	tpl    *Template

	warnings []string
	seen     map[string]bool
	// used holds every target and action name.
	used map[string]bool
	// phaseEnd: the actions a phase ends with, for after_phase.
	phaseEnd map[string][]string
	// needsEnd: phases a later phase starts after.
	needsEnd map[string]bool
	// selected: the tag targets, for the overlap and quota checks.
	selected []tagTarget
}

// tagTarget is a target FIS resolves by tags and filters.
type tagTarget struct {
	name       string
	sel        selector
	mode       string
	planned    int // instances the plan put in this wave
	candidates int // instances the target matched on the planned fleet
}

func (b *builder) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !b.seen[msg] {
		b.seen[msg] = true
		b.warnings = append(b.warnings, msg)
	}
}

func regionOf(p *plan.Plan, given string) (string, error) {
	var regions []string
	for _, inst := range p.Selected() {
		if inst.Region != "" && !slices.Contains(regions, inst.Region) {
			regions = append(regions, inst.Region)
		}
	}
	if given != "" && !slices.Contains(regions, given) {
		regions = append(regions, given)
	}
	slices.Sort(regions)
	if len(regions) > 1 {
		return "", fmt.Errorf("%w: the plan acts in %s; export one region at a time", ErrSeveralRegions, strings.Join(regions, ", "))
	}
	if len(regions) == 0 {
		return "", nil
	}
	return regions[0], nil
}

func description(scn *scenario.Scenario, p *plan.Plan) string {
	d := fmt.Sprintf("gameday scenario %s, seed %d", scn.Name, p.Seed)
	if scn.Description != "" {
		d = fmt.Sprintf("%s (%s)", scn.Description, d)
	}
	return truncate(d, MaxDescriptionLength)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !isRuneStart(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] >= 0x80 {
		s = s[:len(s)-1]
	}
	return s
}

func isRuneStart(c byte) bool { return c&0xC0 != 0x80 }

func (b *builder) role() string {
	if b.opts.RoleARN != "" {
		return b.opts.RoleARN
	}
	b.warn("no --role-arn: roleArn is the placeholder %s; replace it with a role FIS can assume that allows ec2:RebootInstances, ec2:StopInstances, ec2:StartInstances and ec2:DescribeInstances", PlaceholderRoleARN)
	return PlaceholderRoleARN
}

func (b *builder) stopConditions() []StopCondition {
	var out []StopCondition
	// The scenario's own alarms first, then any the command line adds.
	alarms := append(slices.Clone(b.scn.Guardrails.CloudWatchAlarms), b.opts.StopConditionAlarms...)
	for _, a := range alarms {
		if slices.ContainsFunc(out, func(c StopCondition) bool { return c.Value == a }) {
			continue
		}
		if m := alarmARN.FindStringSubmatch(a); m != nil && b.region != "" && m[1] != b.region {
			b.warn("stop condition %s is an alarm in %s, not in %s where the experiment runs", a, m[1], b.region)
		}
		out = append(out, StopCondition{Source: StopSourceAlarm, Value: a})
	}
	if len(out) == 0 {
		b.warn("no guardrails.cloudwatch_alarms and no --stop-condition-alarm: stopConditions is [{\"source\": \"none\"}] " +
			"and nothing stops the experiment early; name CloudWatch alarms in the scenario or with --stop-condition-alarm ARN")
		out = []StopCondition{{Source: StopSourceNone}}
	}
	return out
}

// scenarioWarnings covers what no phase owns.
func (b *builder) scenarioWarnings() {
	s := b.scn
	if s.Schedule.Mode == scenario.ScheduleScheduled {
		b.warn("schedule (mode scheduled) is not exported: a template has no start time, window or deadline; start the experiment yourself (for example with EventBridge Scheduler) inside the window")
	}
	g := s.Guardrails
	var rails []string
	if g.MaxUnhealthyPercent != nil {
		rails = append(rails, "max_unhealthy_percent")
	}
	if g.AbortBelowAvailability != nil {
		rails = append(rails, "abort_below_availability")
	}
	if len(rails) > 0 {
		b.warn("guardrails.%s cannot be expressed: FIS stops an experiment only on CloudWatch alarms (guardrails.cloudwatch_alarms)", strings.Join(rails, " and "))
	}
	if len(g.AllowedAccounts) > 0 || len(g.AllowedRegions) > 0 {
		b.warn("guardrails.allowed_accounts and allowed_regions are not exported: a template has no allow-list; create it only in an allowed account and region")
	}
	v := s.Verify
	if v.Instance != nil || len(v.Services) > 0 || v.EC2StatusChecks || len(v.TargetGroups) > 0 || s.Objectives != (scenario.Objectives{}) {
		b.warn("verify and objectives are not exported: FIS neither probes health nor scores the run; watch the service (and stop on alarms) while the experiment runs")
	}
	if b.opts.Targets == TargetsByInstance {
		b.warn("--targets instances: the targets name the %d instances this plan selected (seed %d); FIS acts on exactly these, does not check guardrails.require_tag again, and fails if one no longer exists", len(b.plan.Selected()), b.plan.Seed)
	}
}

// label prefixes the names of a phase's targets and actions: none for a
// scenario without phases, else the phase's name (cut to keep every name
// within 64 characters).
func (b *builder) label(ph *plan.Phase) string {
	if len(b.plan.Phases) == 1 && ph.Name == scenario.MainStep && len(b.scn.Phases) == 0 {
		return ""
	}
	l := ph.Name
	if len(l) > 32 {
		l = strings.TrimRight(l[:32], "-")
	}
	return l
}

func join(label, name string) string {
	if label == "" {
		return name
	}
	return label + "-" + name
}

// unique returns name, or name-2, name-3, ... if a target or action has it.
func (b *builder) unique(name string) string {
	out := name
	for i := 2; b.used[out]; i++ {
		out = fmt.Sprintf("%s-%d", name, i)
	}
	b.used[out] = true
	return out
}

func (b *builder) phase(ph *plan.Phase) {
	step := ph.Step
	where := ""
	if len(b.scn.Phases) > 0 {
		where = "phase " + ph.Name + ": "
	}
	label := b.label(ph)
	deps := b.phaseStart(label, where, step)
	if len(ph.Waves) == 0 {
		b.warn("%sselects no instance on the planned fleet: nothing exported for it", where)
		b.phaseEnd[ph.Name] = deps
		return
	}
	gated := step.Waves.WaitsForHealthy() && step.Action.Type != scenario.ActionStop
	recovery := time.Duration(0)
	if gated {
		recovery = b.opts.AssumedRecovery
		if gt := step.Waves.GateTimeout.Duration; gt > 0 && gt < recovery {
			recovery = gt
		}
	}
	b.phaseWarnings(where, ph, gated, recovery, recovery < b.opts.AssumedRecovery)
	interval := step.Waves.Interval.Duration
	for j, w := range ph.Waves {
		waveName := join(label, fmt.Sprintf("wave-%d", w.Index))
		acts := b.wave(ph, w, waveName, deps)
		last := j == len(ph.Waves)-1
		gap, why := recovery+interval, fmt.Sprintf("waves.interval %s", interval)
		if gated {
			why = fmt.Sprintf("waves.interval %s + assumed recovery %s", interval, recovery)
		}
		if last {
			gap, why = 0, ""
			if b.needsEnd[ph.Name] && recovery > 0 {
				gap, why = recovery, fmt.Sprintf("assumed recovery %s", recovery)
			}
		}
		if gap <= 0 {
			deps = acts
			continue
		}
		name := b.unique("wait-after-" + waveName)
		d, note := boundedDuration(gap, fmt.Sprintf("%sthe wait after wave %d (%s)", where, w.Index, why))
		if note != "" {
			b.warn("%s", note)
		}
		b.tpl.Actions = append(b.tpl.Actions, Field[Action]{name, Action{
			ActionID:    ActionWait,
			Description: truncate(fmt.Sprintf("gameday: wait after %s (%s)", waveName, why), MaxDescriptionLength),
			Parameters:  Object[string]{{ParamDuration, d}},
			StartAfter:  acts,
		}})
		deps = []string{name}
	}
	b.phaseEnd[ph.Name] = deps
}

// phaseStart returns what the first wave of a phase starts after.
func (b *builder) phaseStart(label, where string, step scenario.Step) []string {
	switch {
	case step.After != nil && *step.After > 0:
		base := join("wait-before", label)
		if label == "" {
			base = "wait-before-start"
		}
		name := b.unique(base)
		d, note := boundedDuration(*step.After, where+"after")
		if note != "" {
			b.warn("%s", note)
		}
		b.tpl.Actions = append(b.tpl.Actions, Field[Action]{name, Action{
			ActionID:    ActionWait,
			Description: fmt.Sprintf("gameday: phase %s starts %s after the start", step.Name, *step.After),
			Parameters:  Object[string]{{ParamDuration, d}},
		}})
		return []string{name}
	case step.After == nil && step.AfterPhase != "":
		return slices.Clone(b.phaseEnd[step.AfterPhase])
	}
	return nil
}

// phaseWarnings says what of a phase's settings FIS cannot express.
func (b *builder) phaseWarnings(where string, ph *plan.Phase, gated bool, recovery time.Duration, capped bool) {
	step := ph.Step
	t, br, w := step.Target, step.BlastRadius, step.Waves
	if gated && (len(ph.Waves) > 1 || b.needsEnd[ph.Name]) {
		source := "--assume-recovery"
		if capped {
			source = "--assume-recovery, capped by waves.gate_timeout"
		}
		b.warn("%swaves wait for health (wait_for_healthy) and FIS cannot: the next wave starts a fixed time after a wave's action completes "+
			"(waves.interval %s + assumed recovery %s, from %s), whether or not its instances recovered; gate_timeout and on_gate_timeout do not apply",
			where, w.Interval.Duration, recovery, source)
	}
	if w.MaxInFlight > 0 && largest(ph.Waves) > w.MaxInFlight {
		b.warn("%swaves.max_in_flight %d cannot be expressed: FIS acts on all instances of a wave at once", where, w.MaxInFlight)
	}
	if f := br.MinHealthyRemaining; f != nil {
		if f.PerAZ != nil {
			b.warn("%sthe per-AZ floor (blast_radius.min_healthy_remaining.per_az) cannot be expressed: FIS picks each wave's instances on its own and does not count what stays running in an AZ", where)
		}
		if f.PerTagGroup != nil {
			b.warn("%sthe per-group floor (blast_radius.min_healthy_remaining.per_tag_group on %s) cannot be expressed: FIS does not count what stays running per tag value", where, f.PerTagGroup.Tag)
		}
	}
	pinned := b.opts.Targets == TargetsByInstance || len(t.InstanceIDs) > 0
	if !pinned {
		if len(t.ExcludeTags) > 0 {
			b.warn("%starget.exclude_tags (%s) cannot be expressed: FIS targets only include by tag, so the instances it excludes stay candidates", where, tagList(t.ExcludeTags))
		}
		for _, k := range sortedKeys(t.Tags) {
			if !hasWildcard(t.Tags[k]) {
				continue
			}
			b.warn("%starget.tags %s=%q uses a wildcard and FIS matches tag values exactly: the target looks for that literal value", where, k, t.Tags[k])
		}
		for _, k := range sortedKeys(b.scn.Guardrails.RequireTag) {
			v := b.scn.Guardrails.RequireTag[k]
			if tv, ok := t.Tags[k]; ok && unescape(tv) != v {
				b.warn("%starget.tags %s=%q and guardrails.require_tag %s=%q cannot both hold in FIS: the target uses %q", where, k, tv, k, v, v)
			}
		}
		for _, name := range sortedKeys(t.Filters) {
			path, ok := filterPaths[name]
			switch {
			case !ok:
				b.warn("%starget.filters %s has no FIS equivalent: dropped, so the FIS target is wider than the scenario's", where, name)
			case slices.ContainsFunc(t.Filters[name], hasWildcard):
				b.warn("%starget.filters %s uses a wildcard and FIS filter %s matches values exactly", where, name, path)
			}
		}
		zones := azsOf(ph.Selected)
		if w.Order == scenario.OrderInterleaveAZ && len(zones) > 1 {
			b.warn("%swaves.order interleave-az cannot be expressed: each wave's COUNT picks at random across %s, so a wave may land in one AZ", where, strings.Join(zones, ", "))
		}
		if br.PerAZ != nil && len(zones) > 1 && w.Order != scenario.OrderByAZ {
			b.warn("%sblast_radius.per_az shares cannot be expressed per wave: each wave's COUNT picks at random across %s", where, strings.Join(zones, ", "))
		}
	}
	switch step.Action.Type {
	case scenario.ActionForceStopStart:
		b.warn("%saction force-stop-start is exported as aws:ec2:stop-instances, which has no force option: instances shut down cleanly, not like a power cut", where)
	case scenario.ActionStop:
		b.warn("%saction stop leaves the instances stopped, also when a stop condition ends the experiment early; gameday run starts them again after an abort, FIS does not", where)
	}
}

// wave adds the target(s) and action(s) of one wave and returns the
// action names.
func (b *builder) wave(ph *plan.Phase, w plan.Wave, waveName string, deps []string) []string {
	step := ph.Step
	actionID, params := b.action(ph)
	of := fmt.Sprintf("wave %d of %d", w.Index, len(ph.Waves))
	if len(b.scn.Phases) > 0 {
		of = fmt.Sprintf("phase %s, %s", ph.Name, of)
	}
	what := step.Action.Type + " " + instances(len(w.Instances))
	if zones := azsOf(w.Instances); len(zones) > 0 {
		what += " in " + strings.Join(zones, ", ")
	}
	add := func(name, desc string, t Target) string {
		name = b.unique(name)
		b.tpl.Targets = append(b.tpl.Targets, Field[Target]{name, t})
		b.tpl.Actions = append(b.tpl.Actions, Field[Action]{name, Action{
			ActionID:    actionID,
			Description: truncate(desc, MaxDescriptionLength),
			Parameters:  params,
			Targets:     Object[string]{{TargetKeyInstances, name}},
			StartAfter:  slices.Clone(deps),
		}})
		return name
	}
	if b.opts.Targets == TargetsByInstance || len(step.Target.InstanceIDs) > 0 {
		parts := chunks(w.Instances, MaxResourcesPerTarget)
		var names []string
		for k, part := range parts {
			name, desc := waveName, fmt.Sprintf("gameday %s: %s", of, what)
			if len(parts) > 1 {
				name = fmt.Sprintf("%s-part-%d", waveName, k+1)
				desc = fmt.Sprintf("gameday %s, part %d of %d: %s %s", of, k+1, len(parts), step.Action.Type, instances(len(part)))
			}
			names = append(names, add(name, desc, Target{
				ResourceType:  ResourceTypeInstance,
				ResourceARNs:  b.arns(part),
				SelectionMode: SelectAll,
			}))
		}
		return names
	}
	sel := b.selector(ph, w)
	mode, candidates := selectionMode(ph, w, sel)
	name := add(waveName, fmt.Sprintf("gameday %s: %s", of, what), Target{
		ResourceType:  ResourceTypeInstance,
		ResourceTags:  sel.tags,
		Filters:       sel.filters,
		SelectionMode: mode,
	})
	b.selected = append(b.selected, tagTarget{name: name, sel: sel, mode: mode, planned: len(w.Instances), candidates: candidates})
	return []string{name}
}

// action maps a phase's action type to a FIS action and its parameters.
func (b *builder) action(ph *plan.Phase) (string, Object[string]) {
	a := ph.Step.Action
	switch a.Type {
	case scenario.ActionStopStart, scenario.ActionForceStopStart:
		where := "action.stopped_for"
		if len(b.scn.Phases) > 0 {
			where = "phase " + ph.Name + ": " + where
		}
		d, note := boundedDuration(a.StoppedFor.Duration, where)
		if note != "" {
			b.warn("%s", note)
		}
		return ActionStop, Object[string]{{ParamStartAfter, d}}
	case scenario.ActionStop:
		return ActionStop, nil
	}
	return ActionReboot, nil
}

func (b *builder) arns(instances []fleet.Instance) []string {
	account := b.opts.Account
	if account == "" {
		account = PlaceholderAccount
		b.warn("no account for the instance ARNs: they name account %s; replace it", PlaceholderAccount)
	}
	region := b.region
	out := make([]string, len(instances))
	for i, inst := range instances {
		r := region
		if inst.Region != "" {
			r = inst.Region
		}
		out[i] = fmt.Sprintf("arn:%s:ec2:%s:%s:instance/%s", partition(r), r, account, inst.ID)
	}
	return out
}

func instances(n int) string {
	if n == 1 {
		return "1 instance"
	}
	return fmt.Sprintf("%d instances", n)
}

func azsOf(instances []fleet.Instance) []string {
	var out []string
	for _, inst := range instances {
		if inst.AZ != "" && !slices.Contains(out, inst.AZ) {
			out = append(out, inst.AZ)
		}
	}
	slices.Sort(out)
	return out
}

func largest(waves []plan.Wave) int {
	n := 0
	for _, w := range waves {
		n = max(n, len(w.Instances))
	}
	return n
}

func chunks(list []fleet.Instance, size int) [][]fleet.Instance {
	var out [][]fleet.Instance
	for start := 0; start < len(list); start += size {
		out = append(out, list[start:min(start+size, len(list))])
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func tagList(m map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ", ")
}

// listNames writes "a", "a and b" or "a, b and c".
func listNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// hasWildcard reports an unescaped * or ? (EC2 filter wildcards).
func hasWildcard(v string) bool {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '*', '?':
			return true
		}
	}
	return false
}

// unescape turns an EC2 filter value into the literal it matches when it
// has no wildcard: \* is *, \\ is \.
func unescape(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var sb strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		sb.WriteByte(v[i])
	}
	return sb.String()
}
