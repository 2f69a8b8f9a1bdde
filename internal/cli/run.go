package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"

	"gameday/internal/ec2"
	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/scenario"
)

type runOptions struct {
	scenarioPath string
	session      ec2.Session
	seed         seedFlag
	runsDir      string
	yes          bool
	dryRun       bool
	force        bool
	stateTimeout time.Duration
	pollInterval time.Duration
	progress     progressFlag
	baseline     string
	timeScale    float64
}

func (a *app) newRunCmd() *cobra.Command {
	opts := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run SCENARIO",
		Short: "Run a scenario against EC2 (or a simulator with --endpoint-url)",
		Long: `Run a scenario: select the instances it targets, act on them phase by phase and
wave by wave (reboot, or stop and start again), probe their health, score the recovery
and write runs/<run-id>/report.json, with a crash-safe journal beside it.

Only instances carrying the scenario's opt-in tag (default gameday=opt-in) are ever
touched. Against a real AWS endpoint gameday asks for confirmation first (type the
scenario name), unless --yes is given; against a loopback simulator it does not.`,
		Example: `  gameday run scenarios/demo.yaml --endpoint-url http://127.0.0.1:4566 --region us-east-1
  gameday run staging-reboot.yaml --profile staging --yes`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.scenarioPath = args[0]
			return a.runRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	addSessionFlags(f, &opts.session, &opts.seed)
	f.StringVar(&opts.runsDir, "runs-dir", "runs", "directory that receives one sub-directory per run")
	f.BoolVar(&opts.yes, "yes", false, "do not ask for confirmation before acting on a real AWS account")
	f.BoolVar(&opts.dryRun, "dry-run", false, "do everything but the mutating calls: plan, permission checks, steady state, schedule")
	f.BoolVar(&opts.force, "force", false, "act even on instances another run still claims with unexpired dead-man tags")
	f.DurationVar(&opts.stateTimeout, "state-timeout", 10*time.Minute, "how long to wait for instances to be stopped or running before the run fails")
	f.DurationVar(&opts.pollInterval, "poll-interval", 2*time.Second, "how often to read instance states back while waiting for them")
	addProgressFlag(f, &opts.progress)
	f.StringVar(&opts.baseline, "baseline", "", `run ID to compare with and flag regressions against (default: the previous completed run of the same scenario; "none" to compare with nothing)`)
	f.Float64Var(&opts.timeScale, "time-scale", 1, "multiply the incident's timeline by this factor, more than 0 and at most 1 (0.01 replays 5 hours in 3 minutes): scales "+scenario.TimeScaleScope+"; keeps "+scenario.TimeScaleUnscaled+" as written")
	return cmd
}

func (a *app) runRun(ctx context.Context, opts *runOptions) error {
	scn, err := a.loadScenario(opts.scenarioPath)
	if err != nil {
		return err
	}
	if scn, err = a.applyTimeScale(scn, opts.timeScale); err != nil {
		return err
	}
	regions, err := planRegions(opts.session.Region, scn)
	if err != nil {
		return err
	}
	r := rehearsal{scenario: scn, session: opts.session, regions: regions, seed: opts.seed, runsDir: opts.runsDir,
		loopback: allLoopback(opts.session, regions), dryRun: opts.dryRun, force: opts.force,
		stateTimeout: opts.stateTimeout, pollInterval: opts.pollInterval, baseline: opts.baseline}
	if !r.loopback && !opts.yes && !opts.dryRun {
		r.confirm = a.confirmByName
	}
	r.progress = a.progressDisplay(opts.progress)
	return a.rehearse(ctx, r)
}

// applyTimeScale compresses the scenario's timeline for --time-scale and
// logs the factor; 1 leaves the scenario as it is.
func (a *app) applyTimeScale(scn *scenario.Scenario, f float64) (*scenario.Scenario, error) {
	if f == 1 {
		return scn, nil
	}
	scaled, err := scn.Scaled(f)
	if err != nil {
		return nil, usageError("--time-scale: %v", err)
	}
	a.log.Info("time scale", zap.String("factor", scenario.FormatTimeScale(f)), zap.String("scaled", scenario.TimeScaleScope),
		zap.String("unscaled", scenario.TimeScaleUnscaled))
	if scn.Schedule.Mode == scenario.ScheduleScheduled {
		a.log.Warn("time scale: the schedule is wall-clock time and is not scaled; the run still waits for it")
	}
	return scaled, nil
}

// allLoopback reports whether every region's endpoint is a local
// simulator: only then are probes kept on loopback and the confirmation
// skipped.
func allLoopback(session ec2.Session, regions []string) bool {
	for _, region := range regions {
		session.Region = region
		if !ec2.IsLoopbackEndpoint(session.ResolveEndpoint()) {
			return false
		}
	}
	return true
}

