package cli

import (
	"github.com/spf13/cobra"

	"gameday/internal/scenario"
)

func (a *app) newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of scenario files (for editors: # yaml-language-server: $schema=...)",
		Long: `Print the JSON Schema (draft 2020-12) of gameday/v1 scenario files on stdout.

Editors that use yaml-language-server (VS Code's YAML extension, Neovim, Helix...)
then complete field names, show each field's description and flag mistakes as you
type. Save the schema once and name it on the first line of a scenario:

  gameday schema > gameday-scenario.schema.json
  # yaml-language-server: $schema=./gameday-scenario.schema.json

The schema catches most mistakes; "gameday validate" catches all of them.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := a.out.Write(scenario.Schema())
			return err
		},
	}
}
