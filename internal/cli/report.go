package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"gameday/internal/report"
)

type reportOptions struct {
	runID   string
	runsDir string
	format  string
}

// reportFormats are what --format takes: every single format writes to
// stdout; all writes the files into the run directory.
var reportFormats = append([]string{"all"}, report.Formats...)

func (a *app) newReportCmd() *cobra.Command {
	opts := &reportOptions{}
	cmd := &cobra.Command{
		Use:   "report RUN-ID",
		Short: "Re-render a run's reports (HTML, JUnit XML, Markdown) from its report.json",
		Long: `Render a finished run again from runs/RUN-ID/report.json, without calling AWS.

With --format all (the default) it rewrites junit.xml, summary.md and report.html
beside report.json, which it leaves as it is, and prints the paths. With one format
it writes that rendering to stdout:

  html      report.html: one self-contained page with inline SVG charts
  junit     junit.xml: one test case per objective, for CI test reporters
  markdown  summary.md: for a CI job summary or a pull-request comment
  json      report.json as this version of gameday reads it
  text      the terminal summary printed at the end of the run

RUN-ID "latest" is the run that started last.`,
		Example: `  gameday report 20261122T100000Z-demo-4f2a
  gameday report latest --format markdown >> "$GITHUB_STEP_SUMMARY"
  gameday report latest --format html > /tmp/report.html`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.runID = args[0]
			return a.runReport(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.runsDir, "runs-dir", "runs", "directory that holds one sub-directory per run")
	f.StringVar(&opts.format, "format", "all", strings.Join(reportFormats, ", "))
	return cmd
}

func (a *app) runReport(opts *reportOptions) error {
	format := strings.ToLower(opts.format)
	known := false
	for _, f := range reportFormats {
		known = known || f == format
	}
	if !known {
		return usageError("--format %q: want one of %s", opts.format, strings.Join(reportFormats, ", "))
	}
	id, err := a.resolveRunID(opts.runsDir, opts.runID)
	if err != nil {
		return err
	}
	dir := filepath.Join(opts.runsDir, id)
	rep, err := report.ReadJSON(filepath.Join(dir, report.JSONFile))
	if err != nil {
		return &exitError{code: ExitInvalid, err: fmt.Errorf("report %s: %w", id, err)}
	}
	switch {
	case rep.SchemaVersion > report.SchemaVersion:
		fmt.Fprintf(a.errOut, "warning: %s has schema version %d, newer than this gameday's %d: what it added is not shown\n",
			id, rep.SchemaVersion, report.SchemaVersion)
	case rep.Status == report.StatusRunning:
		fmt.Fprintf(a.errOut, "warning: run %s has not finished (its report says running): this is what it had recorded\n", id)
	}
	if format != "all" {
		if format == "text" {
			return report.WriteSummaryArtifacts(a.out, rep, report.Existing(dir))
		}
		return report.Render(a.out, rep, format)
	}
	arts, err := report.WriteRenderings(dir, rep)
	if err != nil {
		return &exitError{code: ExitInfrastructure, err: err}
	}
	for _, p := range arts.Paths() {
		fmt.Fprintln(a.out, p)
	}
	return nil
}

// resolveRunID checks that id names a run with a report.json under
// runsDir; "latest" names the one that started last. An unknown id is a
// usage error that lists a few known ones.
func (a *app) resolveRunID(runsDir, id string) (string, error) {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, `/\`) {
		return "", usageError("run id %q: want the name of a directory under %s (gameday runs lists them)", id, runsDir)
	}
	if id != "latest" {
		if _, err := os.Stat(filepath.Join(runsDir, id, report.JSONFile)); err == nil {
			return id, nil
		}
	}
	ids, err := reportRuns(runsDir)
	if err != nil {
		return "", err
	}
	if len(ids) == 0 {
		return "", usageError("no run %s: there is no run with a report.json under %s", id, runsDir)
	}
	if id == "latest" {
		return latestRun(runsDir, ids), nil
	}
	const show = 5
	shown := ids[max(0, len(ids)-show):]
	slices.Reverse(shown)
	more := ""
	if len(ids) > show {
		more = fmt.Sprintf(" and %d more (gameday runs lists them all)", len(ids)-show)
	}
	return "", usageError("no run %s under %s; known runs: %s%s", id, runsDir, strings.Join(shown, ", "), more)
}

// reportRuns lists the runs under runsDir that have a report.json, by
// name: run ids begin with their start time, so this is oldest first.
func reportRuns(runsDir string) ([]string, error) {
	dirs, err := os.ReadDir(runsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &exitError{code: ExitInvalid, err: fmt.Errorf("report: %w", err)}
	}
	var ids []string
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(runsDir, d.Name(), report.JSONFile)); d.IsDir() && err == nil {
			ids = append(ids, d.Name())
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// latestRun is the run that started last, by its report; a report that
// cannot be read counts by its name alone.
func latestRun(runsDir string, ids []string) string {
	best, bestStart := ids[len(ids)-1], time.Time{}
	for _, id := range ids {
		rep, err := report.ReadJSON(filepath.Join(runsDir, id, report.JSONFile))
		if err != nil {
			continue
		}
		if rep.StartedAt.After(bestStart) || (rep.StartedAt.Equal(bestStart) && id > best) {
			best, bestStart = id, rep.StartedAt
		}
	}
	return best
}
