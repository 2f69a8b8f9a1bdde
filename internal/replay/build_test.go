package replay

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gameday/internal/scenario"
)

func incident(events ...Event) *Incident {
	inc := newIncident("incident.json")
	inc.sawFormat(FormatCloudTrail)
	inc.Events = events
	inc.Records, inc.Used = len(events), len(events)
	sortEvents(inc.Events)
	return inc
}

// at places an instance event in a zone.
func at(e Event, zone string) Event {
	e.AZ = zone
	return e
}

// stepBrief prints a step of the generated scenario as
// "p01-us-east-1a-reboot +0s [us-east-1a] {app=web} count 3 reboot".
func stepBrief(st scenario.Step) string {
	size := "all"
	switch br := st.BlastRadius; {
	case br.Count != nil:
		size = fmt.Sprintf("count %d", *br.Count)
	case br.Percent != nil:
		size = fmt.Sprintf("percent %g", br.Percent.Value)
	}
	action := st.Action.Type
	if action == scenario.ActionStopStart || action == scenario.ActionForceStopStart {
		action += "/" + st.Action.StoppedFor.String()
	}
	if st.Action.AllowLeaveStopped {
		action += " (left stopped)"
	}
	var tags []string
	for k, v := range st.Target.Tags {
		tags = append(tags, k+"="+v)
	}
	slices.Sort(tags)
	return fmt.Sprintf("%s +%s %s %v {%s} %s %s", st.Name, *st.After, st.Target.Region, st.Target.AvailabilityZones,
		strings.Join(tags, ","), size, action)
}

// mustValidate parses the generated YAML as `gameday validate` would and
// describes its steps.
func mustValidate(t *testing.T, res *Result) []string {
	t.Helper()
	s, err := scenario.Parse("replay.yaml", res.YAML)
	if err != nil {
		t.Fatalf("generated scenario does not validate: %v\n%s", err, res.YAML)
	}
	var out []string
	for _, st := range s.Steps() {
		out = append(out, stepBrief(st))
	}
	return out
}

