// Package runner carries one scenario through the whole pipeline: list the
// target, plan, check steady state, execute waves under the health gate,
// observe recovery, score, and write the report. `gameday run` and
// `gameday demo` both go through it, so the demo exercises the product path.
package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"gameday/internal/execute"
	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/report"
	"gameday/internal/scenario"
	"gameday/internal/verify"
)

// Options configure one run.
type Options struct {
	Scenario *scenario.Scenario
	Provider fleet.Provider
	Region   string
	Account  string
	// Endpoint is recorded in the report when it is not AWS itself.
	Endpoint string
	Seed     uint64
	// RunsDir holds one directory per run.
	RunsDir string
	// LoopbackOnly keeps health probes on 127.0.0.0/8 (simulator runs).
	LoopbackOnly bool
	// Confirm, when set, is asked before the first mutation; an error stops
	// the run with nothing touched.
	Confirm func(*plan.Plan) error
	// Out receives the plan, a line per wave and the summary.
	Out io.Writer
	Log *zap.Logger
}

// ErrAborted marks a run stopped by a gate, a guardrail or the operator.
var ErrAborted = errors.New("run aborted")

// Result is a finished run: its report and where it was written.
type Result struct {
	Report     *report.Report
	ReportPath string
}

// Run executes the scenario. The returned error is nil when the run went to
// its end (passed or failed, see Report.Status); it wraps ErrAborted for an
// aborted run and carries the cause for anything else. A report is written
// whenever a run got as far as creating its directory.
func Run(ctx context.Context, opts Options) (*Result, error) {
	scn := opts.Scenario
	started := time.Now()
	runID := NewRunID(scn.Name, started)
	log := opts.Log.With(zap.String("run_id", runID))
	log.Info("run start", zap.String("scenario", scn.Name), zap.Uint64("seed", opts.Seed),
		zap.String("region", opts.Region), zap.String("account", opts.Account), zap.String("endpoint", opts.Endpoint))

	if err := checkAllowed(scn.Guardrails, opts.Account, opts.Region, log); err != nil {
		return nil, err
	}
	p, err := ResolvePlan(ctx, scn, Listers{opts.Region: opts.Provider}, opts.Region, opts.Seed, plan.EstimateOptions{}, log)
	if err != nil {
		return nil, err
	}
	phase := p.Phases[0]
	printPlan(opts.Out, phase)
	if opts.Confirm != nil {
		if err := opts.Confirm(p); err != nil {
			return nil, err
		}
	}
	dir := filepath.Join(opts.RunsDir, runID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("runner: create run directory: %w", err)
	}
	rec := &recorder{opts: opts, runID: runID, dir: dir, plan: p, phase: phase, started: started, log: log}
	// Writing a first report before any mutation proves the directory is
	// writable and leaves a trace if the process dies mid-run.
	if err := rec.write(report.StatusRunning, "", execute.Result{}, nil); err != nil {
		return nil, err
	}
	return rec.execute(ctx)
}

// NewRunID names a run so that listings sort by time and stay readable.
func NewRunID(scenarioName string, at time.Time) string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%s-%s", at.UTC().Format("20060102T150405Z"), scenarioName, hex.EncodeToString(b[:]))
}

// monitorTargets renders the probe address of every eligible instance.
func monitorTargets(probe *scenario.InstanceProbe, ph *plan.Phase, region string) ([]verify.Target, error) {
	targets := make([]verify.Target, 0, len(ph.Eligible))
	for _, inst := range ph.Eligible {
		fields := scenario.URLFields{
			InstanceID: inst.ID, PrivateIP: inst.PrivateIP, PublicIP: inst.PublicIP,
			AZ: inst.AZ, Region: region, Tags: inst.Tags,
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
