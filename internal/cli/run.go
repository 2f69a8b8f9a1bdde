package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"gameday/internal/ec2"
	"gameday/internal/scenario"
)

type runOptions struct {
	scenarioPath string
	session      ec2.Session
	seed         seedFlag
	runsDir      string
	yes          bool
}

func (a *app) newRunCmd() *cobra.Command {
	opts := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run SCENARIO",
		Short: "Run a scenario against EC2 (or a simulator with --endpoint-url)",
		Long: `Run a scenario: select the instances it targets, reboot them wave by wave, probe
their health, score the recovery and write runs/<run-id>/report.json.

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
	return cmd
}

func (a *app) runRun(ctx context.Context, opts *runOptions) error {
	scn, err := a.loadScenario(opts.scenarioPath)
	if err != nil {
		return err
	}
	session := opts.session
	if session.Region, err = resolveRegion(session.Region, scn); err != nil {
		return err
	}
	endpoint := session.ResolveEndpoint()
	r := rehearsal{scenario: scn, session: session, seed: opts.seed, runsDir: opts.runsDir,
		loopback: ec2.IsLoopbackEndpoint(endpoint)}
	if !r.loopback && !opts.yes {
		r.confirm = a.confirmByName
	}
	return a.rehearse(ctx, r)
}

// addSessionFlags adds the flags that say where EC2 is, as whom, and the
// seed: the same for every verb that reads or acts on a fleet.
func addSessionFlags(f *pflag.FlagSet, session *ec2.Session, seed *seedFlag) {
	f.StringVar(&session.EndpointURL, "endpoint-url", "", "send EC2 and STS calls here instead of AWS (e.g. a gameday simulator)")
	f.StringVar(&session.Region, "region", "", "AWS region (default: the scenario's target.region, then AWS_REGION)")
	f.StringVar(&session.Profile, "profile", "", "shared config profile for credentials (default: the standard chain)")
	f.Var(seed, "seed", "seed for every random choice (default: the scenario's seed, else random and printed)")
}

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
// not "y", is deliberate: it is hard to do by reflex.
func (a *app) confirmByName(r rehearsal, selected int) error {
	if !isTerminal(a.in) {
		return usageError("refusing to reboot %d instances in %s without confirmation: run at a terminal or pass --yes",
			selected, r.where())
	}
	fmt.Fprintf(a.out, "About to reboot %d instances in %s. Type the scenario name (%s) to proceed: ", selected, r.where(), r.scenario.Name)
	answer, _ := bufio.NewReader(a.in).ReadString('\n')
	if strings.TrimSpace(answer) != r.scenario.Name {
		return &exitError{code: ExitAborted, err: errors.New("not confirmed; nothing was touched")}
	}
	return nil
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