func TestReplayBuildMapping(t *testing.T) {
	t.Parallel()
	s, m := time.Second, time.Minute
	inventory := Inventory{
		"i-a1": {AZ: "us-east-1a", Tags: map[string]string{"app": "web"}},
		"i-a2": {AZ: "us-east-1a", Tags: map[string]string{"app": "web"}},
		"i-a3": {AZ: "us-east-1a", Tags: map[string]string{"app": "worker"}},
		"i-a4": {AZ: "us-east-1a", Tags: map[string]string{"app": "web"}},
		"i-b1": {AZ: "us-east-1b", Tags: map[string]string{"app": "web"}},
	}
	tests := []struct {
		name    string
		events  []Event
		opts    func(*Options)
		hints   map[string]string
		want    []string
		warning string
	}{
		{
			name: "events of one zone and action closer than the bucket share a phase",
			events: []Event{
				at(ev(0, KindReboot, "i-1", 0), "us-east-1a"), at(ev(30*s, KindReboot, "i-2", 0), "us-east-1a"),
				at(ev(80*s, KindReboot, "i-3", 0), "us-east-1a"), at(ev(3*m, KindReboot, "i-4", 0), "us-east-1a"),
				at(ev(10*s, KindReboot, "i-5", 0), "us-east-1b"),
			},
			want: []string{
				"p01-us-east-1a-reboot +0s us-east-1 [us-east-1a] {gameday=opt-in} count 3 reboot",
				"p02-us-east-1b-reboot +10s us-east-1 [us-east-1b] {gameday=opt-in} count 1 reboot",
				"p03-us-east-1a-reboot +3m0s us-east-1 [us-east-1a] {gameday=opt-in} count 1 reboot",
			},
		},
		{
			name: "a phase covers at most max-phase-span of the incident",
			events: []Event{
				at(ev(0, KindReboot, "i-1", 0), "us-east-1a"), at(ev(40*s, KindReboot, "i-2", 0), "us-east-1a"),
				at(ev(80*s, KindReboot, "i-3", 0), "us-east-1a"), at(ev(120*s, KindReboot, "i-4", 0), "us-east-1a"),
			},
			opts: func(o *Options) { o.MaxSpan = m },
			want: []string{
				"p01-us-east-1a-reboot +0s us-east-1 [us-east-1a] {gameday=opt-in} count 2 reboot",
				"p02-us-east-1a-reboot +1m20s us-east-1 [us-east-1a] {gameday=opt-in} count 2 reboot",
			},
		},
		{
			name: "time scale scales offsets and observed stopped_for, not --open-stop-for",
			events: []Event{
				at(ev(0, KindStop, "i-1", 0), "us-east-1a"), at(ev(10*s, KindStop, "i-2", 0), "us-east-1a"),
				at(ev(3*m, KindStart, "i-1", 0), "us-east-1a"), at(ev(4*m+10*s, KindStart, "i-2", 0), "us-east-1a"),
				at(ev(m, KindForceStop, "i-3", 0), "us-east-1b"),
			},
			opts: func(o *Options) { o.TimeScale, o.Tags = 0.1, map[string]string{"app": "web"} },
			want: []string{
				"p01-us-east-1a-stop-start +0s us-east-1 [us-east-1a] {app=web} count 2 stop-start/21s",
				"p02-us-east-1b-force-stop-start +6s us-east-1 [us-east-1b] {app=web} count 1 force-stop-start/30m0s",
			},
		},
		{
			name: "terminate and a stop never started become stop-starts held --open-stop-for",
			events: []Event{
				at(ev(0, KindTerminate, "i-1", 0), "us-east-1a"), at(ev(0, KindStop, "i-2", 0), "us-east-1a"),
				at(ev(0, KindImpaired, "i-3", 0), "us-east-1a"),
			},
			opts: func(o *Options) { o.OpenStopFor = 45 * m },
			want: []string{
				"p01-us-east-1a-force-stop-start +0s us-east-1 [us-east-1a] {gameday=opt-in} count 1 force-stop-start/45m0s",
				"p02-us-east-1a-stop-start +0s us-east-1 [us-east-1a] {gameday=opt-in} count 1 stop-start/45m0s",
				"p03-us-east-1a-stop-start +0s us-east-1 [us-east-1a] {gameday=opt-in} count 1 stop-start/45m0s",
			},
		},
		{
			name: "--keep-stopped leaves stops never started, and terminations, stopped",
			events: []Event{
				at(ev(0, KindTerminate, "i-1", 0), "us-east-1a"), at(ev(2*m, KindStop, "i-2", 0), "us-east-1a"),
				at(ev(2*m, KindStop, "i-3", 0), "us-east-1b"), at(ev(4*m, KindStart, "i-3", 0), "us-east-1b"),
			},
			opts: func(o *Options) { o.KeepStopped = true },
			want: []string{
				"p01-us-east-1a-stop +0s us-east-1 [us-east-1a] {gameday=opt-in} count 1 stop (left stopped)",
				"p02-us-east-1a-stop +2m0s us-east-1 [us-east-1a] {gameday=opt-in} count 1 stop (left stopped)",
				"p03-us-east-1b-stop-start +2m0s us-east-1 [us-east-1b] {gameday=opt-in} count 1 stop-start/2m0s",
			},
		},
		{
			name: "target zones: a zone the target has keeps its name, the others take unused ones in order",
			events: []Event{
				at(ev(0, KindReboot, "i-1", 0), "us-east-1a"), at(ev(0, KindReboot, "i-2", 0), "us-east-1b"),
				at(ev(0, KindReboot, "i-3", 0), "us-east-1c"),
			},
			opts: func(o *Options) { o.TargetAZs = []string{"us-east-1e", "us-east-1c", "us-east-1d"} },
			want: []string{
				"p01-us-east-1c-reboot +0s us-east-1 [us-east-1c] {gameday=opt-in} count 1 reboot",
				"p02-us-east-1d-reboot +0s us-east-1 [us-east-1d] {gameday=opt-in} count 1 reboot",
				"p03-us-east-1e-reboot +0s us-east-1 [us-east-1e] {gameday=opt-in} count 1 reboot",
			},
		},
		{
			name: "a target with fewer zones takes them round-robin, with a warning",
			events: []Event{
				at(ev(0, KindReboot, "i-1", 0), "us-east-1a"), at(ev(0, KindReboot, "i-2", 0), "us-east-1b"),
				at(ev(0, KindReboot, "i-3", 0), "us-east-1c"),
			},
			opts: func(o *Options) { o.TargetAZs = []string{"eu-west-1a", "eu-west-1b"} },
			want: []string{
				"p01-eu-west-1a-reboot +0s eu-west-1 [eu-west-1a] {gameday=opt-in} count 1 reboot",
				"p02-eu-west-1a-reboot +0s eu-west-1 [eu-west-1a] {gameday=opt-in} count 1 reboot",
				"p03-eu-west-1b-reboot +0s eu-west-1 [eu-west-1b] {gameday=opt-in} count 1 reboot",
			},
			warning: "zones us-east-1a, us-east-1c all map onto eu-west-1a",
		},
		{
			name: "zones come from --az-of, then the record, then --instances, then other records",
			events: []Event{
				ev(0, KindReboot, "i-a1", 0), at(ev(0, KindReboot, "i-a2", 0), "us-east-1c"), ev(0, KindReboot, "i-b1", 0),
				ev(0, KindReboot, "i-9", 0),
			},
			opts: func(o *Options) {
				o.Inventory = inventory
				o.AZOf = map[string]string{"i-b1": "us-east-1c"}
			},
			hints: map[string]string{"i-9": "us-east-1b", "i-a1": "us-east-1b"},
			want: []string{
				"p01-us-east-1a-reboot +0s us-east-1 [us-east-1a] {gameday=opt-in} count 1 reboot",
				"p02-us-east-1b-reboot +0s us-east-1 [us-east-1b] {gameday=opt-in} count 1 reboot",
				"p03-us-east-1c-reboot +0s us-east-1 [us-east-1c] {gameday=opt-in} count 2 reboot",
			},
		},
		{
			name:   "instances of unknown zones target the target's zones, with a warning",
			events: []Event{ev(0, KindReboot, "i-1", 0), ev(s, KindReboot, "i-2", 0)},
			opts:   func(o *Options) { o.TargetAZs = []string{"us-west-2a", "us-west-2b"} },
			want: []string{
				"p01-any-az-reboot +0s us-west-2 [us-west-2a us-west-2b] {gameday=opt-in} count 2 reboot",
			},
			warning: "the zone of 2 instances is unknown",
		},
		{
			name: "instances of unknown zones and no target zones: any zone of the records' region",
			events: []Event{
				{Time: t0, Kind: KindReboot, Instance: "i-1", Region: "eu-central-1", Source: "f:1", Call: "RebootInstances"},
			},
			want:    []string{"p01-any-az-reboot +0s eu-central-1 [] {gameday=opt-in} count 1 reboot"},
			warning: "their phases target any zone of the target region",
		},
		{
			name: "--scale percent: a share of the original zone, from --instances",
			events: []Event{
				ev(0, KindReboot, "i-a1", 0), ev(0, KindReboot, "i-a2", 0), ev(0, KindReboot, "i-a3", 0), ev(0, KindReboot, "i-b1", 0),
			},
			opts: func(o *Options) { o.Inventory, o.Scale = inventory, ScalePercent },
			want: []string{
				"p01-us-east-1a-reboot +0s us-east-1 [us-east-1a] {gameday=opt-in} percent 75 reboot",
				"p02-us-east-1b-reboot +0s us-east-1 [us-east-1b] {gameday=opt-in} percent 100 reboot",
			},
		},
		{
			name: "--scale percent: from --original-fleet-size per zone, or the whole fleet split evenly",
			events: []Event{
				at(ev(0, KindReboot, "i-1", 0), "us-east-1a"), at(ev(0, KindReboot, "i-2", 0), "us-east-1a"),
				at(ev(0, KindReboot, "i-3", 0), "us-east-1a"), at(ev(0, KindReboot, "i-4", 0), "us-east-1b"),
			},
			opts: func(o *Options) { o.Scale, o.FleetSize = ScalePercent, map[string]int{"us-east-1a": 8, "": 30} },
			want: []string{
				"p01-us-east-1a-reboot +0s us-east-1 [us-east-1a] {gameday=opt-in} percent 37.5 reboot",
				"p02-us-east-1b-reboot +0s us-east-1 [us-east-1b] {gameday=opt-in} percent 6.67 reboot",
			},
		},
		{
			name: "--group-by-tag splits phases by the originals' tag and targets it",
			events: []Event{
				ev(0, KindReboot, "i-a1", 0), ev(0, KindReboot, "i-a2", 0), ev(0, KindReboot, "i-a3", 0),
			},
			opts: func(o *Options) { o.Inventory, o.GroupBy = inventory, "app" },
			want: []string{
				"p01-us-east-1a-web-reboot +0s us-east-1 [us-east-1a] {app=web,gameday=opt-in} count 2 reboot",
				"p02-us-east-1a-worker-reboot +0s us-east-1 [us-east-1a] {app=worker,gameday=opt-in} count 1 reboot",
			},
		},
		{
			name: "CSV percent rows stay percent; zone rows count their instances",
			events: []Event{
				ev(0, KindReboot, "us-east-1b%", 25), ev(10*s, KindReboot, "us-east-1b%", 10), ev(0, KindReboot, "us-east-1a", 4),
				ev(0, KindStop, "us-east-1c", 3), ev(2*m, KindStart, "us-east-1c", 3),
			},
			want: []string{
				"p01-us-east-1a-reboot +0s us-east-1 [us-east-1a] {gameday=opt-in} count 4 reboot",
				"p02-us-east-1b-reboot +0s us-east-1 [us-east-1b] {gameday=opt-in} percent 35 reboot",
				"p03-us-east-1c-stop-start +0s us-east-1 [us-east-1c] {gameday=opt-in} count 3 stop-start/2m0s",
			},
		},
		{
			name: "an instance hit twice in one phase counts once; in two phases, with a warning",
			events: []Event{
				at(ev(0, KindReboot, "i-1", 0), "us-east-1a"), at(ev(5*s, KindReboot, "i-1", 0), "us-east-1a"),
				at(ev(10*m, KindReboot, "i-1", 0), "us-east-1a"),
			},
			want: []string{
				"p01-us-east-1a-reboot +0s us-east-1 [us-east-1a] {gameday=opt-in} count 1 reboot",
				"p02-us-east-1a-reboot +10m0s us-east-1 [us-east-1a] {gameday=opt-in} count 1 reboot",
			},
			warning: "1 original instance appears in more than one phase",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := DefaultOptions()
			opts.Name = "replay-test"
			if tt.opts != nil {
				tt.opts(&opts)
			}
			inc := incident(tt.events...)
			for id, az := range tt.hints {
				inc.AZHints[id] = az
			}
			res, err := Build(inc, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := mustValidate(t, res); !slices.Equal(got, tt.want) {
				t.Errorf("phases:\n got %q\nwant %q\n%s", got, tt.want, res.YAML)
			}
			warnings := strings.Join(res.Warnings, "\n")
			if tt.warning != "" && !strings.Contains(warnings, tt.warning) {
				t.Errorf("warnings do not contain %q:\n%s", tt.warning, warnings)
			}
			if tt.warning == "" && warnings != "" {
				t.Errorf("unexpected warnings:\n%s", warnings)
			}
		})
	}
}

