package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"gameday/internal/ec2"
	"gameday/internal/fleet"
	"gameday/internal/report"
	"gameday/internal/scenario"
	"gameday/internal/sim"
	"gameday/internal/version"
)

type simSnapshotOptions struct {
	session   ec2.Session
	out       string
	anonymize bool
	keepTags  []string
	account   bool
	// now stamps the header; tests replace it.
	now func() time.Time
}

func (a *app) newSimSnapshotCmd() *cobra.Command {
	opts := &simSnapshotOptions{now: time.Now}
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Write a fleet file shaped like a real account's instances (read-only)",
		Long: `Read the instances of one region (filtered, paginated DescribeInstances calls only;
nothing is changed) and write a fleet file with the same availability zones, instance
types, tags and group sizes, so that you can rehearse against your own topology on
loopback with "gameday sim serve --fleet FILE".

Instances alike in type, tags (but Name) and public IP form one group, named after
their Name tags' common prefix or their app tag. Instance ids, IP addresses and Name
tags are never written, nor the account id unless --record-account is given. Timings
are the simulator's realistic defaults (docs/fleets.md): edit them to match your fleet.

--anonymize replaces every tag value by key-1, key-2, ... (equal values stay equal) and
group names by group-01, group-02, ...; tag keys are kept, and so are the values of the
opt-in tag (gameday) and of --keep-tag keys, so that scenarios select the same instances.`,
		Example: `  gameday sim snapshot --region eu-west-1 --profile staging --out staging-twin.yaml
  gameday sim snapshot --region us-east-1 --anonymize --out twin.yaml
  gameday sim serve --fleet staging-twin.yaml`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runSimSnapshot(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.session.Region, "region", "", "AWS region to read (default: AWS_REGION)")
	f.StringVar(&opts.session.Profile, "profile", "", "shared config profile for credentials (default: the standard chain)")
	f.StringVar(&opts.session.EndpointURL, "endpoint-url", "", "send EC2 calls here instead of AWS (e.g. a gameday simulator)")
	f.StringVar(&opts.out, "out", "", `fleet file to write ("-" for stdout)`)
	f.BoolVar(&opts.anonymize, "anonymize", false, "replace tag values and group names (tag keys and opt-in tag values are kept)")
	f.StringSliceVar(&opts.keepTags, "keep-tag", nil, "with --anonymize, also keep the values of these tag keys")
	f.BoolVar(&opts.account, "record-account", false, "write the account id (asked of STS) into the file")
	return cmd
}

func (a *app) runSimSnapshot(ctx context.Context, opts *simSnapshotOptions) error {
	session, err := snapshotSession(opts)
	if err != nil {
		return err
	}
	provider, account, err := a.snapshotProvider(ctx, session, opts.account)
	if err != nil {
		return err
	}
	// Terminated instances are gone and shutting-down ones going: a twin
	// of them would rehearse a fleet that no longer exists.
	live := []string{fleet.StatePending, fleet.StateRunning, fleet.StateStopping, fleet.StateStopped}
	instances, err := provider.List(ctx, fleet.Target{Region: session.Region, States: live})
	if err != nil {
		return err
	}
	if len(instances) == 0 {
		return usageError("no pending, running, stopping or stopped instances in %s: nothing to snapshot", session.Region)
	}
	spec, err := sim.Twin(instances, sim.TwinOptions{
		Region: session.Region, AccountID: account, Anonymize: opts.anonymize,
		KeepValues: keptTagKeys(opts.keepTags), Boot: sim.DefaultBoot(),
	})
	if err != nil {
		return &exitError{code: ExitInfrastructure, err: err}
	}
	var file bytes.Buffer
	if err := sim.WriteFleet(&file, spec, snapshotHeader(opts, session, account, instances, spec)); err != nil {
		return &exitError{code: ExitInfrastructure, err: err}
	}
	return a.writeSnapshot(opts.out, file.Bytes(), instances, spec)
}

func snapshotSession(opts *simSnapshotOptions) (ec2.Session, error) {
	if opts.out == "" {
		return ec2.Session{}, usageError("--out is required: the fleet file to write, or - for stdout")
	}
	session := opts.session
	for _, env := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if session.Region == "" {
			session.Region = os.Getenv(env)
		}
	}
	if session.Region == "" {
		return session, usageError("no region: pass --region or export AWS_REGION")
	}
	return session, nil
}

