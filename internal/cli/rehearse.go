package cli

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"gameday/internal/ec2"
	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/progress"
	"gameday/internal/report"
	"gameday/internal/runner"
	"gameday/internal/scenario"
)

// rehearsal is one scenario run, as `run` and `demo` both set it up.
type rehearsal struct {
	scenario *scenario.Scenario
	// session is the template of every region's session.
	session ec2.Session
	// regions the run reads and acts in, the default region first.
	regions []string
	seed    seedFlag
	runsDir string
	// loopback: every endpoint is a local simulator; probes stay on loopback.
	loopback bool
	dryRun   bool
	force    bool
	// stateTimeout and pollInterval bound and pace waits for states.
	stateTimeout time.Duration
	pollInterval time.Duration
	// confirm, when set, is asked before the first mutation.
	confirm func(r rehearsal, p *plan.Plan) error
	account string
	// progress, when set, shows the run's live status (--progress).
	progress *progress.Display
	// baseline names the run to compare with ("" the previous one, "none").
	baseline string
}

func (r rehearsal) where() string {
	return fmt.Sprintf("account %s, region %s", r.account, strings.Join(r.regions, ", "))
}

// rehearse connects to EC2 (or the simulator), runs the scenario and maps
// the outcome to an exit code.
func (a *app) rehearse(ctx context.Context, r rehearsal) error {
	if missing := runner.Unsupported(r.scenario); len(missing) > 0 {
		return usageError("gameday run cannot execute %s yet: %s (gameday plan shows what it would do)",
			r.scenario.Source, strings.Join(missing, ", "))
	}
	for _, note := range runner.NotWatched(r.scenario) {
		fmt.Fprintf(a.errOut, "warning: %s\n", note)
		a.log.Warn("not watched by gameday run", zap.String("reason", note))
	}
	// Before anything else: a run must be able to journal before it acts.
	if err := runner.CheckRunsDir(r.runsDir); err != nil {
		return &exitError{code: ExitInfrastructure, err: err}
	}
	baseline, err := runner.FindBaseline(r.runsDir, r.scenario.Name, r.baseline)
	if err != nil {
		return usageError("--baseline: %v", err)
	}
	operators, endpoints, err := a.connectAll(ctx, &r)
	if err != nil {
		return err
	}

	seed, origin := r.seed.choose(r.scenario)
	fmt.Fprintf(a.out, "scenario %s: %s\n", r.scenario.Name, r.scenario.Description)
	fmt.Fprintf(a.out, "seed %d (%s; --seed %d repeats this plan)\n", seed, origin, seed)

	ctx, stop := a.interruptible(ctx)
	defer stop()
	opts := runner.Options{
		Scenario: r.scenario, Operators: operators, Regions: r.regions, Account: r.account,
		Endpoint: r.session.EndpointURL, Endpoints: endpoints, Seed: seed, RunsDir: r.runsDir,
		LoopbackOnly: r.loopback, DryRun: r.dryRun, Force: r.force, Out: a.out, Log: a.log,
		StateTimeout: r.stateTimeout, PollInterval: r.pollInterval, Baseline: baseline,
	}
	if r.confirm != nil {
		opts.Confirm = func(p *plan.Plan) error { return r.confirm(r, p) }
	}
	if r.progress != nil {
		opts.Progress = r.progress
	}
	res, err := runner.Run(ctx, opts)
	if res == nil {
		return err
	}
	// The summary already told the story; only the exit code is left.
	switch res.Report.Status {
	case report.StatusPassed, report.StatusDryRun:
		return nil
	case report.StatusFailed:
		return &exitError{code: ExitMissed, err: fmt.Errorf("objectives missed"), silent: true}
	case report.StatusAborted:
		return &exitError{code: ExitAborted, err: err, silent: true}
	}
	return &exitError{code: exitCode(err), err: err}
}

// connectAll connects to every region of the run and checks they all act
// as one account: a run spanning accounts is a mistake to stop early.
func (a *app) connectAll(ctx context.Context, r *rehearsal) (map[string]fleet.Operator, map[string]string, error) {
	operators := map[string]fleet.Operator{}
	endpoints := map[string]string{}
	for _, region := range r.regions {
		session := r.session
		session.Region = region
		provider, identity, err := a.connect(ctx, session)
		if err != nil {
			return nil, nil, err
		}
		if r.account != "" && identity.Account != r.account {
			return nil, nil, usageError("region %s acts as account %s, region %s as account %s: one run, one account",
				r.regions[0], r.account, region, identity.Account)
		}
		r.account = identity.Account
		operators[region] = provider
		if e := session.ResolveEndpoint(); e != "" {
			endpoints[region] = e
		}
	}
	return operators, endpoints, nil
}

// connect builds the provider of one region and asks STS who it acts as
// (with --role-arn, the role: its AssumeRole happens here, so a refused
// role fails before anything else). The provider paces its calls on a
// limiter of its own: each command connects once per region.
func (a *app) connect(ctx context.Context, session ec2.Session) (*ec2.Provider, ec2.Identity, error) {
	if err := session.Validate(); err != nil {
		return nil, ec2.Identity{}, usageError("%v", err)
	}
	cfg, err := ec2.LoadConfig(ctx, session)
	if err != nil {
		return nil, ec2.Identity{}, &exitError{code: ExitInfrastructure, err: err}
	}
	provider := ec2.New(cfg, ec2.Options{Logger: a.log.Named("ec2"), BatchSize: session.BatchSize})
	identity, err := provider.CallerIdentity(ctx)
	if err != nil {
		return nil, ec2.Identity{}, err
	}
	a.log.Info("acting as", zap.String("account", identity.Account), zap.String("arn", identity.ARN),
		zap.String("region", session.Region), zap.Bool("assumed_role", session.RoleARN != ""))
	return provider, identity, nil
}

// interruptible cancels ctx on the first SIGINT or SIGTERM, so the run
// stops launching waves and still writes its report; a second signal exits
// at once.
func (a *app) interruptible(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-signals:
			fmt.Fprintf(a.errOut, "\ngameday: %s: stopping after the current step (press Ctrl-C again to exit now)\n", sig)
			cancel(fmt.Errorf("received %s", sig))
		case <-done:
			return
		}
		select {
		case sig := <-signals:
			fmt.Fprintf(a.errOut, "gameday: %s again: exiting now\n", sig)
			a.exit(ExitAborted)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(signals)
		close(done)
		cancel(context.Canceled)
	}
}

// seedFlag is a --seed that remembers whether it was given.
type seedFlag struct {
	value uint64
	set   bool
	// origin, when set, says where a seed chosen earlier came from.
	origin string
}

func (s *seedFlag) String() string {
	if !s.set {
		return ""
	}
	return strconv.FormatUint(s.value, 10)
}

func (s *seedFlag) Set(v string) error {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return fmt.Errorf("want a non-negative integer")
	}
	s.value, s.set = n, true
	return nil
}

func (s *seedFlag) Type() string { return "uint" }

// choose returns the seed to use and where it came from: the flag, else the
// scenario, else a random one below 2^53 so it survives any JSON reader.
func (s seedFlag) choose(scn *scenario.Scenario) (uint64, string) {
	switch {
	case s.set && s.origin != "":
		return s.value, s.origin
	case s.set:
		return s.value, "from --seed"
	case scn.Seed != nil:
		return *scn.Seed, "from the scenario"
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) >> 11, "random"
}
