package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"gameday/internal/replay"
	"gameday/internal/scenario"
)

type replayOptions struct {
	incident    string
	output      string
	format      string
	name        string
	region      string
	tags        []string
	targetTags  []string
	targetAZs   []string
	instances   string
	azOf        []string
	groupBy     string
	bucket      time.Duration
	maxSpan     time.Duration
	timeScale   float64
	scale       string
	fleetSize   []string
	keepStopped bool
	openStopFor time.Duration
}

func (a *app) newReplayCmd() *cobra.Command {
	def := replay.DefaultOptions()
	opts := &replayOptions{}
	cmd := &cobra.Command{
		Use:   "replay INCIDENT",
		Short: "Build a scenario from a recorded incident (CloudTrail, EventBridge or a CSV timeline)",
		Long: `Read a recorded incident and write a scenario that replays it on the target fleet:
the same number of instances (or the same share, --scale percent) per zone, the same
actions and the same relative timing (optionally scaled).

INCIDENT is one of (detected from the content; --format to insist):
  cloudtrail     a CloudTrail log file as delivered to S3 ({"Records": [...]}, .json.gz too)
  lookup-events  the output of aws cloudtrail lookup-events ({"Events": [...]})
  eventbridge    "EC2 Instance State-change Notification" events: one, an array, or JSON lines
  csv            a timeline with the header time,target,event[,count][,percent][,az]

RebootInstances replays as reboot; StopInstances and the StartInstances that followed
as stop-start held stopped for the median observed time (force: force-stop-start);
a stop never followed by a start as stop-start held --open-stop-for (or stop with
--keep-stopped); TerminateInstances as stop-start (gameday never terminates).
Failed calls (errorCode) and read-only or unrelated records are skipped and counted.

CloudTrail does not record an instance's zone: give --instances (the output of aws ec2
describe-instances for the original fleet) or --az-of. Events of the same zone and
action less than --bucket apart form one phase; each phase starts at its offset from
the first event, times --time-scale.

The scenario goes to stdout (or --output); a summary of what was read, skipped and
mapped goes to stderr. The scenario is validated before it is written.`,
		Example: `  gameday replay incident.json --instances fleet.json --tag app=web -o replay.yaml
  gameday replay AWSLogs/123456789012_CloudTrail_us-east-1_20240312T1405Z_x.json.gz --time-scale 0.1
  aws cloudtrail lookup-events --start-time 2024-03-12T14:00Z > events.json && gameday replay events.json
  gameday replay timeline.csv --target-azs us-west-2a,us-west-2b --scale percent --instances fleet.json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.incident = args[0]
			return a.runReplay(opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.output, "output", "o", "-", "write the scenario to this file (- for stdout)")
	f.StringVar(&opts.format, "format", string(replay.FormatAuto), "input format: auto, cloudtrail, lookup-events, eventbridge or csv")
	f.StringVar(&opts.name, "name", "", "scenario name (default: replay-<file name>)")
	f.StringVar(&opts.region, "region", "", "target region (default: the target zones', else the incident's)")
	f.StringArrayVar(&opts.tags, "tag", nil, "KEY=VALUE: the target fleet carries this tag (repeatable; default gameday=opt-in)")
	f.StringSliceVar(&opts.targetTags, "target-tags", nil, "KEY=VALUE,...: the same as --tag, as one list")
	f.StringSliceVar(&opts.targetAZs, "target-azs", nil, "the target fleet's zones; an original zone maps onto the same name, else onto the next unused one (default: the original names)")
	f.StringVar(&opts.instances, "instances", "", "the original fleet as aws ec2 describe-instances printed it (JSON): zones and tags of the original instances")
	f.StringArrayVar(&opts.azOf, "az-of", nil, "INSTANCE=ZONE: the zone of an original instance (repeatable; wins over --instances)")
	f.StringVar(&opts.groupBy, "group-by-tag", "", "split phases by the original instances' value of this tag (from --instances) and target the same value")
	f.DurationVar(&opts.bucket, "bucket", def.Gap, "events of one zone and action less than this apart form one phase")
	f.DurationVar(&opts.maxSpan, "max-phase-span", def.MaxSpan, "a phase covers at most this much of the incident (0: no bound)")
	f.Float64Var(&opts.timeScale, "time-scale", def.TimeScale, "multiply observed times (offsets, stopped_for) by this: 0.1 replays ten times faster")
	f.StringVar(&opts.scale, "scale", def.Scale, "blast radius: count (as many instances per zone as the incident hit) or percent (the same share of each zone)")
	f.StringArrayVar(&opts.fleetSize, "original-fleet-size", nil, "N or ZONE=N: the original fleet's size, for --scale percent (repeatable; default from --instances)")
	f.BoolVar(&opts.keepStopped, "keep-stopped", false, "replay a stop never followed by a start (or a termination) as action stop, leaving instances stopped")
	f.DurationVar(&opts.openStopFor, "open-stop-for", def.OpenStopFor, "stopped_for of a stop never followed by a start, or of a termination (not scaled)")
	return cmd
}

func (a *app) runReplay(opts *replayOptions) error {
	ro, err := a.replayOptions(opts)
	if err != nil {
		return err
	}
	data, err := readLimited(opts.incident, replay.MaxInputSize)
	if err != nil {
		return &exitError{code: ExitInvalid, err: fmt.Errorf("replay: %w", err)}
	}
	inc, err := replay.Parse(opts.incident, data, replay.Format(opts.format))
	if err != nil {
		return &exitError{code: ExitInvalid, err: err}
	}
	res, err := replay.Build(inc, ro)
	if err != nil {
		return &exitError{code: ExitInvalid, err: err}
	}
	target := opts.output
	if target == "-" {
		target = "replay.yaml"
	}
	if _, err := scenario.Parse(target, res.YAML); err != nil {
		return &exitError{code: ExitInfrastructure, err: fmt.Errorf(
			"replay: the scenario built from %s does not validate; this is a bug in gameday replay, please report it:\n%w", opts.incident, err)}
	}
	if err := res.WriteSummary(a.errOut); err != nil {
		return err
	}
	if opts.output == "-" {
		_, err := a.out.Write(res.YAML)
		return err
	}
	if err := writeFileAtomic(opts.output, res.YAML); err != nil {
		return &exitError{code: ExitInfrastructure, err: fmt.Errorf("replay: %w", err)}
	}
	fmt.Fprintf(a.errOut, "wrote %s (%d phases); next: gameday plan %s --sim\n", opts.output, len(res.Phases), opts.output)
	return nil
}

// replayOptions turns the flags into replay.Options, checking them.
func (a *app) replayOptions(opts *replayOptions) (replay.Options, error) {
	ro := replay.DefaultOptions()
	if !isReplayFormat(opts.format) {
		return ro, usageError("--format %q: want auto, cloudtrail, lookup-events, eventbridge or csv", opts.format)
	}
	ro.Source, ro.Name, ro.Region = opts.incident, opts.name, opts.region
	if ro.Name == "" {
		ro.Name = replay.DefaultName(opts.incident)
	}
	ro.TargetAZs, ro.GroupBy, ro.Gap, ro.MaxSpan = opts.targetAZs, opts.groupBy, opts.bucket, opts.maxSpan
	ro.TimeScale, ro.Scale, ro.KeepStopped, ro.OpenStopFor = opts.timeScale, opts.scale, opts.keepStopped, opts.openStopFor
	if tags := append(append([]string{}, opts.targetTags...), opts.tags...); len(tags) > 0 {
		ro.Tags = map[string]string{}
		for _, kv := range tags {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return ro, usageError("--tag %q: want KEY=VALUE", kv)
			}
			ro.Tags[k] = v
		}
	}
	ro.AZOf = map[string]string{}
	for _, kv := range opts.azOf {
		id, zone, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(id, "i-") || replay.RegionOf(zone) == "" {
			return ro, usageError("--az-of %q: want INSTANCE=ZONE, e.g. i-0123456789abcdef0=us-east-1a", kv)
		}
		ro.AZOf[id] = zone
	}
	ro.FleetSize = map[string]int{}
	for _, s := range opts.fleetSize {
		zone, count, found := strings.Cut(s, "=")
		if !found {
			zone, count = "", s
		}
		n, err := strconv.Atoi(count)
		if err != nil || n < 1 || (found && replay.RegionOf(zone) == "") {
			return ro, usageError("--original-fleet-size %q: want N or ZONE=N with N at least 1", s)
		}
		ro.FleetSize[zone] = n
	}
	if opts.instances != "" {
		data, err := readLimited(opts.instances, replay.MaxInputSize)
		if err != nil {
			return ro, &exitError{code: ExitInvalid, err: fmt.Errorf("replay: --instances: %w", err)}
		}
		inv, err := replay.ParseInventory(opts.instances, data)
		if err != nil {
			return ro, &exitError{code: ExitInvalid, err: fmt.Errorf("replay: --instances: %w", err)}
		}
		ro.Inventory = inv
	}
	return ro, nil
}

func isReplayFormat(f string) bool {
	for _, known := range replay.Formats {
		if string(known) == f {
			return true
		}
	}
	return false
}

// readLimited reads a whole file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, limit>>20)
	}
	return data, nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, so that a reader never sees half a scenario.
func writeFileAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
