package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"gameday/internal/ec2"
	"gameday/internal/execute"
	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/scenario"
	"gameday/internal/verify"
)

// monitors watch a run: each eligible instance's health, and the services
// users see. Either may be absent.
type monitors struct {
	instances *verify.Monitor
	services  *verify.Services
}

func (m monitors) stop() {
	if m.instances != nil {
		m.instances.Stop()
	}
	if m.services != nil {
		m.services.Stop()
	}
}

// statusReader and targetHealthReader are what the batch health sources
// need of a region's operator beyond fleet.Operator; *ec2.Provider has
// both.
type statusReader interface {
	InstanceStatus(ctx context.Context, ids []string) (map[string]ec2.StatusCheck, error)
}

type targetHealthReader interface {
	TargetGroup(ctx context.Context, nameOrARN string) (ec2.TargetGroup, error)
	TargetHealth(ctx context.Context, targetGroup string) ([]ec2.TargetHealth, error)
}

// startMonitors starts watching. Per-instance health combines every source
// the scenario configures: the verify.instance probe, EC2 status checks
// and the target health of each of verify.target_groups; an instance is
// healthy only when all that cover it agree. A scenario with none of them
// (only valid with wait_for_healthy: false) gets a gate that never waits;
// its report says recovery was not measured.
func (r *recorder) startMonitors(ctx context.Context) (execute.Gate, monitors, error) {
	v := r.opts.Scenario.Verify
	var m monitors
	if len(v.Services) > 0 {
		m.services = verify.NewServices(serviceTargets(v.Services, r.opts.LoopbackOnly), r.log)
		m.services.Start(ctx)
	}
	if !v.HasInstanceHealth() {
		r.log.Warn("no health probe: recovery will not be measured",
			zap.String("reason", "the scenario has none of verify.instance, verify.ec2_status_checks and verify.target_groups"))
		return noGate{}, m, nil
	}
	mon, err := r.instanceMonitor(ctx)
	if err != nil {
		m.stop()
		return nil, monitors{}, err
	}
	m.instances = mon
	m.instances.Start(ctx)
	return m.instances, m, nil
}

// instanceMonitor builds the monitor of every instance eligible in any
// phase that some source covers.
func (r *recorder) instanceMonitor(ctx context.Context) (*verify.Monitor, error) {
	v := r.opts.Scenario.Verify
	insts := eligible(r.plan)
	var groups []targetGroupSource
	for _, name := range v.TargetGroups {
		g, err := r.resolveTargetGroup(ctx, name, len(v.TargetGroups) > 1)
		if err != nil {
			return nil, err
		}
		groups = append(groups, g)
	}
	insts, err := r.covered(insts, groups)
	if err != nil {
		return nil, err
	}

	cfg := verify.Config{Interval: r.opts.PollInterval}
	var targets []verify.Target
	var prober verify.Prober
	if v.Instance != nil {
		cfg.Interval = v.Instance.Interval.Duration
		if targets, err = monitorTargets(v.Instance, insts); err != nil {
			return nil, err
		}
		prober = newProber(v.Instance, r.opts.LoopbackOnly)
	} else {
		for _, inst := range insts {
			targets = append(targets, verify.Target{InstanceID: inst.ID, AZ: inst.AZ})
		}
	}
	mon := verify.NewMonitor(cfg, targets, prober, r.log)
	if v.EC2StatusChecks {
		if err := r.addStatusChecks(ctx, mon, insts); err != nil {
			return nil, err
		}
	}
	monitored := map[string]bool{}
	for _, inst := range insts {
		monitored[inst.ID] = true
	}
	for _, g := range groups {
		ids := slices.DeleteFunc(slices.Clone(g.members), func(id string) bool { return !monitored[id] })
		if err := mon.AddBatch(verify.Batch{Source: g.source, IDs: ids, Interval: r.opts.PollInterval}); err != nil {
			return nil, fmt.Errorf("runner: %w", err)
		}
	}
	if u := mon.Uncovered(); len(u) > 0 {
		return nil, fmt.Errorf("runner: no health source covers %s", strings.Join(u, ", "))
	}
	return mon, nil
}

// eligible lists every instance eligible in any phase, each once.
func eligible(p *plan.Plan) []fleet.Instance {
	var out []fleet.Instance
	seen := map[string]bool{}
	for _, ph := range p.Phases {
		for _, inst := range append(slices.Clone(ph.Eligible), ph.Selected...) {
			if !seen[inst.ID] {
				seen[inst.ID] = true
				out = append(out, inst)
			}
		}
	}
	return out
}

