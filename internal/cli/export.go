package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"gameday/internal/ec2"
	"gameday/internal/fis"
	"gameday/internal/plan"
	"gameday/internal/report"
	"gameday/internal/runner"
	"gameday/internal/sim"
)

func (a *app) newExportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write a scenario in another tool's format",
		Long:  `Translate a scenario, planned against the fleet, into another tool's format. See docs/fis.md.`,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("%s: unknown format %q (want: fis)", cmd.CommandPath(), args[0])
			}
			return usageError("%s: name a format: %s fis SCENARIO", cmd.CommandPath(), cmd.CommandPath())
		},
	}
	cmd.AddCommand(a.newExportFISCmd())
	return cmd
}

type exportFISOptions struct {
	scenarioPath   string
	session        ec2.Session
	seed           seedFlag
	simulated      bool
	roleARN        string
	alarms         []string
	logGroupARN    string
	targets        string
	assumeRecovery time.Duration
	output         string
	strict         bool
	explicitOpts   bool
}

func (a *app) newExportFISCmd() *cobra.Command {
	opts := &exportFISOptions{}
	cmd := &cobra.Command{
		Use:   "fis SCENARIO",
		Short: "Write an AWS FIS experiment template for a scenario",
		Long: `Plan a scenario like "gameday plan" (read-only Describe calls, or --sim) and write
the AWS Fault Injection Service experiment template that does the same, as JSON
for "aws fis create-experiment-template --cli-input-json file://TEMPLATE.json".

Each wave becomes a target and an aws:ec2:reboot-instances or aws:ec2:stop-instances
action, chained with startAfter and aws:fis:wait. What FIS cannot express (health
gates, capacity floors, exclude_tags, ...) and what exceeds FIS's default quotas is
printed on stderr as "warning: ..."; the exit code stays 0 unless --strict.
Nothing is created in AWS. See docs/fis.md for the mapping.`,
		Example: `  gameday export fis scenarios/az-reboot-now.yaml --sim --seed 1
  gameday export fis staging.yaml --profile staging \
      --role-arn arn:aws:iam::123456789012:role/gameday-fis \
      --stop-condition-alarm arn:aws:cloudwatch:us-east-1:123456789012:alarm:5xx \
      --output template.json
  aws fis create-experiment-template --region us-east-1 --cli-input-json file://template.json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.scenarioPath = args[0]
			return a.runExportFIS(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.simulated, "sim", false, "plan against the built-in simulated fleet (no AWS)")
	f.Var(&opts.seed, "seed", "seed for every random choice (default: the scenario's seed, else random and printed)")
	f.StringVar(&opts.session.Region, "region", "", "AWS region (default: the scenario's target.region, then AWS_REGION)")
	f.StringVar(&opts.session.Profile, "profile", "", "shared config profile for the read-only listing")
	f.StringVar(&opts.session.EndpointURL, "endpoint-url", "", "send the listing's EC2 and STS calls here instead of AWS (e.g. a gameday simulator)")
	f.StringVar(&opts.session.RoleARN, "assume-role-arn", "", "assume this IAM role for the read-only listing (what --role-arn does for plan and run)")
	f.StringVar(&opts.roleARN, "role-arn", "", "the experiment role FIS assumes (roleArn); default: a placeholder, with a warning")
	f.StringArrayVar(&opts.alarms, "stop-condition-alarm", nil, "CloudWatch alarm ARN that stops the experiment (repeatable); default: no stop condition, with a warning")
	f.StringVar(&opts.logGroupARN, "log-group-arn", "", "send the experiment log to this CloudWatch Logs group (logConfiguration)")
	f.StringVar(&opts.targets, "targets", string(fis.TargetsByTags), "tags: find each wave's instances by tags and filters when the experiment starts; instances: name the planned instances by ARN")
	f.DurationVar(&opts.assumeRecovery, "assume-recovery", plan.DefaultAssumedRecovery, "time added after each health-gated wave, in place of the health gate FIS cannot express")
	f.BoolVar(&opts.explicitOpts, "experiment-options", false, "write experimentOptions (single-account, fail: FIS's defaults) explicitly; AWS CLIs older than the field reject it")
	f.StringVarP(&opts.output, "output", "o", "", "write the template to this file instead of stdout")
	f.BoolVar(&opts.strict, "strict", false, "exit 2, writing nothing, when there is any warning")
	return cmd
}

func (a *app) runExportFIS(ctx context.Context, opts *exportFISOptions) error {
	fopts := fis.Options{
		RoleARN:             opts.roleARN,
		StopConditionAlarms: opts.alarms,
		LogGroupARN:         opts.logGroupARN,
		Targets:             fis.TargetMode(opts.targets),
		AssumedRecovery:     opts.assumeRecovery,
		ExperimentOptions:   opts.explicitOpts,
	}
	if err := fopts.Validate(); err != nil {
		return usageError("%v", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	scn, err := a.loadScenario(opts.scenarioPath)
	if err != nil {
		return err
	}
	regions, err := planRegions(opts.session.Region, scn)
	if err != nil {
		return err
	}
	if len(regions) > 1 {
		return usageError("%s acts in %s: an FIS experiment template acts in one region", scn.Source, strings.Join(regions, ", "))
	}
	region := regions[0]
	if opts.simulated {
		url, stop, err := startAPISim(sim.DemoFleet(), opts.seed.value, a)
		if err != nil {
			return err
		}
		defer stop()
		opts.session.EndpointURL = url
	}
	session := opts.session
	session.Region = region
	provider, identity, err := a.connect(ctx, session)
	if err != nil {
		return err
	}
	seed, origin := opts.seed.choose(scn)
	p, err := runner.ResolvePlan(ctx, scn, runner.Listers{region: provider}, region, seed,
		plan.EstimateOptions{AssumedRecovery: opts.assumeRecovery}, a.log)
	if err != nil {
		return err
	}
	fopts.Account, fopts.Region = identity.Account, region
	res, err := fis.Build(scn, p, fopts)
	if err != nil {
		if errors.Is(err, fis.ErrOptions) || errors.Is(err, fis.ErrSeveralRegions) {
			return usageError("%v", err)
		}
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(a.errOut, "warning: %s\n", w)
	}
	if opts.strict && len(res.Warnings) > 0 {
		return usageError("%d warnings and --strict: no template written", len(res.Warnings))
	}
	data, err := res.Template.JSON()
	if err != nil {
		return err
	}
	a.log.Info("exported FIS experiment template", zap.String("scenario", scn.Name), zap.Uint64("seed", seed),
		zap.String("seed_origin", origin), zap.String("region", region),
		zap.Int("targets", len(res.Template.Targets)), zap.Int("actions", len(res.Template.Actions)),
		zap.Int("warnings", len(res.Warnings)))
	if opts.output == "" || opts.output == "-" {
		_, err = a.out.Write(data)
		return err
	}
	if err := report.WriteFileAtomic(opts.output, data); err != nil {
		return &exitError{code: ExitInfrastructure, err: fmt.Errorf("export: %w", err)}
	}
	return nil
}
