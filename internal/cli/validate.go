package cli

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"gameday/internal/scenario"
	"gameday/internal/strictyaml"
)

type validateOptions struct {
	paths  []string
	output string
}

func (a *app) newValidateCmd() *cobra.Command {
	opts := &validateOptions{}
	cmd := &cobra.Command{
		Use:   "validate SCENARIO...",
		Short: "Check scenario files offline and report every problem with file:line:col",
		Long: `Check scenario files without any AWS call. Every problem in every file is
reported, each with file:line:col, the field path and a hint. Exit code 2 when any
file is invalid.

--output json prints one JSON array with an object per file:
{"file", "valid", "name", "errors": [{"file", "line", "column", "path", "message", "hint"}]}`,
		Example: `  gameday validate scenarios/*.yaml
  gameday validate --output json staging.yaml | jq '.[].errors[].message'`,
		Args: minimumArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.paths = args
			return a.runValidate(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.output, "output", "o", "text", "output format: text or json")
	return cmd
}

// fileResult is the outcome of validating one file, as --output json
// prints it.
type fileResult struct {
	File   string        `json:"file"`
	Valid  bool          `json:"valid"`
	Name   string        `json:"name"`
	Errors []fileProblem `json:"errors"`

	scenario *scenario.Scenario
}

// fileProblem is one problem in a file; line and column are 0 when
// unknown, path is "" for the file as a whole.
type fileProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Path    string `json:"path"`
	Message string `json:"message"`
	Hint    string `json:"hint"`
}

func (a *app) runValidate(opts *validateOptions) error {
	if opts.output != "text" && opts.output != "json" {
		return usageError("validate: --output must be text or json, got %q", opts.output)
	}
	results := make([]fileResult, len(opts.paths))
	invalid := 0
	for i, path := range opts.paths {
		results[i] = validateFile(path)
		if !results[i].Valid {
			invalid++
		}
	}
	if err := a.printValidation(opts.output, results); err != nil {
		return err
	}
	if invalid > 0 {
		return &exitError{code: ExitInvalid, err: fmt.Errorf("%d of %d files invalid", invalid, len(opts.paths))}
	}
	return nil
}

func validateFile(path string) fileResult {
	res := fileResult{File: path, Errors: []fileProblem{}}
	scn, err := scenario.Load(path)
	if err == nil {
		res.Valid, res.Name, res.scenario = true, scn.Name, scn
		return res
	}
	var errs strictyaml.Errors
	if !errors.As(err, &errs) {
		res.Errors = append(res.Errors, fileProblem{File: path, Message: err.Error()})
		return res
	}
	for _, e := range errs {
		res.Errors = append(res.Errors, fileProblem{
			File: e.Source, Line: e.Line, Column: e.Column, Path: e.Path, Message: e.Msg, Hint: e.Hint,
		})
	}
	return res
}

func (a *app) printValidation(output string, results []fileResult) error {
	if output == "json" {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	for _, r := range results {
		if r.Valid {
			fmt.Fprintf(a.out, "%s: ok (%s)\n", r.File, summary(r.scenario))
			continue
		}
		for _, e := range r.Errors {
			fmt.Fprintln(a.out, problemLine(e))
		}
	}
	return nil
}

// problemLine prints a problem as strictyaml does: file:line:col: path:
// message (hint: ...).
func problemLine(p fileProblem) string {
	e := strictyaml.Error{Source: p.File, Line: p.Line, Column: p.Column, Path: p.Path, Msg: p.Message, Hint: p.Hint}
	return e.Error()
}

// summary says in a few words what a valid scenario does.
func summary(s *scenario.Scenario) string {
	if len(s.Phases) > 0 {
		return fmt.Sprintf("%s: %d phases", s.Name, len(s.Phases))
	}
	w := s.Waves
	waves := fmt.Sprintf("%d waves", w.Count)
	switch {
	case w.Size > 0:
		waves = fmt.Sprintf("waves of %d", w.Size)
	case w.Percent != nil:
		waves = fmt.Sprintf("waves of %s", w.Percent)
	}
	return fmt.Sprintf("%s: %s, %s", s.Name, s.Action.Type, waves)
}
