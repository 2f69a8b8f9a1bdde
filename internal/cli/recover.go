package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"gameday/internal/ec2"
	"gameday/internal/fleet"
	"gameday/internal/journal"
	"gameday/internal/recovery"
)

type recoverOptions struct {
	runIDs      []string
	runsDir     string
	session     ec2.Session
	seed        seedFlag // added with the session flags; hidden, unused
	orphans     bool
	expiredOnly bool
	waitTimeout time.Duration
	poll        time.Duration
}

func (a *app) newRecoverCmd() *cobra.Command {
	opts := &recoverOptions{}
	cmd := &cobra.Command{
		Use:   "recover [RUN-ID...]",
		Short: "Bring back every instance a crashed or interrupted run left stopped",
		Long: `Read a run's journal (runs/<run-id>/journal.jsonl), start every instance the run may
have left stopped, wait until each is running, and remove the run's dead-man tags
(gameday:run-id, gameday:restore-by). Without a run id: every run under the runs
directory that did not finish or may have left something behind. Safe to run twice:
a second run finds nothing to do. A run whose process is still alive is refused.

--orphans needs no journal: it finds, in --region, the stopped instances carrying a
gameday:run-id tag (whatever run left them) and restores them; running instances whose
restore-by has passed only lose the tags. An instance whose run's restore-by is still
ahead may belong to a live run: it is restored with a warning, or left alone with
--expired-only.

Exit codes: 0 everything asked for is running (or nothing to do), 1 some instance
could not be brought back (terminated, gone, held by another run), 2 invalid usage,
a missing journal or a live run, 3 interrupted, 4 an API error or a timeout.`,
		Example: `  gameday recover
  gameday recover 20261122T171648Z-stop-start-f2c5 --profile staging
  gameday recover --orphans --region eu-west-1 --expired-only`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.runIDs = args
			return a.runRecover(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	addSessionFlags(f, &opts.session, &opts.seed)
	_ = f.MarkHidden("seed")
	f.StringVar(&opts.runsDir, "runs-dir", "runs", "directory that holds one sub-directory per run")
	f.BoolVar(&opts.orphans, "orphans", false, "restore instances from their gameday:run-id tags in --region, without a journal")
	f.BoolVar(&opts.expiredOnly, "expired-only", false, "with --orphans: leave alone instances whose run's restore-by is still ahead")
	f.DurationVar(&opts.waitTimeout, "wait-timeout", recovery.DefaultTimeout, "how long to wait for instances to stop, and then to run")
	f.DurationVar(&opts.poll, "poll-interval", recovery.DefaultPoll, "how often to read instance states while waiting")
	return cmd
}

func (a *app) runRecover(ctx context.Context, opts *recoverOptions) error {
	switch {
	case opts.orphans && len(opts.runIDs) > 0:
		return usageError("recover: give run ids or --orphans, not both")
	case opts.expiredOnly && !opts.orphans:
		return usageError("recover: --expired-only goes with --orphans")
	case opts.orphans && opts.session.Region == "":
		return usageError("recover --orphans needs --region: it searches one region's tags")
	}
	ctx, stop := a.interruptible(ctx)
	defer stop()
	ropts := recovery.Options{Poll: opts.poll, Timeout: opts.waitTimeout, ExpiredOnly: opts.expiredOnly}
	if opts.orphans {
		return a.recoverOrphans(ctx, opts.session, ropts)
	}
	ids, err := a.runsToRecover(opts)
	if err != nil || len(ids) == 0 {
		return err
	}
	rc := &recoverer{app: a, session: opts.session, opts: ropts, runsDir: opts.runsDir, ops: map[string]fleet.Operator{}}
	var errs []error
	incomplete := false
	for _, id := range ids {
		res, err := rc.recoverRun(ctx, id)
		errs = append(errs, err)
		incomplete = incomplete || (res != nil && res.Incomplete())
		if ctx.Err() != nil {
			break
		}
	}
	return recoverExit(incomplete, errs...)
}

// recoverExit picks one exit code for all the runs: interrupted (3) over
// API errors and timeouts (4) over refusals (2); without an error, 1 when
// some instance could not be brought back.
func recoverExit(incomplete bool, errs ...error) error {
	err := errors.Join(errs...)
	if err == nil {
		if incomplete {
			return &exitError{code: ExitMissed, err: errors.New("some instances were not brought back"), silent: true}
		}
		return nil
	}
	code := ExitInvalid
	for _, e := range errs {
		switch c := exitCode(e); {
		case e == nil:
		case c == ExitAborted || errors.Is(e, context.Canceled):
			return &exitError{code: ExitAborted, err: err}
		case c != ExitInvalid:
			code = ExitInfrastructure
		}
	}
	return &exitError{code: code, err: err}
}

// runsToRecover checks the ids given (every one must have a journal before
// anything is touched), or finds the runs that need recovery.
func (a *app) runsToRecover(opts *recoverOptions) ([]string, error) {
	for _, id := range opts.runIDs {
		if err := journal.ValidRunID(id); err != nil {
			return nil, usageError("recover: %v", err)
		}
		if _, err := os.Stat(journal.Path(opts.runsDir, id)); err != nil {
			return nil, usageError("recover: run %s has no journal (%s): if it may have left instances stopped, "+
				"gameday recover --orphans --region REGION restores them from their tags", id, journal.Path(opts.runsDir, id))
		}
	}
	if len(opts.runIDs) > 0 {
		return opts.runIDs, nil
	}
	entries, err := a.listRuns(opts.runsDir)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		switch {
		case !e.HasJournal:
		case e.live:
			fmt.Fprintf(a.out, "run %s: still running (a live gameday process holds its journal): skipped\n", e.RunID)
		case e.NeedsRecovery:
			ids = append(ids, e.RunID)
		}
	}
	if len(ids) == 0 {
		fmt.Fprintf(a.out, "nothing to do: no run under %s left anything behind\n", opts.runsDir)
	}
	return ids, nil
}

// recoverer recovers runs one after the other, connecting to each region
// (per endpoint) once.
type recoverer struct {
	*app
	session ec2.Session
	opts    recovery.Options
	runsDir string
	// ops holds the connections by region and endpoint.
	ops map[string]fleet.Operator
}

func (rc *recoverer) recoverRun(ctx context.Context, id string) (*recovery.Result, error) {
	w, warnings, err := journal.Open(rc.runsDir, id)
	switch {
	case errors.Is(err, journal.ErrLocked):
		return nil, usageError("recover: run %s is still running (a live gameday process holds its journal): stop it first", id)
	case errors.Is(err, fs.ErrNotExist):
		return nil, usageError("recover: run %s has no journal: try gameday recover --orphans --region REGION", id)
	case err != nil:
		return nil, &exitError{code: ExitInvalid, err: fmt.Errorf("recover: %w (gameday recover --orphans works from the tags alone)", err)}
	}
	defer w.Close()
	for _, warning := range warnings {
		rc.log.Warn("journal repaired", zap.String("warning", warning))
	}
	sum, _, err := rc.readJournal(w.Path())
	if err != nil {
		return nil, err
	}
	ops, err := rc.connectFor(ctx, sum)
	if err != nil {
		return nil, err
	}
	rc.printRunHeader(sum)
	res, err := recovery.RecoverRun(ctx, ops, sum, w, rc.log.Named("recover"), rc.opts)
	rc.printResult(res)
	rc.printRunFooter(sum, res)
	if err != nil {
		return res, fmt.Errorf("run %s: %w", id, err)
	}
	return res, nil
}

// connectFor connects to every region the run left something in, against
// the endpoint and account the run used there: recovering against the
// wrong one would find nothing and call that success.
func (rc *recoverer) connectFor(ctx context.Context, sum journal.Summary) (recovery.Operators, error) {
	regions := sum.RecoveryRegions()
	if r := rc.session.Region; r != "" && len(regions) > 0 && !slices.Equal(regions, []string{r}) {
		return nil, usageError("recover: --region %s contradicts run %s, which acted in %s", r, sum.RunID, strings.Join(regions, ", "))
	}
	ops := recovery.Operators{}
	for _, region := range regions {
		s, err := sessionFor(rc.session, region, sum)
		if err != nil {
			return nil, err
		}
		key := region + " " + s.ResolveEndpoint()
		if rc.ops[key] == nil {
			provider, identity, err := rc.connect(ctx, s)
			if err != nil {
				return nil, err
			}
			if sum.Account != "" && identity.Account != sum.Account {
				return nil, usageError("recover: run %s acted in account %s; these credentials act in %s", sum.RunID, sum.Account, identity.Account)
			}
			rc.ops[key] = provider
		}
		ops[region] = rc.ops[key]
	}
	return ops, nil
}

// sessionFor is the session for one region of a run: the endpoint the run
// used there unless flags or the environment name one, which must then be
// the same.
func sessionFor(base ec2.Session, region string, sum journal.Summary) (ec2.Session, error) {
	s := base
	s.Region = region
	recorded, given := sum.EndpointFor(region), journal.RedactEndpoint(s.ResolveEndpoint())
	switch {
	case given == "" && recorded != "":
		s.EndpointURL = recorded
	case strings.TrimSuffix(given, "/") != strings.TrimSuffix(recorded, "/"):
		return s, usageError("recover: run %s ran against %s in %s, not %s", sum.RunID, orAWS(recorded), region, orAWS(given))
	}
	return s, nil
}

func orAWS(endpoint string) string {
	if endpoint == "" {
		return "AWS itself"
	}
	return endpoint
}

func (a *app) recoverOrphans(ctx context.Context, session ec2.Session, opts recovery.Options) error {
	provider, _, err := a.connect(ctx, session)
	if err != nil {
		return err
	}
	res, err := recovery.RecoverOrphans(ctx, provider, session.Region, a.log.Named("recover"), opts)
	if res == nil {
		return err
	}
	if res.NothingToDo {
		fmt.Fprintf(a.out, "orphans in %s: nothing to do (no stopped instance carries %s)\n", session.Region, journal.TagRunID)
		return err
	}
	fmt.Fprintf(a.out, "orphans in %s: %d instances tagged by gameday runs\n", session.Region, len(res.Instances))
	a.printResult(res)
	return recoverExit(res.Incomplete(), err)
}

func (a *app) printRunHeader(sum journal.Summary) {
	state := "interrupted"
	if sum.Finished {
		state = "ended " + sum.Status
	}
	fmt.Fprintf(a.out, "run %s (%s, %s): %d instances may be stopped, %d may carry its tags\n",
		sum.RunID, orDash(sum.Scenario), state, len(sum.MayBeStopped), len(sum.Tagged))
}

func (a *app) printRunFooter(sum journal.Summary, res *recovery.Result) {
	switch {
	case res == nil:
	case res.NothingToDo && !res.Ended:
		fmt.Fprintf(a.out, "run %s: nothing to do (it ended %s and left nothing behind)\n", sum.RunID, sum.Status)
	case res.Ended:
		fmt.Fprintf(a.out, "run %s: recovered\n", sum.RunID)
	default:
		fmt.Fprintf(a.out, "run %s: not fully recovered; run gameday recover %s again once the cause is fixed\n", sum.RunID, sum.RunID)
	}
}

// printResult prints one line per instance: where it was, what it became,
// and why.
func (a *app) printResult(res *recovery.Result) {
	if res == nil || len(res.Instances) == 0 {
		return
	}
	tw := tabwriter.NewWriter(a.out, 0, 0, 2, ' ', 0)
	for _, r := range res.Instances {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.ID, orDash(r.AZ), transition(r), describeOutcome(r))
	}
	tw.Flush()
}

func transition(r recovery.InstanceResult) string {
	found, final := orAbsent(r.Found), orAbsent(r.Final)
	if found == final {
		return found
	}
	return found + " -> " + final
}

func orAbsent(state string) string {
	if state == "" {
		return "absent"
	}
	return state
}

func describeOutcome(r recovery.InstanceResult) string {
	words := map[recovery.Outcome]string{
		recovery.Restored: "started", recovery.AlreadyRunning: "already running", recovery.TagsOnly: "not stopped by the run",
		recovery.Gone: "gone", recovery.Skipped: "skipped", recovery.LeftAlone: "left alone", recovery.Failed: "FAILED",
	}
	text := words[r.Result]
	if r.Untagged {
		text += ", tags removed"
	}
	if r.Reason != "" && r.Result != recovery.Restored && r.Result != recovery.AlreadyRunning {
		text += ": " + r.Reason
	}
	if r.RunID != "" {
		text += fmt.Sprintf(" (run %s, restore-by %s)", r.RunID, restoreBy(r.RestoreBy))
	}
	return text
}

func restoreBy(t time.Time) string {
	if t.IsZero() {
		return "unreadable"
	}
	return t.UTC().Format(time.RFC3339)
}
