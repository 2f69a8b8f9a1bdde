package execute

import (
	"context"
	"fmt"
	"sort"
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
	"gameday/internal/journal"
	"gameday/internal/plan"
)

// runWave acts on one wave, in groups of at most MaxInFlight, and waits for
// each group's gate.
func runWave(ctx context.Context, wave plan.Wave, total int, cfg Config, deps Deps) (WaveResult, error) {
	wr := WaveResult{Index: wave.Index, InstanceIDs: fleet.IDs(wave.Instances), StartedAt: time.Now(), Gate: GateNotWaited}
	deps.Observer.WaveStarted(cfg.Phase, wave, total)
	deps.Log.Info("wave start", zap.String("phase", cfg.Phase), zap.Int("wave", wave.Index), zap.Int("of", total),
		zap.Strings("instance_ids", wr.InstanceIDs), zap.Bool("dry_run", cfg.DryRun))
	if cfg.WaitForHealthy && !cfg.DryRun {
		wr.Gate = GatePassed
	}
	x := &wave1{cfg: cfg, deps: deps, wave: wave.Index}
	step := len(wave.Instances)
	if cfg.MaxInFlight > 0 {
		step = min(step, cfg.MaxInFlight)
	}
	for start := 0; start < len(wave.Instances); start += step {
		group := wave.Instances[start:min(start+step, len(wave.Instances))]
		acted, err := x.group(ctx, group, &wr)
		wr.Acted = append(wr.Acted, acted...)
		if err != nil {
			wr.EndedAt = time.Now()
			return wr, err
		}
		if ctx.Err() != nil || !x.gated(ctx, acted, &wr) {
			break
		}
	}
	wr.EndedAt = time.Now()
	deps.Observer.WaveFinished(cfg.Phase, wr, total)
	return wr, nil
}

// wave1 carries one wave's settings through its groups.
type wave1 struct {
	cfg  Config
	deps Deps
	wave int
}

// group re-checks a group of instances, then acts on those still running.
// It returns the instances acted on.
func (x *wave1) group(ctx context.Context, group []fleet.Instance, wr *WaveResult) ([]string, error) {
	live, skipped, err := x.recheck(ctx, group)
	wr.Skipped = append(wr.Skipped, skipped...)
	if err != nil || len(live) == 0 {
		return nil, err
	}
	if x.cfg.DryRun {
		x.deps.Log.Info("dry run: would act", zap.String("action", x.cfg.Action.Type), zap.Strings("instance_ids", fleet.IDs(live)))
		return nil, nil
	}
	var acted []string
	regions := byRegion(live)
	for _, region := range sortedKeys(regions) {
		got, err := x.act(ctx, region, fleet.IDs(regions[region]))
		acted = append(acted, got...)
		if err != nil {
			return acted, err
		}
	}
	return acted, nil
}

// gated waits for the health gate of the instances just acted on; false
// ends the wave (timeout without continue, or interrupt).
func (x *wave1) gated(ctx context.Context, acted []string, wr *WaveResult) bool {
	if !x.cfg.WaitForHealthy || x.cfg.DryRun || len(acted) == 0 || x.holdsStopped() {
		return true
	}
	gate, err := x.deps.Gate.WaitRecovered(ctx, acted, x.cfg.GateTimeout)
	wr.GateElapsed += gate.Elapsed
	wr.Pending = append(wr.Pending, gate.Pending...)
	x.deps.Log.Info("gate", zap.String("phase", x.cfg.Phase), zap.Int("wave", x.wave), zap.Int("instances", len(acted)),
		zap.Bool("timed_out", gate.TimedOut), zap.Duration("elapsed", gate.Elapsed), zap.Strings("pending", gate.Pending))
	switch {
	case err != nil:
		wr.Gate = GateInterrupted
		return false
	case gate.TimedOut:
		wr.Gate = GateTimedOut
		return x.cfg.ContinueOnGateTimeout
	}
	return true
}

// recheck reads the group's instances back just before acting: one that
// vanished or is no longer running is skipped with its reason, so the run
// never acts on a stale plan (and never meets IncorrectInstanceState).
func (x *wave1) recheck(ctx context.Context, group []fleet.Instance) ([]fleet.Instance, []Skip, error) {
	var live []fleet.Instance
	var skipped []Skip
	regions := byRegion(group)
	for _, region := range sortedKeys(regions) {
		insts := regions[region]
		op, err := x.operator(region)
		if err != nil {
			return nil, nil, err
		}
		now, err := op.Describe(ctx, fleet.IDs(insts))
		if err != nil {
			return nil, nil, fmt.Errorf("execute: re-check wave %d in %s: %w", x.wave, region, err)
		}
		seen := indexByID(now)
		states := map[string]string{}
		for _, inst := range insts {
			cur, ok := seen[inst.ID]
			switch {
			case !ok:
				states[inst.ID] = "absent"
				skipped = append(skipped, x.skip(inst.ID, "vanished since the plan was made"))
			case cur.State != fleet.StateRunning:
				states[inst.ID] = cur.State
				skipped = append(skipped, x.skip(inst.ID, "state is "+cur.State+", no longer running"))
			default:
				states[inst.ID] = cur.State
				live = append(live, inst)
			}
		}
		x.note(journal.Record{State: &journal.State{Region: region, Instances: states, Phase: x.cfg.Phase, Wave: x.wave}})
	}
	return live, skipped, nil
}

func (x *wave1) skip(id, reason string) Skip {
	x.deps.Log.Warn("instance skipped", zap.String("phase", x.cfg.Phase), zap.Int("wave", x.wave),
		zap.String("instance_id", id), zap.String("reason", reason))
	return Skip{ID: id, Reason: reason}
}

func (x *wave1) operator(region string) (fleet.Operator, error) {
	op, ok := x.deps.Operators[region]
	if !ok {
		return nil, fmt.Errorf("execute: no provider for region %q", region)
	}
	return op, nil
}

// note appends a record that is informative, not a guard: a failure is
// logged, not fatal (intents are the guards, see mutate).
func (x *wave1) note(r journal.Record) {
	if err := x.deps.Journal.Append(r); err != nil {
		x.deps.Log.Error("journal", zap.Error(err))
	}
}

func byRegion(instances []fleet.Instance) map[string][]fleet.Instance {
	out := map[string][]fleet.Instance{}
	for _, inst := range instances {
		out[inst.Region] = append(out[inst.Region], inst)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func indexByID(instances []fleet.Instance) map[string]fleet.Instance {
	out := make(map[string]fleet.Instance, len(instances))
	for _, inst := range instances {
		out[inst.ID] = inst
	}
	return out
}
