package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"gameday/internal/ec2"
	"gameday/internal/events"
	"gameday/internal/fleet"
	"gameday/internal/report"
	"gameday/internal/sim"
	"gameday/internal/version"
)

type eventsOptions struct {
	session     ec2.Session
	seed        seedFlag
	tags        []string
	simulated   bool
	output      string
	toScenario  string
	healthURL   string
	lead        time.Duration
	maintenance string
	// now is when the events are read; tests replace it.
	now func() time.Time
}

func (a *app) newEventsCmd() *cobra.Command {
	opts := &eventsOptions{now: time.Now}
	cmd := &cobra.Command{
		Use:   "events",
		Short: "List AWS scheduled events of the fleet; write a scenario that acts before them",
		Long: `List the scheduled events AWS announced for the fleet's instances (system-reboot,
instance-reboot, system-maintenance, instance-retirement, instance-stop), grouped by
availability zone and window, read-only: DescribeInstances for the fleet (--tag
filters), DescribeInstanceStatus for the events. Events marked [Completed] or
[Canceled] are listed as such and otherwise ignored.

--to-scenario FILE writes a scenario that acts first, on your schedule: a reboot for
system-reboot and instance-reboot, a stop and start (new hardware, as AWS advises) for
instance-retirement and instance-stop, one phase per window and action, AZ by AZ with
a health gate between AZs, and no wave later than --lead before the first window.
system-maintenance is left to AWS (a reboot does not avoid it) unless --maintenance
stop-start. Only opted-in instances (gameday=opt-in) are put in the scenario.
Check the file with "gameday plan FILE" and run it with "gameday run FILE".

With --sim the events come from the built-in "default" simulated fleet, which has one
scheduled event.`,
		Example: `  gameday events --region us-east-1 --tag app=web
  gameday events --profile staging --output json > events.json
  gameday events --tag app=web --to-scenario ahead-of-events.yaml --lead 2h
  gameday events --sim --to-scenario -`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runEvents(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	addSessionFlags(f, &opts.session, &opts.seed)
	f.StringArrayVar(&opts.tags, "tag", nil, "KEY=VALUE: only instances with this tag (repeatable; values take the EC2 wildcards * and ?)")
	f.BoolVar(&opts.simulated, "sim", false, `read the built-in "default" simulated fleet (no AWS)`)
	f.StringVar(&opts.output, "output", "text", "text or json")
	f.StringVar(&opts.toScenario, "to-scenario", "", `write a scenario acting on the affected instances ahead of their windows to this file ("-" for stdout)`)
	f.StringVar(&opts.healthURL, "health-url", events.DefaultHealthURL, "the generated scenario's per-instance health check (a URL template)")
	f.DurationVar(&opts.lead, "lead", events.DefaultLead, "the generated scenario starts no wave later than this before the first window")
	f.StringVar(&opts.maintenance, "maintenance", events.MaintenanceWait, "system-maintenance events: wait (leave them to AWS) or stop-start (move the instance to another host first)")
	return cmd
}

func (a *app) runEvents(ctx context.Context, opts *eventsOptions) error {
	tags, err := eventsCheckFlags(opts)
	if err != nil {
		return err
	}
	if opts.simulated {
		// The default fleet: unlike the demo fleet, it has a scheduled event.
		url, stop, err := startAPISim(sim.DefaultFleet(), opts.seed.value, a)
		if err != nil {
			return err
		}
		defer stop()
		opts.session.EndpointURL = url
		if opts.session.Region == "" {
			opts.session.Region = sim.DefaultFleet().Region
		}
	}
	if opts.session.Region == "" {
		opts.session.Region = cmpEnv("AWS_REGION", "AWS_DEFAULT_REGION")
	}
	if opts.session.Region == "" {
		return usageError("no region: pass --region or export AWS_REGION")
	}
	provider, _, err := a.connect(ctx, opts.session)
	if err != nil {
		return err
	}
	listing, err := readEvents(ctx, provider, opts, tags)
	if err != nil {
		return err
	}
	// With the scenario on stdout, the listing goes to stderr.
	out := a.out
	if opts.toScenario == "-" {
		out = a.errOut
	}
	if opts.output == "json" {
		err = listing.WriteJSON(out)
	} else {
		err = listing.WriteText(out)
	}
	if err != nil {
		return &exitError{code: ExitInfrastructure, err: err}
	}
	if opts.toScenario == "" {
		return nil
	}
	return a.writeEventsScenario(listing, opts)
}

// eventsCheckFlags rejects flag values before anything is read.
func eventsCheckFlags(opts *eventsOptions) (map[string]string, error) {
	if opts.output != "text" && opts.output != "json" {
		return nil, usageError("--output %q: want text or json", opts.output)
	}
	if opts.output == "json" && opts.toScenario == "-" {
		return nil, usageError("--output json and --to-scenario - would both write to stdout: write the scenario to a file")
	}
	if opts.lead < 0 {
		return nil, usageError("--lead %s: want a duration of 0 or more", opts.lead)
	}
	if opts.maintenance != events.MaintenanceWait && opts.maintenance != events.MaintenanceStopStart {
		return nil, usageError("--maintenance %q: want %s or %s", opts.maintenance, events.MaintenanceWait, events.MaintenanceStopStart)
	}
	if opts.simulated && (opts.session.EndpointURL != "" || len(opts.session.EndpointURLs) > 0) {
		return nil, usageError("--sim serves its own endpoint: leave out --endpoint-url and --endpoint-url-for")
	}
	tags := map[string]string{}
	for _, t := range opts.tags {
		k, v, ok := strings.Cut(t, "=")
		if !ok || k == "" {
			return nil, usageError("--tag %q: want KEY=VALUE, e.g. --tag app=web", t)
		}
		if _, dup := tags[k]; dup {
			return nil, usageError("--tag %s given twice", k)
		}
		tags[k] = v
	}
	return tags, nil
}

// cmpEnv is the first non-empty environment variable of names.
func cmpEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// readEvents lists the fleet and its events: two read-only calls, each
// paginated.
func readEvents(ctx context.Context, provider *ec2.Provider, opts *eventsOptions, tags map[string]string) (events.Listing, error) {
	// Terminated instances have no future; every other state may hold an
	// event worth seeing.
	live := []string{fleet.StatePending, fleet.StateRunning, fleet.StateStopping, fleet.StateStopped}
	instances, err := provider.List(ctx, fleet.Target{Region: opts.session.Region, Tags: tags, States: live})
	if err != nil {
		return events.Listing{}, err
	}
	read, err := provider.ScheduledEvents(ctx, events.Codes)
	if err != nil {
		return events.Listing{}, err
	}
	scheduled := make([]events.Scheduled, len(read))
	for i, e := range read {
		scheduled[i] = events.Scheduled{
			InstanceID: e.InstanceID, AZ: e.AZ, State: e.State, EventID: e.EventID, Code: e.Code, Description: e.Description,
			NotBefore: e.NotBefore, NotAfter: e.NotAfter, NotBeforeDeadline: e.NotBeforeDeadline,
		}
	}
	if len(tags) == 0 {
		tags = nil
	}
	return events.Build(instances, scheduled, events.Options{
		Region: opts.session.Region, Tags: tags, Now: opts.now(), Maintenance: opts.maintenance,
	}), nil
}

// writeEventsScenario generates, validates and writes the scenario, then
// says what it does and what to watch for.
func (a *app) writeEventsScenario(listing events.Listing, opts *eventsOptions) error {
	source := opts.toScenario
	if source == "-" {
		source = "stdout"
	}
	gen, err := listing.Scenario(events.ScenarioOptions{HealthURL: opts.healthURL, Lead: opts.lead, Source: source, Version: version.Version})
	if errors.Is(err, events.ErrNothingToDo) {
		fmt.Fprintf(a.errOut, "no scenario written: %v\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	if opts.toScenario == "-" {
		if _, err := a.out.Write(gen.YAML); err != nil {
			return &exitError{code: ExitInfrastructure, err: err}
		}
	} else if err := report.WriteFileAtomic(opts.toScenario, gen.YAML); err != nil {
		return &exitError{code: ExitInfrastructure, err: fmt.Errorf("--to-scenario: %w", err)}
	}
	a.log.Debug("scenario written", zap.String("path", opts.toScenario), zap.Int("phases", len(gen.Groups)))
	printScenarioSummary(a.errOut, gen, source)
	return nil
}

func printScenarioSummary(w io.Writer, gen *events.Generated, where string) {
	fmt.Fprintf(w, "scenario %s written to %s: %d phases\n", gen.Name, where, len(gen.Groups))
	for _, g := range gen.Groups {
		fmt.Fprintf(w, "  %-28s %-10s %3d instances  %s  window %s\n", g.Name, g.Action, len(g.Instances), strings.Join(g.AZs(), ","), g.Window)
	}
	if !gen.NotAfter.IsZero() {
		fmt.Fprintf(w, "no wave starts after %s (schedule.not_after)\n", gen.NotAfter.Format(time.RFC3339))
	}
	for _, warning := range gen.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warning)
	}
	if where != "stdout" {
		fmt.Fprintf(w, "check it: gameday plan %s; run it: gameday run %s\n", where, where)
	}
}