// covered keeps the instances some source covers. With a probe or status
// checks that is all of them; with target groups alone, only registered
// instances are watched, and a selected instance that none registers stops
// the run before anything is touched: its recovery could not be seen.
func (r *recorder) covered(insts []fleet.Instance, groups []targetGroupSource) ([]fleet.Instance, error) {
	v := r.opts.Scenario.Verify
	for _, g := range groups {
		if !slices.ContainsFunc(insts, func(inst fleet.Instance) bool { return slices.Contains(g.members, inst.ID) }) {
			return nil, fmt.Errorf("runner: verify.target_groups: %s registers none of the %d eligible instances; "+
				"check that it is the target group in front of this fleet", g.label, len(insts))
		}
	}
	if v.Instance != nil || v.EC2StatusChecks {
		return insts, nil
	}
	registered := map[string]bool{}
	for _, g := range groups {
		for _, id := range g.members {
			registered[id] = true
		}
	}
	selected := map[string]bool{}
	for _, inst := range r.plan.Selected() {
		selected[inst.ID] = true
	}
	var out []fleet.Instance
	var blocking []string
	for _, inst := range insts {
		switch {
		case registered[inst.ID]:
			out = append(out, inst)
		case selected[inst.ID]:
			blocking = append(blocking, inst.ID)
		default:
			r.log.Info("not watched: registered in none of verify.target_groups", zap.String("instance_id", inst.ID))
		}
	}
	if len(blocking) > 0 {
		return nil, fmt.Errorf("runner: verify.target_groups: %d selected instances are registered in none of the target groups, "+
			"so their recovery could not be seen (add verify.instance or verify.ec2_status_checks, or narrow the target): %s",
			len(blocking), strings.Join(blocking, ", "))
	}
	return out, nil
}

// addStatusChecks adds one status-check source per region. A first read
// of up to 100 instances per region, before anything is touched, turns a
// missing permission into an error now rather than a gate that never
// passes.
func (r *recorder) addStatusChecks(ctx context.Context, mon *verify.Monitor, insts []fleet.Instance) error {
	byRegion := map[string][]string{}
	var regions []string
	for _, inst := range insts {
		region := r.regionOf(inst)
		if _, ok := byRegion[region]; !ok {
			regions = append(regions, region)
		}
		byRegion[region] = append(byRegion[region], inst.ID)
	}
	for _, region := range regions {
		reader, ok := r.opts.Operators[region].(statusReader)
		if !ok {
			return fmt.Errorf("runner: verify.ec2_status_checks: the connection to %s cannot read status checks", region)
		}
		ids := byRegion[region]
		if _, err := reader.InstanceStatus(ctx, ids[:min(len(ids), ec2.MaxStatusIDs)]); err != nil {
			return fmt.Errorf("runner: verify.ec2_status_checks: %w", err)
		}
		source := verify.NewStatusSource(func(ctx context.Context, ids []string) (map[string]verify.EC2Status, error) {
			checks, err := reader.InstanceStatus(ctx, ids)
			if err != nil {
				return nil, err
			}
			out := make(map[string]verify.EC2Status, len(checks))
			for id, c := range checks {
				out[id] = verify.EC2Status{State: c.State, System: c.System, Instance: c.Instance,
					SystemDetail: c.SystemDetail, InstanceDetail: c.InstanceDetail}
			}
			return out, nil
		})
		if err := mon.AddBatch(verify.Batch{Source: source, IDs: ids, Interval: r.opts.PollInterval}); err != nil {
			return fmt.Errorf("runner: %w", err)
		}
		r.log.Info("watching EC2 status checks", zap.String("region", region), zap.Int("instances", len(ids)),
			zap.Duration("interval", r.opts.PollInterval), zap.Int("calls_per_poll", (len(ids)+ec2.MaxStatusIDs-1)/ec2.MaxStatusIDs))
	}
	return nil
}

func (r *recorder) regionOf(inst fleet.Instance) string {
	if inst.Region != "" {
		return inst.Region
	}
	return r.opts.Regions[0]
}

// targetGroupSource is one of verify.target_groups, resolved.
type targetGroupSource struct {
	label   string // as the scenario names it
	members []string
	source  *verify.ELBSource
}

