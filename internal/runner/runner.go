// Package runner carries one scenario through the whole pipeline: list the
// targets, plan, check permissions and claims, open the journal, check
// steady state, wait for the schedule, execute the phases under the health
// gate and the guardrails, restore what an aborted run stopped, observe
// recovery, score, and write the report. `gameday run` and `gameday demo`
// both go through it, so the demo exercises the product path.
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

	"gameday/internal/fleet"
	"gameday/internal/journal"
	"gameday/internal/plan"
	"gameday/internal/report"
	"gameday/internal/scenario"
	"gameday/internal/version"
)

// Options configure one run.
type Options struct {
	Scenario *scenario.Scenario
	// Operators act in each region the run touches, by region name.
	Operators map[string]fleet.Operator
	// Regions lists those regions; the first is the default of targets
	// that name none.
	Regions []string
	Account string
	// Endpoint (or Endpoints, per region) is recorded when calls do not go
	// to AWS itself.
	Endpoint  string
	Endpoints map[string]string
	Seed      uint64
	// RunsDir holds one directory per run.
	RunsDir string
	// LoopbackOnly keeps health probes on 127.0.0.0/8 (simulator runs).
	LoopbackOnly bool
	// DryRun does everything but the mutating calls.
	DryRun bool
	// Force acts even on instances another run claims with unexpired
	// dead-man tags.
	Force bool
	// Confirm, when set, is asked before the first mutation; an error stops
	// the run with nothing touched.
	Confirm func(*plan.Plan) error
	// StateTimeout and PollInterval bound and pace the waits for stopped
	// and running states (defaults 10m and 2s).
	StateTimeout time.Duration
	PollInterval time.Duration
	// Baseline, when set, is the earlier run this one is compared with
	// (see FindBaseline).
	Baseline *report.Report
	// Out receives the plan, a line per wave and the summary.
	Out io.Writer
	Log *zap.Logger
	// Progress, when set, shows a live status line while the run executes
	// (progress.Display); Out and Log must then write through it.
	Progress ProgressDisplay
}

// ErrAborted marks a run stopped by a gate, a guardrail or the operator.
var ErrAborted = errors.New("run aborted")

// Result is a finished run: its report and where it was written.
type Result struct {
	Report     *report.Report
	ReportPath string
	// Artifacts are every file the report was rendered to.
	Artifacts report.Artifacts
}

// Run executes the scenario. The returned error is nil when the run went to
// its end (passed, failed or dry run, see Report.Status); it wraps
// ErrAborted for an aborted run and carries the cause for anything else. A
// report is written whenever a run got as far as creating its directory.
func Run(ctx context.Context, opts Options) (*Result, error) {
	opts = withDefaults(opts)
	scn := opts.Scenario
	started := time.Now()
	runID := NewRunID(scn.Name, started)
	logger, file := newRunLog(opts.Log)
	log := logger.With(zap.String("run_id", runID))
	log.Info("run start", zap.String("scenario", scn.Name), zap.Uint64("seed", opts.Seed), zap.Strings("regions", opts.Regions),
		zap.String("account", opts.Account), zap.String("endpoint", opts.Endpoint), zap.Bool("dry_run", opts.DryRun))

	logBaseline(log, opts.Baseline)
	if err := checkAllowed(scn.Guardrails, opts.Account, opts.Regions, log); err != nil {
		return nil, err
	}
	p, err := ResolvePlan(ctx, scn, listers(opts.Operators), opts.Regions[0], opts.Seed, plan.EstimateOptions{}, log)
	if err != nil {
		return nil, err
	}
	printPlan(opts.Out, p)
	if err := preflight(ctx, opts, p, runID, log); err != nil {
		return nil, err
	}
	if opts.Confirm != nil {
		if err := opts.Confirm(p); err != nil {
			return nil, err
		}
	}
	rec, err := open(opts, runID, p, started, log, file)
	if err != nil {
		return nil, err
	}
	defer rec.close()
	return rec.execute(ctx)
}

func withDefaults(o Options) Options {
	if o.StateTimeout <= 0 {
		o.StateTimeout = 10 * time.Minute
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 2 * time.Second
	}
	return o
}

func listers(ops map[string]fleet.Operator) Listers {
	out := Listers{}
	for region, op := range ops {
		out[region] = op
	}
	return out
}

// open creates the run directory, the journal (start and plan records) and
// the log file, and writes a first report. All of it happens before any
// mutation: a full disk or an unwritable runs/ stops the run here.
func open(opts Options, runID string, p *plan.Plan, started time.Time, log *zap.Logger, file *runLog) (*recorder, error) {
	dir := filepath.Join(opts.RunsDir, runID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("runner: create run directory: %w", err)
	}
	if err := file.attach(dir); err != nil {
		return nil, err
	}
	w, err := journal.Create(opts.RunsDir, runID)
	if err != nil {
		file.close()
		return nil, fmt.Errorf("runner: %w", err)
	}
	rec := &recorder{opts: opts, runID: runID, dir: dir, plan: p, started: started, log: log, journal: w, logFile: file}
	start := journal.Start{
		RunID: runID, Scenario: opts.Scenario.Name, ScenarioFile: opts.Scenario.Source, Seed: opts.Seed,
		GamedayVersion: version.Version, Regions: opts.Regions, Account: opts.Account,
		Endpoint: opts.Endpoint, Endpoints: opts.Endpoints, DryRun: opts.DryRun, PID: os.Getpid(),
	}
	planRecord := journal.PlanOf(p)
	for _, r := range []journal.Record{{Start: &start}, {Plan: &planRecord}} {
		if err := w.Append(r); err != nil {
			rec.close()
			return nil, fmt.Errorf("runner: %w", err)
		}
	}
	// A first report proves the directory is writable and leaves a trace
	// if the process dies mid-run.
	if err := rec.write(report.StatusRunning, "", nil, runState{}); err != nil {
		rec.close()
		return nil, err
	}
	return rec, nil
}

// NewRunID names a run so that listings sort by time and stay readable.
func NewRunID(scenarioName string, at time.Time) string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%s-%s", at.UTC().Format("20060102T150405Z"), scenarioName, hex.EncodeToString(b[:]))
}
