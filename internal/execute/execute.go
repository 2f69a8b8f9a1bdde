// Package execute runs a plan wave by wave: re-check each wave's instances,
// act on them (reboot, or stop and start again, with the dead-man tags and
// a journal line before every mutating call), hold the next wave until the
// health gate says the last one recovered, and stop launching waves on a
// gate timeout, a guardrail or an operator interrupt.
package execute

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
	"gameday/internal/journal"
	"gameday/internal/plan"
	"gameday/internal/scenario"
	"gameday/internal/verify"
)

// Gate is the health gate between waves (verify.Monitor implements it).
type Gate interface {
	MarkActed(ids []string, at time.Time)
	WaitRecovered(ctx context.Context, ids []string, timeout time.Duration) (verify.GateResult, error)
}

// Observer is told about waves as they go, e.g. to print a line per wave.
type Observer interface {
	WaveStarted(phase string, w plan.Wave, total int)
	WaveFinished(phase string, r WaveResult, total int)
}

// Journal records intents before and outcomes after every mutating call
// (journal.Writer implements it).
type Journal interface {
	Append(r journal.Record) error
	AppendSeq(r journal.Record) (uint64, error)
}

// WaveGate is asked before each wave whether it may start now: a schedule
// window pauses the run until it opens, a deadline ends it (an error).
type WaveGate interface {
	BeforeWave(ctx context.Context) error
}

// Config holds one phase's settings.
type Config struct {
	Phase  string
	Action scenario.Action
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
	// StateTimeout bounds a wait for instances to be stopped or running.
	StateTimeout time.Duration
	// PollInterval is how often such a wait reads the states back.
	PollInterval time.Duration
	// DryRun reads and plans but never calls a mutating API.
	DryRun bool
}

// Deps are the executor's collaborators, shared by all phases of a run.
type Deps struct {
	// Operators act in each region, by region name.
	Operators map[string]fleet.Operator
	Gate      Gate
	Observer  Observer
	Journal   Journal
	Waves     WaveGate
	Log       *zap.Logger
	RunID     string
	// Acted guards "never act twice": shared by every phase of a run.
	Acted *ActedSet
}

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
	// Acted lists the instances acted on: all of InstanceIDs unless some
	// were skipped or the wave was cut short.
	Acted     []string
	Skipped   []Skip
	StartedAt time.Time
	EndedAt   time.Time
	Gate      string
	// GateElapsed sums the time spent waiting for health.
	GateElapsed time.Duration
	// Pending lists instances not recovered when a gate gave up.
	Pending []string
}

// Skip is an instance of the plan the run did not act on, and why.
type Skip struct {
	ID     string
	Reason string
}

// Result is what happened to one phase.
type Result struct {
	Phase string
	Waves []WaveResult
	// Acted lists every instance acted on, in order.
	Acted       []string
	Aborted     bool
	AbortReason string
}

// ActedSet remembers every instance a run acted on, across phases.
type ActedSet struct {
	mu  sync.Mutex
	ids map[string]string
}

// NewActedSet returns an empty set.
func NewActedSet() *ActedSet { return &ActedSet{ids: map[string]string{}} }

// claim marks ids as acted on by phase, or returns the first one already
// claimed: waves and phases are disjoint by construction, and this holds
// even if a plan bug ever made them overlap.
func (s *ActedSet) claim(phase string, ids []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if by, ok := s.ids[id]; ok {
			return fmt.Errorf("execute: instance %s planned twice (phase %s, then %s); refusing to act on it again", id, by, phase)
		}
	}
	for _, id := range ids {
		s.ids[id] = phase
	}
	return nil
}

// Run executes one phase's waves in order. It returns an error when the
// provider failed; an abort (gate timeout, interrupt, closed window) is a
// Result with Aborted set.
func Run(ctx context.Context, waves []plan.Wave, cfg Config, deps Deps) (Result, error) {
	res := Result{Phase: cfg.Phase}
	if deps.Acted == nil {
		deps.Acted = NewActedSet()
	}
	for i, wave := range waves {
		if i > 0 && cfg.Interval > 0 {
			deps.Log.Info("waiting before next wave", zap.String("phase", cfg.Phase), zap.Int("next_wave", wave.Index),
				zap.Duration("interval", cfg.Interval))
			if err := Sleep(ctx, cfg.Interval); err != nil {
				return interrupted(ctx, res, wave.Index), nil
			}
		}
		if deps.Waves != nil {
			if err := deps.Waves.BeforeWave(ctx); err != nil {
				return stopped(ctx, res, wave.Index, err), nil
			}
		}
		if err := deps.Acted.claim(cfg.Phase, fleet.IDs(wave.Instances)); err != nil {
			deps.Log.Error("refusing to act twice", zap.Error(err))
			return res, err
		}
		wr, err := runWave(ctx, wave, len(waves), cfg, deps)
		res.Waves = append(res.Waves, wr)
		res.Acted = append(res.Acted, wr.Acted...)
		if ctx.Err() != nil {
			return interrupted(ctx, res, wave.Index), nil
		}
		if err != nil {
			return res, err
		}
		if wr.Gate == GateTimedOut && cfg.ContinueOnGateTimeout {
			deps.Log.Warn("gate timed out; continuing", zap.String("phase", cfg.Phase), zap.Int("wave", wave.Index),
				zap.Strings("pending", wr.Pending), zap.String("reason", "on_gate_timeout: continue"))
		} else if wr.Gate == GateTimedOut {
			res.Aborted = true
			res.AbortReason = fmt.Sprintf("phase %s, wave %d: %d of %d instances not healthy %s after the action: %s",
				cfg.Phase, wave.Index, len(wr.Pending), len(wr.Acted), cfg.GateTimeout, strings.Join(wr.Pending, ", "))
			deps.Log.Warn("aborting run", zap.String("reason", res.AbortReason))
			return res, nil
		}
	}
	return res, nil
}

func interrupted(ctx context.Context, res Result, wave int) Result {
	res.Aborted = true
	res.AbortReason = fmt.Sprintf("phase %s: interrupted during wave %d: %v", res.Phase, wave, context.Cause(ctx))
	return res
}

// stopped is an abort asked for by the wave gate (a deadline passed) or an
// interrupt while waiting at it.
func stopped(ctx context.Context, res Result, wave int, err error) Result {
	if ctx.Err() != nil {
		return interrupted(ctx, res, wave)
	}
	res.Aborted = true
	res.AbortReason = fmt.Sprintf("phase %s: wave %d not started: %v", res.Phase, wave, err)
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