// resolveTargetGroup finds a target group (an ARN in its own region, a
// name in the run's default region) and its registered instances, with one
// DescribeTargetGroups and one DescribeTargetHealth call: an unknown
// group, a missing permission or a group of IP targets stop the run here,
// before anything is touched.
func (r *recorder) resolveTargetGroup(ctx context.Context, nameOrARN string, several bool) (targetGroupSource, error) {
	region := r.opts.Regions[0]
	if ec2.IsTargetGroupARN(nameOrARN) {
		if parts := strings.Split(nameOrARN, ":"); len(parts) > 3 {
			region = parts[3]
		}
	}
	wrap := func(err error) error { return fmt.Errorf("runner: verify.target_groups: %w", err) }
	op, ok := r.opts.Operators[region]
	if !ok {
		return targetGroupSource{}, wrap(fmt.Errorf("%s is in %s, where this run does not act", nameOrARN, region))
	}
	reader, ok := op.(targetHealthReader)
	if !ok {
		return targetGroupSource{}, wrap(fmt.Errorf("the connection to %s cannot read target health", region))
	}
	tg, err := reader.TargetGroup(ctx, nameOrARN)
	if err != nil {
		return targetGroupSource{}, wrap(err)
	}
	if tg.TargetType != "" && tg.TargetType != "instance" {
		return targetGroupSource{}, wrap(fmt.Errorf("target group %s has targets of type %s; gameday follows instance targets only", tg.Name, tg.TargetType))
	}
	read := func(ctx context.Context) ([]verify.ELBTarget, error) {
		targets, err := reader.TargetHealth(ctx, tg.ARN)
		if err != nil {
			return nil, err
		}
		out := make([]verify.ELBTarget, len(targets))
		for i, t := range targets {
			out[i] = verify.ELBTarget{InstanceID: t.InstanceID, Port: t.Port, State: t.State, Reason: t.Reason, Description: t.Description}
		}
		return out, nil
	}
	first, err := read(ctx)
	if err != nil {
		return targetGroupSource{}, wrap(err)
	}
	name := "ELB"
	if several {
		name += " " + tg.Name
	}
	members := verify.Members(first)
	r.log.Info("watching ELB target health", zap.String("target_group", tg.ARN), zap.String("region", region),
		zap.Int("registered", len(members)), zap.Duration("interval", r.opts.PollInterval))
	return targetGroupSource{label: nameOrARN, members: members, source: verify.NewELBSource(name, read)}, nil
}

// steadyWait bounds the wait for every watched instance's first answers
// before the first wave: two probe intervals and a timeout, and for batch
// sources two poll intervals plus the time their calls take at EC2's
// pace (10 unfiltered Describe calls a second, 100 instances each).
func (r *recorder) steadyWait() time.Duration {
	v := r.opts.Scenario.Verify
	var wait time.Duration
	if v.Instance != nil {
		wait = 2*v.Instance.Interval.Duration + v.Instance.Timeout.Duration
	}
	if v.EC2StatusChecks || len(v.TargetGroups) > 0 {
		calls := time.Duration(len(eligible(r.plan))/ec2.MaxStatusIDs + 1)
		wait = max(wait, 2*r.opts.PollInterval+10*time.Second+calls*100*time.Millisecond)
	}
	return wait
}

// monitorTargets renders the probe address of every instance.
func monitorTargets(probe *scenario.InstanceProbe, insts []fleet.Instance) ([]verify.Target, error) {
	targets := make([]verify.Target, 0, len(insts))
	for _, inst := range insts {
		fields := scenario.URLFields{
			InstanceID: inst.ID, PrivateIP: inst.PrivateIP, PublicIP: inst.PublicIP,
			AZ: inst.AZ, Region: inst.Region, Tags: inst.Tags,
		}
		render := probe.RenderURL
		if probe.Type == scenario.ProbeTCP {
			render = probe.RenderAddress
		}
		addr, err := render(fields)
		if err != nil {
			return nil, fmt.Errorf("runner: probe address for %s: %w", inst.ID, err)
		}
		targets = append(targets, verify.Target{InstanceID: inst.ID, AZ: inst.AZ, URL: addr})
	}
	return targets, nil
}

func serviceTargets(probes []scenario.ServiceProbe, loopbackOnly bool) []verify.Service {
	out := make([]verify.Service, len(probes))
	for i, p := range probes {
		out[i] = verify.Service{Name: p.Name, URL: p.URL, Interval: p.Interval.Duration,
			Prober: verify.NewHTTPProber(verify.HTTPProbe{
				Timeout: p.Timeout.Duration, ExpectStatus: p.ExpectStatus, BodyContains: p.BodyContains,
				MaxLatency: p.MaxLatency.Duration, LoopbackOnly: loopbackOnly,
			})}
	}
	return out
}