// snapshotProvider connects read-only: List, and STS only when the account
// id is to be recorded.
func (a *app) snapshotProvider(ctx context.Context, session ec2.Session, account bool) (*ec2.Provider, string, error) {
	cfg, err := ec2.LoadConfig(ctx, session)
	if err != nil {
		return nil, "", &exitError{code: ExitInfrastructure, err: err}
	}
	provider := ec2.New(cfg, ec2.Options{Logger: a.log.Named("ec2")})
	if !account {
		return provider, "", nil
	}
	identity, err := provider.CallerIdentity(ctx)
	if err != nil {
		return nil, "", err
	}
	return provider, identity.Account, nil
}

// snapshotHeader says where and when the file came from and what it left
// out. It names no credentials, and the endpoint without user info.
func snapshotHeader(opts *simSnapshotOptions, session ec2.Session, account string, instances []fleet.Instance, spec sim.FleetSpec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Twin of a real fleet, written by `gameday sim snapshot` (gameday %s).\n", version.Version)
	fmt.Fprintf(&b, "Read from %s at %s.\n", snapshotSource(session, account), opts.now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "%d instances in %d groups", len(instances), len(spec.Groups))
	if n := notRunning(instances); n > 0 {
		fmt.Fprintf(&b, "; not running when read: %d (the simulator starts every instance running)", n)
	}
	b.WriteString(".\n")
	if opts.anonymize {
		fmt.Fprintf(&b, "Anonymized: each tag key's values are replaced by key-1, key-2, ... (equal values stay\n"+
			"equal) and groups are named group-01, group-02, ...; tag keys are kept, and so are the\n"+
			"values of %s.\n", strings.Join(keptTagKeys(opts.keepTags), ", "))
	}
	b.WriteString("Not recorded: instance ids, IP addresses and Name tags (the simulator names instances\n<group>-NN)")
	if account == "" {
		b.WriteString(", nor the account id (--record-account writes it)")
	}
	b.WriteString(".\nTimings are the simulator's realistic EC2 defaults (docs/fleets.md): measure your\n" +
		"fleet's and edit them.\n\n")
	file := opts.out
	if file == "-" {
		file = "FILE"
	}
	fmt.Fprintf(&b, "Serve it: gameday sim serve --fleet %s\n", file)
	return b.String()
}

func snapshotSource(session ec2.Session, account string) string {
	parts := []string{"region " + session.Region}
	if session.Profile != "" {
		parts = append(parts, "profile "+session.Profile)
	}
	if session.EndpointURL != "" {
		parts = append(parts, "endpoint "+redactURL(session.EndpointURL))
	}
	if account != "" {
		parts = append(parts, "account "+account)
	}
	return strings.Join(parts, ", ")
}

func notRunning(instances []fleet.Instance) int {
	n := 0
	for _, in := range instances {
		if in.State != fleet.StateRunning {
			n++
		}
	}
	return n
}

// keptTagKeys are the keys whose values --anonymize keeps: the opt-in tag
// (so that a scenario's guardrail selects the same instances) and --keep-tag.
func keptTagKeys(extra []string) []string {
	return append(slices.Sorted(maps.Keys(scenario.DefaultRequireTag)), extra...)
}

// redactURL drops user info, query and fragment: an endpoint URL may carry
// a secret in any of them.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(not a URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// writeSnapshot writes the file (atomically: a crash leaves the old file
// or the new one) and says what it holds.
func (a *app) writeSnapshot(path string, data []byte, instances []fleet.Instance, spec sim.FleetSpec) error {
	summary := a.out
	if path == "-" {
		if _, err := a.out.Write(data); err != nil {
			return &exitError{code: ExitInfrastructure, err: err}
		}
		summary = a.errOut
	} else if err := report.WriteFileAtomic(path, data); err != nil {
		return &exitError{code: ExitInfrastructure, err: fmt.Errorf("--out: %w", err)}
	}
	a.log.Debug("snapshot written", zap.String("path", path), zap.Int("bytes", len(data)))
	printSnapshotSummary(summary, path, instances, spec)
	return nil
}

func printSnapshotSummary(w io.Writer, path string, instances []fleet.Instance, spec sim.FleetSpec) {
	where := path
	if path == "-" {
		where = "stdout"
	}
	fmt.Fprintf(w, "snapshot: %d instances in %s (%s), %d groups, written to %s\n",
		len(instances), spec.Region, azList(instances), len(spec.Groups), where)
	for _, g := range spec.Groups {
		fmt.Fprintf(w, "  %-24s %4d  %-10s %s\n", g.Name, g.Count, g.InstanceType, strings.Join(g.AvailabilityZones, ","))
	}
	if path != "-" {
		fmt.Fprintf(w, "serve it: gameday sim serve --fleet %s\n", path)
	}
}