// addSessionFlags adds the flags that say where EC2 is, as whom, how calls
// are batched, and the seed: the same for every verb that reads or acts on
// a fleet.
func addSessionFlags(f *pflag.FlagSet, session *ec2.Session, seed *seedFlag) {
	f.StringVar(&session.EndpointURL, "endpoint-url", "", "send EC2 and STS calls here instead of AWS (e.g. a gameday simulator), for every region without --endpoint-url-for")
	f.Var((*endpointsFlag)(&session.EndpointURLs), "endpoint-url-for", "REGION=URL: send that region's EC2 and STS calls to URL (repeatable; e.g. one simulator per region)")
	f.StringVar(&session.Region, "region", "", "AWS region (default: the scenario's target.region, then AWS_REGION)")
	f.StringVar(&session.Profile, "profile", "", "shared config profile for credentials (default: the standard chain)")
	f.StringVar(&session.RoleARN, "role-arn", "", "assume this IAM role (STS AssumeRole, session gameday-<user>) and act as it")
	session.BatchSize = ec2.DefaultBatchSize
	f.Var((*batchSizeFlag)(&session.BatchSize), "batch-size", fmt.Sprintf("instance ids per mutating EC2 call (1 to %d)", ec2.MaxBatchSize))
	f.Var(seed, "seed", "seed for every random choice (default: the scenario's seed, else random and printed)")
}

// batchSizeFlag is an --batch-size of 1 to ec2.MaxBatchSize.
type batchSizeFlag int

func (b *batchSizeFlag) String() string { return strconv.Itoa(int(*b)) }

func (b *batchSizeFlag) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > ec2.MaxBatchSize {
		return fmt.Errorf("want a whole number from 1 to %d", ec2.MaxBatchSize)
	}
	*b = batchSizeFlag(n)
	return nil
}

func (b *batchSizeFlag) Type() string { return "int" }

// endpointsFlag is a repeatable REGION=URL flag.
type endpointsFlag map[string]string

func (e *endpointsFlag) String() string {
	pairs := make([]string, 0, len(*e))
	for region, url := range *e {
		pairs = append(pairs, region+"="+url)
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}

func (e *endpointsFlag) Set(v string) error {
	region, url, ok := strings.Cut(v, "=")
	if !ok || !regionName.MatchString(region) {
		return fmt.Errorf("want REGION=URL, e.g. eu-west-1=http://127.0.0.1:4567")
	}
	if err := (ec2.Session{EndpointURLs: map[string]string{region: url}}).Validate(); err != nil {
		return err
	}
	if _, seen := (*e)[region]; seen {
		return fmt.Errorf("region %s given twice", region)
	}
	if *e == nil {
		*e = map[string]string{}
	}
	(*e)[region] = url
	return nil
}

func (e *endpointsFlag) Type() string { return "REGION=URL" }

// regionName is the shape of an AWS region: eu-west-1, us-gov-east-1.
var regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)

// loadScenario loads a file and prints every problem in it on failure.
func (a *app) loadScenario(path string) (*scenario.Scenario, error) {
	scn, err := scenario.Load(path)
	if err != nil {
		fmt.Fprintln(a.errOut, err)
		return nil, &exitError{code: ExitInvalid, err: err, silent: true}
	}
	return scn, nil
}

// resolveRegion picks the region: the flag, else the scenario, else the
// environment. A flag that contradicts the scenario is an error, not a
// silent override: acting in the wrong region is the costliest mistake here.
func resolveRegion(flag string, scn *scenario.Scenario) (string, error) {
	fromFile := scn.Target.Region
	switch {
	case flag != "" && fromFile != "" && flag != fromFile:
		return "", usageError("--region %s contradicts target.region %s in %s", flag, fromFile, scn.Source)
	case flag != "":
		return flag, nil
	case fromFile != "":
		return fromFile, nil
	}
	for _, env := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if v := os.Getenv(env); v != "" {
			return v, nil
		}
	}
	return "", usageError("no region: set target.region in %s, pass --region, or export AWS_REGION", scn.Source)
}

// confirmByName asks the operator to type the scenario name. Typing a name,
// not "y", is deliberate: it is hard to do by reflex. The question says what
// will be done, how many instances per AZ and per wave, and where.
func (a *app) confirmByName(r rehearsal, p *plan.Plan) error {
	what := fmt.Sprintf("%s %d instances in %s", planVerb(p), len(p.Selected()), r.where())
	if !isTerminal(a.in) {
		return usageError("refusing to %s without confirmation: run at a terminal or pass --yes", what)
	}
	fmt.Fprintf(a.out, "About to %s (%s). Type the scenario name (%s) to proceed: ", what, planShape(p), r.scenario.Name)
	answer, _ := bufio.NewReader(a.in).ReadString('\n')
	if strings.TrimSpace(answer) != r.scenario.Name {
		return &exitError{code: ExitAborted, err: errors.New("not confirmed; nothing was touched")}
	}
	return nil
}

// planVerb names what the plan does to its instances.
func planVerb(p *plan.Plan) string {
	verbs := map[string]string{
		scenario.ActionReboot: "reboot", scenario.ActionStopStart: "stop and start",
		scenario.ActionForceStopStart: "force-stop and start", scenario.ActionStop: "stop and leave stopped",
	}
	verb := verbs[p.Phases[0].Step.Action.Type]
	for _, ph := range p.Phases[1:] {
		if verbs[ph.Step.Action.Type] != verb {
			return "act on (" + strconv.Itoa(len(p.Phases)) + " phases)"
		}
	}
	return verb
}

// planShape counts the selected instances per AZ and per wave.
func planShape(p *plan.Plan) string {
	var azs []string
	for _, c := range fleet.CountByAZ(p.Selected()) {
		azs = append(azs, fmt.Sprintf("%s %d", c.AZ, c.Count))
	}
	var waves []string
	for _, ph := range p.Phases {
		for _, w := range ph.Waves {
			waves = append(waves, strconv.Itoa(len(w.Instances)))
		}
	}
	return "per AZ: " + strings.Join(azs, ", ") + "; waves: " + strings.Join(waves, "/")
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
