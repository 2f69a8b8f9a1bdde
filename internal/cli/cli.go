// Package cli holds gameday's cobra commands, one file per verb. It is the
// only place that wires packages together and the only place that picks exit
// codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"gameday/internal/ec2"
	"gameday/internal/plan"
	"gameday/internal/runner"
	"gameday/internal/strictyaml"
)

// Exit codes, as documented in the README.
const (
	ExitMet            = 0 // objectives met
	ExitMissed         = 1 // objectives missed
	ExitInvalid        = 2 // invalid input or usage
	ExitAborted        = 3 // aborted by a guardrail, a gate or the operator
	ExitInfrastructure = 4 // infrastructure or API error
)

// exitError carries an exit code through cobra. A silent one has already
// been reported to the user.
type exitError struct {
	code   int
	err    error
	silent bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &exitError{code: ExitInvalid, err: fmt.Errorf(format, args...)}
}

// app is what every command shares: streams, global flags and the logger
// built from them. Nothing here is global state.
type app struct {
	in        io.Reader
	out       io.Writer
	errOut    io.Writer
	logLevel  string
	logFormat string
	log       *zap.Logger
	// exit ends the process at once (a second Ctrl-C); tests replace it.
	exit func(code int)
}

// Main runs gameday with the process's arguments and streams and returns
// the exit code.
func Main() int {
	a := &app{in: os.Stdin, out: os.Stdout, errOut: os.Stderr, exit: os.Exit}
	return a.run(context.Background(), os.Args[1:])
}

func (a *app) run(ctx context.Context, args []string) int {
	root := a.newRootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if a.log != nil {
		_ = a.log.Sync()
	}
	if err == nil {
		return ExitMet
	}
	code := exitCode(err)
	var ee *exitError
	if !errors.As(err, &ee) || !ee.silent {
		fmt.Fprintf(a.errOut, "gameday: %v\n", err)
	}
	return code
}

// exitCode maps an error to the documented exit codes.
func exitCode(err error) int {
	var ee *exitError
	var verrs strictyaml.Errors
	var apiErr *ec2.APIError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &verrs), errors.Is(err, plan.ErrEmptySelection):
		return ExitInvalid
	case errors.Is(err, runner.ErrAborted), errors.Is(err, context.Canceled):
		return ExitAborted
	case errors.As(err, &apiErr):
		return ExitInfrastructure
	}
	return ExitInfrastructure
}

func (a *app) newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "gameday",
		Short: "Rehearse mass reboots of EC2 fleets, safely, and score how the service held",
		Long: `gameday runs chaos game days on EC2 fleets: it reboots the instances a scenario
selects, wave by wave, watches their health endpoints, and scores how fast and how
completely the fleet recovered. "gameday demo" does all of it on a simulated fleet.

Exit codes: 0 objectives met, 1 objectives missed, 2 invalid input or usage,
3 aborted (gate, guardrail or operator), 4 infrastructure or API error.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			log, err := newLogger(a.errOut, a.logLevel, a.logFormat)
			if err != nil {
				return &exitError{code: ExitInvalid, err: err}
			}
			a.log = log
			return nil
		},
	}
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&a.logFormat, "log-format", "console", "log format on stderr: console or json")
	root.SetOut(a.out)
	root.SetErr(a.errOut)
	root.SetIn(a.in)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &exitError{code: ExitInvalid, err: fmt.Errorf("%w (see %s --help)", err, cmd.CommandPath())}
	})
	root.AddCommand(
		a.newDemoCmd(),
		a.newRunCmd(),
		a.newPlanCmd(),
		a.newEventsCmd(),
		a.newValidateCmd(),
		a.newSchemaCmd(),
		a.newExportCmd(),
		a.newSimCmd(),
		a.newRunsCmd(),
		a.newReportCmd(),
		a.newRecoverCmd(),
		a.newReplayCmd(),
		a.newVersionCmd(),
	)
	return root
}

// exactArgs is cobra.ExactArgs with the usage exit code.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError("%s: %v", cmd.CommandPath(), err)
		}
		return nil
	}
}

// minimumArgs is cobra.MinimumNArgs with the usage exit code.
func minimumArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.MinimumNArgs(n)(cmd, args); err != nil {
			return usageError("%s: %v", cmd.CommandPath(), err)
		}
		return nil
	}
}