func TestReplayBuildErrors(t *testing.T) {
	t.Parallel()
	reboot := []Event{at(ev(0, KindReboot, "i-1", 0), "us-east-1a")}
	tests := []struct {
		name   string
		events []Event
		opts   func(*Options)
		want   string
	}{
		{"time scale 0", reboot, func(o *Options) { o.TimeScale = 0 }, "time scale 0"},
		{"bad name", reboot, func(o *Options) { o.Name = "Replay_1" }, `name "Replay_1"`},
		{"bad region", reboot, func(o *Options) { o.Region = "mars" }, `region "mars"`},
		{"target zone outside the region", reboot, func(o *Options) { o.Region, o.TargetAZs = "us-west-2", []string{"us-east-1a"} },
			"target zone us-east-1a is not in region us-west-2"},
		{"target zones in two regions", reboot, func(o *Options) { o.TargetAZs = []string{"us-east-1a", "us-west-2a"} },
			"in different regions"},
		{"incident zone outside --region without target zones", reboot, func(o *Options) { o.Region = "us-west-2" },
			"name the target's zones with --target-azs"},
		{"group by without inventory", reboot, func(o *Options) { o.GroupBy = "app" }, "needs the original instances' tags"},
		{"percent without sizes", reboot, func(o *Options) { o.Scale = ScalePercent }, "--original-fleet-size us-east-1a=N"},
		{"unknown region", []Event{ev(0, KindReboot, "i-1", 0)}, nil, "give --region"},
		{"nothing to replay", []Event{ev(0, KindStart, "i-1", 0)}, nil, "nothing to replay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := DefaultOptions()
			if tt.opts != nil {
				tt.opts(&opts)
			}
			_, err := Build(incident(tt.events...), opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
	if _, err := Build(incident(ev(0, KindStart, "i-1", 0)), DefaultOptions()); !errors.Is(err, ErrNothingToReplay) {
		t.Errorf("got %v, want ErrNothingToReplay", err)
	}
}

func TestReplayDefaultName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"testdata/replay/cloudtrail-s3.json":                                 "replay-cloudtrail-s3",
		"AWSLogs/123456789012_CloudTrail_us-east-1_20240312T1405Z_X.json.gz": "replay-123456789012-cloudtrail-us-east-1-20240312t1405z-x",
		"___.csv":               "replay",
		strings.Repeat("a", 80): "replay-" + strings.Repeat("a", 56),
	} {
		if got := DefaultName(in); got != want {
			t.Errorf("DefaultName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSamples reads every sample under testdata/replay: each parses with
// the expected records and builds a valid scenario.
func TestReplaySamples(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "testdata", "replay")
	data, err := os.ReadFile(filepath.Join(dir, "instances.json"))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := ParseInventory("instances.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv) != 45 {
		t.Errorf("instances.json: %d instances, want 45", len(inv))
	}
	tests := []struct {
		file                   string
		format                 Format
		records, used, skipped int
		phases                 int
	}{
		{"cloudtrail-s3.json", FormatCloudTrail, 40, 15, 25, 8},
		{"lookup-events.json", FormatLookupEvents, 7, 5, 2, 4},
		{"eventbridge.jsonl", FormatEventBridge, 25, 12, 13, 3},
		{"timeline.csv", FormatCSV, 10, 10, 0, 5},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			inc, err := Parse(tt.file, data, FormatAuto)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(inc.Formats, []Format{tt.format}) || inc.Records != tt.records || inc.Used != tt.used || inc.SkippedTotal() != tt.skipped {
				t.Errorf("formats %v records %d used %d skipped %d; want [%s] %d %d %d",
					inc.Formats, inc.Records, inc.Used, inc.SkippedTotal(), tt.format, tt.records, tt.used, tt.skipped)
			}
			opts := DefaultOptions()
			opts.Inventory = inv
			res, err := Build(inc, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := mustValidate(t, res); len(got) != tt.phases {
				t.Errorf("%d phases, want %d:\n%s", len(got), tt.phases, strings.Join(got, "\n"))
			}
		})
	}
}

// TestBuildKeepsHostileStringsInsideQuotes feeds tags, tag groups and a
// file name with quotes and newlines: the scenario still validates and
// says the same thing.
func TestReplayBuildKeepsHostileStringsInsideQuotes(t *testing.T) {
	t.Parallel()
	opts := DefaultOptions()
	opts.Source = "incident\nname: evil.json"
	opts.Tags = map[string]string{"app": "web\"\n  evil: {", "x: y": "#"}
	opts.GroupBy = "team"
	opts.Inventory = Inventory{"i-1": {AZ: "us-east-1a", Tags: map[string]string{"team": "a\nb: \"c"}}}
	res, err := Build(incident(ev(0, KindReboot, "i-1", 0)), opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := scenario.Parse("replay.yaml", res.YAML)
	if err != nil {
		t.Fatalf("%v\n%s", err, res.YAML)
	}
	tags := s.Steps()[0].Target.Tags
	if s.Name != "replay-incident-name-evil" || tags["app"] != "web\"\n  evil: {" || tags["x: y"] != "#" || tags["team"] != "a\nb: \"c" {
		t.Errorf("name %q, tags %q\n%s", s.Name, tags, res.YAML)
	}
}

// FuzzReplayParse holds the contract of replay: any input either fails to parse
// or build with an error, or builds a scenario that validates.
func FuzzReplayParse(f *testing.F) {
	for _, name := range []string{"cloudtrail-s3.json", "lookup-events.json", "eventbridge.jsonl", "timeline.csv"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "replay", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("time,target,event,count\n+0s,us-east-1a,stop,2\n+1m,*,reboot,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		inc, err := Parse("fuzz", data, FormatAuto)
		if err != nil {
			return
		}
		opts := DefaultOptions()
		opts.Region = "us-east-1"
		opts.TargetAZs = []string{"us-east-1a", "us-east-1b"}
		res, err := Build(inc, opts)
		if err != nil {
			return
		}
		if _, err := scenario.Parse("fuzz.yaml", res.YAML); err != nil {
			t.Fatalf("built an invalid scenario: %v\n%s", err, res.YAML)
		}
	})
}
