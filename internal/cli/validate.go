package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"gameday/internal/scenario"
)

func (a *app) newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate SCENARIO...",
		Short: "Check scenario files offline and report every problem with file:line:col",
		Long: `Check scenario files without any AWS call. Every problem in every file is
reported, each with file:line:col, the field path and a hint. Exit code 2 when any
file is invalid.`,
		Args: minimumArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runValidate(args)
		},
	}
}

func (a *app) runValidate(paths []string) error {
	invalid := 0
	for _, path := range paths {
		scn, err := scenario.Load(path)
		if err != nil {
			invalid++
			fmt.Fprintln(a.out, err)
			continue
		}
		fmt.Fprintf(a.out, "%s: ok (%s: %s, %d waves)\n", path, scn.Name, scn.Action.Type, scn.Waves.Count)
	}
	if invalid > 0 {
		return &exitError{code: ExitInvalid, err: fmt.Errorf("%d of %d files invalid", invalid, len(paths))}
	}
	return nil
}
