package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"gameday/internal/ec2"
	"gameday/internal/plan"
	"gameday/internal/runner"
	"gameday/internal/scenario"
	"gameday/internal/sim"
	"gameday/internal/sim/ec2api"
)

type planOptions struct {
	scenarioPath   string
	session        ec2.Session
	seed           seedFlag
	output         string
	showInstances  bool
	assumeRecovery time.Duration
	simulated      bool
	timeScale      float64
}

func (a *app) newPlanCmd() *cobra.Command {
	opts := &planOptions{}
	cmd := &cobra.Command{
		Use:   "plan SCENARIO",
		Short: "Show what a scenario would do to the fleet, without touching it",
		Long: `Resolve a scenario's target against the fleet (read-only Describe calls) and print,
per phase: instances per AZ and per wave, what is excluded and why (not opted in,
excluded tag, capacity floor, ...), the phase timeline, and an estimated duration that
accounts for EC2's API rate limits. Nothing is changed. The same seed gives the same plan.`,
		Example: `  gameday plan scenarios/az-reboot-now.yaml --sim
  gameday plan staging.yaml --profile staging --output json > plan.json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.scenarioPath = args[0]
			return a.runPlan(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	addSessionFlags(f, &opts.session, &opts.seed)
	f.StringVar(&opts.output, "output", "text", "text or json")
	f.BoolVar(&opts.showInstances, "show-instances", false, "list instance ids per wave and per exclusion (text output)")
	f.DurationVar(&opts.assumeRecovery, "assume-recovery", plan.DefaultAssumedRecovery, "time from an action to healthy, for the estimate")
	f.BoolVar(&opts.simulated, "sim", false, "plan against the built-in simulated fleet (no AWS)")
	f.Float64Var(&opts.timeScale, "time-scale", 1, "plan the timeline as gameday run --time-scale would run it (more than 0, at most 1)")
	return cmd
}

func (a *app) runPlan(ctx context.Context, opts *planOptions) error {
	if opts.output != "text" && opts.output != "json" {
		return usageError("--output %q: want text or json", opts.output)
	}
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
	if opts.simulated {
		url, stop, err := startAPISim(sim.DemoFleet(), opts.seed.value, a)
		if err != nil {
			return err
		}
		defer stop()
		opts.session.EndpointURL = url
	}
	listers := runner.Listers{}
	var account string
	for _, region := range regions {
		session := opts.session
		session.Region = region
		provider, identity, err := a.connect(ctx, session)
		if err != nil {
			return err
		}
		listers[region], account = provider, identity.Account
	}
	seed, origin := opts.seed.choose(scn)
	p, err := runner.ResolvePlan(ctx, scn, listers, regions[0], seed, plan.EstimateOptions{AssumedRecovery: opts.assumeRecovery}, a.log)
	if err != nil {
		return err
	}
	warnings := planWarnings(scn, account, regions)
	if opts.output == "json" {
		return a.writePlanJSON(p, account, regions, warnings)
	}
	fmt.Fprintf(a.out, "account %s, region %s; seed %d (%s)\n", account, strings.Join(regions, ", "), seed, origin)
	if err := p.WriteText(a.out, opts.showInstances); err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintf(a.out, "warning: %s\n", w)
	}
	return nil
}

// planRegions lists the regions to read, the default region first: the
// one a step without its own region uses (flag, scenario or environment).
// Every region any step names is read too.
func planRegions(flag string, scn *scenario.Scenario) ([]string, error) {
	var named []string
	unnamed := false
	for _, st := range scn.Steps() {
		list := st.Target.RegionList()
		unnamed = unnamed || len(list) == 0
		for _, r := range list {
			if !slices.Contains(named, r) {
				named = append(named, r)
			}
		}
	}
	if !unnamed {
		if flag != "" && !slices.Contains(named, flag) {
			return nil, usageError("--region %s is not a region %s targets (%s)", flag, scn.Source, strings.Join(named, ", "))
		}
		return named, nil
	}
	region, err := resolveRegion(flag, scn)
	if err != nil {
		return nil, err
	}
	return append([]string{region}, slices.DeleteFunc(named, func(r string) bool { return r == region })...), nil
}

// planWarnings says what `gameday run` would refuse about this plan.
func planWarnings(scn *scenario.Scenario, account string, regions []string) []string {
	var out []string
	if g := scn.Guardrails.AllowedAccounts; len(g) > 0 && !slices.Contains(g, account) {
		out = append(out, fmt.Sprintf("account %s is not in guardrails.allowed_accounts: a run would refuse it", account))
	}
	for _, r := range regions {
		if g := scn.Guardrails.AllowedRegions; len(g) > 0 && !slices.Contains(g, r) {
			out = append(out, fmt.Sprintf("region %s is not in guardrails.allowed_regions: a run would refuse it", r))
		}
	}
	if missing := runner.Unsupported(scn); len(missing) > 0 {
		out = append(out, "this version of gameday run cannot execute yet: "+strings.Join(missing, ", "))
	}
	out = append(out, runner.NotWatched(scn)...)
	return out
}

func (a *app) writePlanJSON(p *plan.Plan, account string, regions []string, warnings []string) error {
	doc := struct {
		Account  string   `json:"account"`
		Regions  []string `json:"regions"`
		Warnings []string `json:"warnings"`
		plan.Document
	}{account, regions, append([]string{}, warnings...), p.Document()}
	enc := json.NewEncoder(a.out)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// startAPISim serves a built-in fleet, API only, for the --sim of the
// read-only commands (plan, export, events).
func startAPISim(spec sim.FleetSpec, seed uint64, a *app) (string, func(), error) {
	s, err := sim.New(spec, sim.Options{Seed: seed, Logger: a.log.Named("sim")})
	if err == nil {
		err = s.Start()
	}
	if err != nil {
		return "", nil, &exitError{code: ExitInfrastructure, err: err}
	}
	srv, err := ec2api.Start(s, "127.0.0.1:0", a.log.Named("sim"))
	if err != nil {
		s.Close()
		return "", nil, &exitError{code: ExitInfrastructure, err: err}
	}
	return srv.URL(), func() { srv.Close(); s.Close() }, nil
}
