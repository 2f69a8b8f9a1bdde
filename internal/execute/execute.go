// Package execute runs a plan wave by wave: act on a wave, hold the next
// one until the health gate says the last one recovered, and stop cleanly on
// a gate timeout or an operator interrupt.
package execute

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/verify"
)

// Rebooter is the one provider call this executor makes.
type Rebooter interface {
	Reboot(ctx context.Context, ids []string) error
}

// Gate is the health gate between waves (verify.Monitor implements it).
type Gate interface {
	MarkActed(ids []string, at time.Time)
	WaitRecovered(ctx context.Context, ids []string, timeout time.Duration) (verify.GateResult, error)
}

// Observer is told about waves as they go, e.g. to print a line per wave.
type Observer interface {
	WaveStarted(w plan.Wave, total int)
	WaveFinished(r WaveResult, total int)
}

// Config holds the scenario's wave settings.
type Config struct {
	// Interval is the pause between the end of one wave (its gate) and the
	// start of the next.
	Interval       time.Duration
	WaitForHealthy bool
	GateTimeout    time.Duration
	// ContinueOnGateTimeout goes on to the next wave when a gate times out
	// instead of aborting the run.
	ContinueOnGateTimeout bool
	// MaxInFlight acts on a wave in groups of at most this many, each
	// waiting for health before the next (0: the whole wave at once).
	MaxInFlight int
}

// MutationTimeout bounds one wave's mutating API calls.
const MutationTimeout = 2 * time.Minute

// Gate outcomes of a wave.
const (
	GatePassed      = "passed"
	GateTimedOut    = "timed-out"
	GateNotWaited   = "not-waited"
	GateInterrupted = "interrupted"
)

// WaveResult is what happened to one wave.
type WaveResult struct {
	Index       int
	InstanceIDs []string
	// Acted lists the instances acted on: all of InstanceIDs unless the
	// wave was cut short.
	Acted       []string
	StartedAt   time.Time
	EndedAt     time.Time
	Gate        string
	GateElapsed time.Duration
	// Pending lists instances not recovered when the gate gave up.
	Pending []string
}

// Result is what happened to the whole plan.
type Result struct {
	Waves []WaveResult
	// Acted lists every instance this run acted on, in order.
	Acted       []string
	Aborted     bool
	AbortReason string
}

// Deps are the executor's collaborators.
type Deps struct {
	Provider Rebooter
	Gate     Gate
	Observer Observer
	Log      *zap.Logger
}

// Run executes waves in order. It returns an error only when the provider
// failed; an abort (gate timeout, interrupt) is a Result with Aborted set.
func Run(ctx context.Context, waves []plan.Wave, cfg Config, deps Deps) (Result, error) {
	var res Result
	acted := map[string]bool{}
	for i, wave := range waves {
		if i > 0 && cfg.Interval > 0 {
			deps.Log.Info("waiting before next wave", zap.Int("next_wave", wave.Index), zap.Duration("interval", cfg.Interval))
			if err := Sleep(ctx, cfg.Interval); err != nil {
				return interrupted(ctx, res, wave.Index), nil
			}
		}
		ids, err := fresh(wave.Instances, acted, deps.Log)
		if err != nil {
			return res, err
		}
		wr, err := runWave(ctx, wave, ids, len(waves), cfg, deps)
		res.Waves = append(res.Waves, wr)
		res.Acted = append(res.Acted, wr.Acted...)
		if ctx.Err() != nil {
			return interrupted(ctx, res, wave.Index), nil
		}
		if err != nil {
			return res, err
		}
		if wr.Gate == GateTimedOut && cfg.ContinueOnGateTimeout {
			deps.Log.Warn("gate timed out; continuing", zap.Int("wave", wave.Index), zap.Strings("pending", wr.Pending),
				zap.String("reason", "on_gate_timeout: continue"))
		} else if wr.Gate == GateTimedOut {
			res.Aborted = true
			res.AbortReason = fmt.Sprintf("wave %d: %d of %d instances not healthy %s after the action: %s",
				wave.Index, len(wr.Pending), len(ids), cfg.GateTimeout, strings.Join(wr.Pending, ", "))
			deps.Log.Warn("aborting run", zap.String("reason", res.AbortReason))
			return res, nil
		}
	}
	return res, nil
}

// runWave acts on one wave, in groups of at most MaxInFlight, and waits
// for each group's gate.
func runWave(ctx context.Context, wave plan.Wave, ids []string, total int, cfg Config, deps Deps) (WaveResult, error) {
	wr := WaveResult{Index: wave.Index, InstanceIDs: ids, StartedAt: time.Now(), Gate: GateNotWaited}
	deps.Observer.WaveStarted(wave, total)
	deps.Log.Info("wave start", zap.Int("wave", wave.Index), zap.Int("of", total), zap.Strings("instance_ids", ids))
	step := len(ids)
	if cfg.MaxInFlight > 0 {
		step = min(step, cfg.MaxInFlight)
	}
	if cfg.WaitForHealthy {
		wr.Gate = GatePassed
	}
	for start := 0; start < len(ids); start += step {
		group := ids[start:min(start+step, len(ids))]
		if err := act(ctx, group, deps); err != nil {
			wr.EndedAt = time.Now()
			return wr, err
		}
		wr.Acted = append(wr.Acted, group...)
		if !cfg.WaitForHealthy {
			continue
		}
		gate, err := deps.Gate.WaitRecovered(ctx, group, cfg.GateTimeout)
		wr.GateElapsed += gate.Elapsed
		wr.Pending = append(wr.Pending, gate.Pending...)
		deps.Log.Info("gate", zap.Int("wave", wave.Index), zap.Int("instances", len(group)), zap.Bool("timed_out", gate.TimedOut),
			zap.Duration("elapsed", gate.Elapsed), zap.Strings("pending", gate.Pending))
		if err != nil {
			wr.Gate = GateInterrupted
			break
		}
		if gate.TimedOut {
			wr.Gate = GateTimedOut
			if !cfg.ContinueOnGateTimeout {
				break
			}
		}
	}
	wr.EndedAt = time.Now()
	deps.Observer.WaveFinished(wr, total)
	return wr, nil
}

// act makes the mutating call for one group. An interrupt means "stop
// after the current step": a call cut off halfway leaves no one knowing
// whether it happened, so it runs to its end (or its own timeout) whatever
// happens to ctx.
func act(ctx context.Context, ids []string, deps Deps) error {
	deps.Gate.MarkActed(ids, time.Now())
	callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), MutationTimeout)
	defer cancel()
	return deps.Provider.Reboot(callCtx, ids)
}

// fresh returns the ids of a wave, refusing any instance the run already
// acted on: waves are disjoint by construction, and this holds even if a
// plan bug ever made them overlap.
func fresh(instances []fleet.Instance, acted map[string]bool, log *zap.Logger) ([]string, error) {
	ids := make([]string, 0, len(instances))
	for _, inst := range instances {
		if acted[inst.ID] {
			log.Error("instance appears in two waves; refusing to act twice", zap.String("instance_id", inst.ID))
			return nil, fmt.Errorf("execute: instance %s planned twice; refusing to act on it again", inst.ID)
		}
		acted[inst.ID] = true
		ids = append(ids, inst.ID)
	}
	return ids, nil
}

func interrupted(ctx context.Context, res Result, wave int) Result {
	res.Aborted = true
	res.AbortReason = fmt.Sprintf("interrupted during wave %d: %v", wave, context.Cause(ctx))
	return res
}

// Sleep waits for d or until ctx ends, whichever comes first, and returns
// ctx's error in the second case.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
