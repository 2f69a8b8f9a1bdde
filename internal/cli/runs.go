package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"gameday/internal/journal"
	"gameday/internal/report"
)

type runsOptions struct {
	runsDir string
	output  string
}

func (a *app) newRunsCmd() *cobra.Command {
	opts := &runsOptions{}
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List the runs under runs/ with their status and what they left stopped",
		Long: `List every run under the runs directory, oldest first: its scenario, status, start,
duration, and how many instances it may have left stopped.

The status comes from report.json; for a run whose report still says "running" (or
has none) it comes from the journal: "running" while a live gameday process holds
the journal, "interrupted" when the process died before the end, "recovered" once
gameday recover brought back what it left. Read-only: nothing is called.`,
		Example: `  gameday runs
  gameday runs --runs-dir /var/lib/gameday/runs --output json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runRuns(opts) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.runsDir, "runs-dir", "runs", "directory that holds one sub-directory per run")
	f.StringVar(&opts.output, "output", "text", "text or json")
	return cmd
}

// runEntry is one run as `gameday runs` shows it.
type runEntry struct {
	RunID       string             `json:"run_id"`
	Scenario    string             `json:"scenario"`
	Status      string             `json:"status"`
	Reason      string             `json:"reason,omitempty"`
	StartedAt   time.Time          `json:"started_at,omitzero"`
	EndedAt     time.Time          `json:"ended_at,omitzero"`
	Seconds     float64            `json:"duration_seconds"`
	LeftStopped []journal.Instance `json:"left_stopped"`
	Tagged      []journal.Instance `json:"tagged"`
	HasJournal  bool               `json:"journal"`
	HasReport   bool               `json:"report"`
	// NeedsRecovery: the journal has no end, or the run may have left
	// instances stopped or tagged.
	NeedsRecovery bool `json:"needs_recovery"`
	// live: a gameday process holds the journal.
	live bool
}

func (a *app) runRuns(opts *runsOptions) error {
	if opts.output != "text" && opts.output != "json" {
		return usageError("--output %q: want text or json", opts.output)
	}
	entries, err := a.listRuns(opts.runsDir)
	if err != nil {
		return err
	}
	if opts.output == "json" {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	if len(entries) == 0 {
		fmt.Fprintf(a.errOut, "no runs under %s\n", opts.runsDir)
		return nil
	}
	a.writeRunsTable(entries)
	return nil
}

// listRuns reads every run directory, sorted by start time. A run that
// cannot be read is listed as unreadable, not fatal: the listing is what
// an operator looks at after an accident.
func (a *app) listRuns(runsDir string) ([]runEntry, error) {
	dirs, err := os.ReadDir(runsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return []runEntry{}, nil
	}
	if err != nil {
		return nil, &exitError{code: ExitInvalid, err: fmt.Errorf("runs: %w", err)}
	}
	entries := []runEntry{}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		if e, ok := a.loadRun(runsDir, d.Name()); ok {
			entries = append(entries, e)
		}
	}
	sort.SliceStable(entries, func(i, j int) bool {
		if !entries[i].StartedAt.Equal(entries[j].StartedAt) {
			return entries[i].StartedAt.Before(entries[j].StartedAt)
		}
		return entries[i].RunID < entries[j].RunID
	})
	return entries, nil
}

func (a *app) loadRun(runsDir, id string) (runEntry, bool) {
	e := runEntry{RunID: id, LeftStopped: []journal.Instance{}, Tagged: []journal.Instance{}}
	rep, repErr := report.ReadJSON(filepath.Join(runsDir, id, report.JSONFile))
	e.HasReport = repErr == nil
	sum, live, jErr := a.readJournal(journal.Path(runsDir, id))
	e.HasJournal = jErr == nil
	if !e.HasReport && errors.Is(jErr, fs.ErrNotExist) {
		a.log.Debug("not a run directory", zap.String("dir", id), zap.String("reason", "no report.json and no journal"))
		return e, false
	}
	if e.HasJournal {
		e.Scenario, e.StartedAt, e.EndedAt = sum.Scenario, sum.StartedAt, sum.LastAt
		e.Status, e.Reason = sum.Status, sum.Reason
		e.LeftStopped, e.Tagged = orEmpty(sum.MayBeStopped), orEmpty(sum.Tagged)
		e.NeedsRecovery, e.live = sum.NeedsRecovery(), live
		if live && !sum.Finished {
			e.Status = journal.StatusRunning
		}
	}
	switch {
	case e.HasReport && rep.Status != report.StatusRunning:
		e.Scenario, e.Status, e.Reason, e.StartedAt, e.EndedAt = rep.Scenario.Name, rep.Status, rep.Reason, rep.StartedAt, rep.EndedAt
	case e.HasReport && !e.HasJournal:
		e.Scenario, e.Status, e.StartedAt, e.EndedAt = rep.Scenario.Name, journal.StatusInterrupted, rep.StartedAt, rep.EndedAt
		e.Reason = "report.json says running and there is no journal"
	case jErr != nil && !errors.Is(jErr, fs.ErrNotExist):
		e.Status, e.Reason = "unreadable", jErr.Error()
	}
	if !e.StartedAt.IsZero() && e.EndedAt.After(e.StartedAt) {
		e.Seconds = report.Seconds(e.EndedAt.Sub(e.StartedAt))
	}
	return e, true
}

// readJournal summarizes a journal and tells whether a live process holds
// it; a torn last line is only worth a warning.
func (a *app) readJournal(path string) (journal.Summary, bool, error) {
	records, warnings, err := journal.Read(path)
	for _, w := range warnings {
		a.log.Warn("journal", zap.String("warning", w))
	}
	if err != nil {
		return journal.Summary{}, false, err
	}
	sum := journal.Summarize(records)
	if sum.RunID == "" {
		sum.RunID = filepath.Base(filepath.Dir(path))
	}
	live, _ := journal.Locked(path)
	return sum, live, nil
}

func orEmpty(list []journal.Instance) []journal.Instance {
	if list == nil {
		return []journal.Instance{}
	}
	return list
}

func (a *app) writeRunsTable(entries []runEntry) {
	tw := tabwriter.NewWriter(a.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN ID\tSCENARIO\tSTATUS\tSTARTED\tDURATION\tLEFT STOPPED")
	needRecovery := 0
	for _, e := range entries {
		left := "-"
		if e.HasJournal {
			left = strconv.Itoa(len(e.LeftStopped))
		}
		if e.NeedsRecovery && !e.live {
			needRecovery++
		}
		started := "-"
		if !e.StartedAt.IsZero() {
			started = e.StartedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		duration := time.Duration(e.Seconds * float64(time.Second)).Round(time.Second)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.RunID, orDash(e.Scenario), e.Status, started, duration, left)
	}
	tw.Flush()
	if needRecovery > 0 {
		fmt.Fprintf(a.errOut, "%d runs did not finish or may have left instances behind: gameday recover looks after them\n", needRecovery)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
