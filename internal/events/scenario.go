package events

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"gameday/internal/scenario"
)

// DefaultHealthURL is the health check a generated scenario uses unless
// told otherwise; its comment asks the reader to edit it.
const DefaultHealthURL = "http://{{.PrivateIP}}:8080/healthz"

// DefaultLead is how long before the first window a run must have started
// its last wave.
const DefaultLead = time.Hour

// MaxPhaseInstances caps the instance ids of one phase's target: gameday
// lists a target's ids in one DescribeInstances filter, and EC2 takes at
// most 200 values per filter.
const MaxPhaseInstances = 200

// recoverAllWithin is the generated objective: a stop-start takes minutes
// on EC2 (docs/fleets.md), a reboot less.
const recoverAllWithin = 15 * time.Minute

// ErrNothingToDo is returned by Scenario when no pending event can be
// acted on.
var ErrNothingToDo = errors.New("no pending scheduled event to act on")

// Affected is one instance a scenario acts on, with the events that made
// it.
type Affected struct {
	InstanceID, Name, AZ string
	Events               []Event
}

// Group is one phase of a generated scenario: the instances sharing an
// action and the window of their earliest event.
type Group struct {
	// Name is the phase name: window-N-ACTION, with -part-M when the
	// instances do not fit one target.
	Name   string
	Action string
	Window Window
	// Open: the window has already opened.
	Open bool
	// Instances are sorted by AZ, then id.
	Instances []Affected
}

// AZs lists the group's zones, by name.
func (g Group) AZs() []string {
	var out []string
	for _, in := range g.Instances {
		if !slices.Contains(out, in.AZ) {
			out = append(out, in.AZ)
		}
	}
	return out
}

// Groups decides the phases of a scenario. An instance with several
// pending events is acted on once: a stop and start if any of its events
// asks for one (it clears reboot events too), else a reboot; it goes with
// the window of its earliest event. Groups come earliest window first, so
// instances whose window is already open come first of all.
func (l Listing) Groups() []Group {
	perInstance := map[string]*Affected{}
	var order []string
	for _, e := range l.Actionable() {
		a, ok := perInstance[e.InstanceID]
		if !ok {
			a = &Affected{InstanceID: e.InstanceID, Name: e.Name, AZ: e.AZ}
			perInstance[e.InstanceID] = a
			order = append(order, e.InstanceID)
		}
		a.Events = append(a.Events, e)
	}
	type key struct {
		window Window
		action string
	}
	byKey := map[key][]Affected{}
	var keys []key
	for _, id := range order {
		a := perInstance[id]
		k := key{action: scenario.ActionReboot}
		for i, e := range a.Events {
			if w := (Window{e.NotBefore, e.NotAfter}); i == 0 || w.compare(k.window) < 0 {
				k.window = w
			}
			if e.Action == scenario.ActionStopStart {
				k.action = scenario.ActionStopStart
			}
		}
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], *a)
	}
	slices.SortFunc(keys, func(a, b key) int { return cmp.Or(a.window.compare(b.window), cmp.Compare(a.action, b.action)) })
	var out []Group
	windowIndex := 0
	for i, k := range keys {
		if i == 0 || keys[i-1].window != k.window {
			windowIndex++
		}
		list := byKey[k]
		slices.SortFunc(list, func(a, b Affected) int {
			return cmp.Or(cmp.Compare(a.AZ, b.AZ), cmp.Compare(a.InstanceID, b.InstanceID))
		})
		parts := chunks(list, MaxPhaseInstances)
		for j, part := range parts {
			name := fmt.Sprintf("window-%d-%s", windowIndex, k.action)
			if len(parts) > 1 {
				name += fmt.Sprintf("-part-%d", j+1)
			}
			open := !k.window.NotBefore.IsZero() && !l.Now.Before(k.window.NotBefore)
			out = append(out, Group{Name: name, Action: k.action, Window: k.window, Open: open, Instances: part})
		}
	}
	return out
}

func chunks[T any](list []T, size int) [][]T {
	var out [][]T
	for start := 0; start < len(list); start += size {
		out = append(out, list[start:min(start+size, len(list))])
	}
	return out
}

// ScenarioOptions shape a generated scenario.
type ScenarioOptions struct {
	// HealthURL is verify.instance.url (default DefaultHealthURL).
	HealthURL string
	// Lead: no wave starts later than this before the first window that
	// has not opened yet.
	Lead time.Duration
	// Source names the file in validation messages.
	Source string
	// Version is gameday's, for the header.
	Version string
}

// Generated is a scenario written from a listing.
type Generated struct {
	Name   string
	YAML   []byte
	Groups []Group
	// Scenario is YAML parsed and validated.
	Scenario *scenario.Scenario
	// NotAfter is schedule.not_after; zero when the scenario has no
	// deadline.
	NotAfter time.Time
	// Warnings are what the operator should know before running it.
	Warnings []string
}

// Scenario writes a scenario that acts on every instance with a pending,
// actionable event before its window: one phase per window and action,
// each AZ by AZ with a health gate between AZs. The result is parsed and
// validated before it is returned; ErrNothingToDo when there is nothing to
// act on.
func (l Listing) Scenario(opts ScenarioOptions) (*Generated, error) {
	if opts.HealthURL == "" {
		opts.HealthURL = DefaultHealthURL
	}
	if opts.Source == "" {
		opts.Source = "generated scenario"
	}
	groups := l.Groups()
	if len(groups) == 0 {
		return nil, ErrNothingToDo
	}
	g := &Generated{Name: "scheduled-events-" + l.Now.Format("20060102"), Groups: groups}
	g.Warnings = l.warnings(groups)
	startAt := l.Now.Truncate(time.Second)
	next, ok := l.nextWindow()
	if ok {
		if deadline := next.Add(-opts.Lead).Truncate(time.Second); deadline.After(startAt) {
			g.NotAfter = deadline
		} else {
			g.Warnings = append(g.Warnings, fmt.Sprintf("the first window opens at %s, within --lead %s: the scenario has no deadline; run it now",
				next.Format(time.RFC3339), opts.Lead))
		}
	}
	w := &writer{}
	l.writeHeader(w, g, opts)
	l.writeSchedule(w, g, opts, startAt, next, ok)
	w.line("phases:")
	for _, gr := range groups {
		l.writePhase(w, gr)
	}
	l.writeTail(w, opts)
	g.YAML = w.buf.Bytes()
	scn, err := scenario.Parse(opts.Source, g.YAML)
	if err != nil {
		return nil, fmt.Errorf("events: the generated scenario is invalid: %w", err)
	}
	g.Scenario = scn
	return g, nil
}

// nextWindow is the earliest not-before of an actionable event whose
// window has not opened yet.
func (l Listing) nextWindow() (time.Time, bool) {
	var next time.Time
	for _, e := range l.Actionable() {
		if e.Status == StatusScheduled && (next.IsZero() || e.NotBefore.Before(next)) {
			next = e.NotBefore
		}
	}
	return next, !next.IsZero()
}

func (l Listing) warnings(groups []Group) []string {
	var out []string
	for _, gr := range groups {
		if gr.Open {
			out = append(out, fmt.Sprintf("%d instances (%s) are in a window that opened at %s: AWS may act on them at any moment; the scenario acts on them first",
				len(gr.Instances), affectedIDs(gr.Instances), gr.Window.NotBefore.Format(time.RFC3339)))
		}
	}
	notOptedIn := map[string]bool{}
	for _, e := range l.Events {
		if e.Status.Pending() && !e.OptedIn {
			notOptedIn[e.InstanceID] = true
		}
	}
	if len(notOptedIn) > 0 {
		out = append(out, fmt.Sprintf("%d instances with pending events are not opted in (%s): the scenario leaves them to AWS (%s)",
			len(notOptedIn), tagList(l.RequireTag), strings.Join(slices.Sorted(maps.Keys(notOptedIn)), ", ")))
	}
	return out
}

func affectedIDs(list []Affected) string {
	ids := make([]string, len(list))
	for i, a := range list {
		ids[i] = a.InstanceID
	}
	return strings.Join(ids, ", ")
}

// writer builds the YAML text line by line.
type writer struct{ buf bytes.Buffer }

func (w *writer) line(format string, args ...any) {
	fmt.Fprintf(&w.buf, format, args...)
	w.buf.WriteByte('\n')
}

// comment writes text as comment lines with indent.
func (w *writer) comment(indent, text string) {
	for _, ln := range strings.Split(text, "\n") {
		w.line("%s#%s", indent, strings.TrimRight(" "+ln, " "))
	}
}

func (l Listing) writeHeader(w *writer, g *Generated, opts ScenarioOptions) {
	where := "in " + l.Region
	if len(l.Tags) > 0 {
		where += " with tags " + tagList(l.Tags)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Written by `gameday events --to-scenario` (gameday %s) at %s\n", cmp.Or(opts.Version, "dev"), l.Now.Format(time.RFC3339))
	fmt.Fprintf(&b, "from the scheduled events of the %d instances %s.\n\n", l.Instances, where)
	b.WriteString("AWS announced events that will reboot or stop these instances in their windows. This\n" +
		"scenario does it first, on your schedule: window by window (a phase each), AZ by AZ\n" +
		"within a phase, each AZ waiting until its instances answer their health check again\n" +
		"before the next AZ begins.\n\n")
	b.WriteString("  code                 action      why\n" +
		"  system-reboot        reboot      a reboot ahead of the window clears the event (for\n" +
		"  instance-reboot      reboot      system-reboot, only if EC2 can migrate the instance to\n" +
		"                                   other hardware on reboot: rerun `gameday events` after)\n" +
		"  instance-retirement  stop-start  the hardware is failing: a stop and start moves the\n" +
		"  instance-stop        stop-start  instance to new hardware, which is what AWS advises; a\n" +
		"                                   reboot would leave it on the same host\n")
	if slices.ContainsFunc(l.Actionable(), func(e Event) bool { return e.Code == CodeSystemMaintenance }) {
		b.WriteString("  system-maintenance   stop-start  asked for with --maintenance stop-start: moves the\n" +
			"                                   instance to another host before the maintenance\n")
	} else {
		b.WriteString("  system-maintenance   none        a reboot does not avoid it; AWS acts in the window\n")
	}
	b.WriteString("\nEvents (AZ, instance, Name, code, window: what this scenario does):\n")
	rows := make([][]string, len(l.Events))
	for i, e := range l.Events {
		rows[i] = []string{e.AZ, e.InstanceID, cleanName(e.Name), e.Code, Window{e.NotBefore, e.NotAfter}.String() + ":", e.Outcome()}
	}
	writeRows(&b, "  ", rows)
	b.WriteString("\nCheck it with `gameday plan FILE`, run it with `gameday run FILE`; afterwards\n" +
		"`gameday events` should list none of these events as pending.")
	w.comment("", b.String())
	w.line("apiVersion: %s", scenario.APIVersion)
	w.line("name: %s", g.Name)
	w.line("description: %s", yamlString(l.description(g)))
}

// writeRows writes rows as aligned columns (the last one unpadded).
func writeRows(b *strings.Builder, indent string, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, cell := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len([]rune(cell)))
		}
	}
	for _, r := range rows {
		b.WriteString(indent)
		for i, cell := range r {
			b.WriteString(cell)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-len([]rune(cell))+2))
			}
		}
		b.WriteByte('\n')
	}
}

func (l Listing) description(g *Generated) string {
	counts := map[string]int{}
	for _, gr := range g.Groups {
		counts[gr.Action] += len(gr.Instances)
	}
	var parts []string
	if n := counts[scenario.ActionReboot]; n > 0 {
		parts = append(parts, fmt.Sprintf("reboot %d", n))
	}
	if n := counts[scenario.ActionStopStart]; n > 0 {
		parts = append(parts, fmt.Sprintf("stop-start %d", n))
	}
	return fmt.Sprintf("Ahead of AWS scheduled events: %s instances in %s, AZ by AZ, before their windows (first %s).",
		strings.Join(parts, " and "), l.Region, g.Groups[0].Window.NotBefore.Format(time.RFC3339))
}

func (l Listing) writeSchedule(w *writer, g *Generated, opts ScenarioOptions, startAt, next time.Time, hasNext bool) {
	w.line("")
	switch {
	case !g.NotAfter.IsZero():
		w.comment("", fmt.Sprintf("Act at once (start_at is when this file was written; a start_at already past starts\n"+
			"at once) and never race AWS: no wave starts after not_after, the first window's\n"+
			"not-before (%s) minus --lead %s.\n"+
			"A run still going then aborts and starts again whatever it stopped; AWS does the\n"+
			"rest in its windows.",
			next.Format(time.RFC3339), opts.Lead))
		w.line("schedule:")
		w.line("  mode: %s", scenario.ScheduleScheduled)
		w.line("  start_at: %s", startAt.Format(time.RFC3339))
		w.line("  not_after: %s", g.NotAfter.Format(time.RFC3339))
	case hasNext:
		w.comment("", fmt.Sprintf("No deadline: the first window (%s) opens within --lead %s of when this\n"+
			"file was written. Run it now.", next.Format(time.RFC3339), opts.Lead))
		w.line("schedule: {mode: %s}", scenario.ScheduleImmediate)
	default:
		w.comment("", "No deadline: every window is already open. Run it now.")
		w.line("schedule: {mode: %s}", scenario.ScheduleImmediate)
	}
	w.line("")
}

func (l Listing) writePhase(w *writer, gr Group) {
	var b strings.Builder
	verb := map[string]string{scenario.ActionReboot: "reboot", scenario.ActionStopStart: "stop and start"}[gr.Action]
	fmt.Fprintf(&b, "Phase %s: %s %s in %s, AZ by AZ, ahead of the window\n%s",
		gr.Name, verb, plural(len(gr.Instances), "instance"), strings.Join(gr.AZs(), ", "), gr.Window)
	if gr.Open {
		b.WriteString(" (already open: AWS may act at any moment)")
	}
	b.WriteString(":\n")
	rows := make([][]string, len(gr.Instances))
	for i, a := range gr.Instances {
		codes := make([]string, len(a.Events))
		for j, e := range a.Events {
			codes[j] = e.Code
		}
		rows[i] = []string{a.AZ, a.InstanceID, cleanName(a.Name), strings.Join(codes, ", ")}
	}
	writeRows(&b, "  ", rows)
	if gr.Action == scenario.ActionStopStart {
		b.WriteString("A stop and start moves each instance to new hardware, as AWS advises for retirement and\n" +
			"stop events. It loses instance-store data; an instance-store-backed instance cannot be\n" +
			"stopped at all: replace it instead.\n")
	}
	w.comment("  ", strings.TrimSuffix(b.String(), "\n"))
	w.line("  - name: %s", gr.Name)
	w.line("    target:")
	w.line("      region: %s", l.Region)
	if len(l.Tags) > 0 {
		w.line("      tags:")
		for _, k := range slices.Sorted(maps.Keys(l.Tags)) {
			w.line("        %s: %s", yamlScalar(k), yamlScalar(l.Tags[k]))
		}
	}
	w.line("      instance_ids:")
	for _, a := range gr.Instances {
		w.line("        - %s", a.InstanceID)
	}
	w.line("    blast_radius: {all: true}  # every listed instance still running and opted in")
	w.line("    action: {type: %s}", gr.Action)
	w.line("    waves:")
	w.line("      order: %s            # one AZ after another, by name", scenario.OrderByAZ)
	w.line("      percent: 100%%           # a wave never spans two AZs: one wave per AZ")
	w.line("      wait_for_healthy: true  # the next AZ begins once this one's instances are healthy")
	w.line("      # max_in_flight: 5      # uncomment to act on at most 5 instances of an AZ at once")
	w.line("")
}

func (l Listing) writeTail(w *writer, opts ScenarioOptions) {
	w.line("verify:")
	w.line("  instance:")
	if opts.HealthURL == DefaultHealthURL {
		w.line("    # EDIT: a URL that answers 200 once an instance serves again (a template over")
		w.line("    # .PrivateIP, .PublicIP, .InstanceID, .AZ, .Region and .Tags).")
	}
	w.line("    url: %s", yamlString(opts.HealthURL))
	w.line("objectives:")
	w.line("  # every instance acted on answers its health check again within this long")
	w.line("  recover_all_within: %s", scenario.Duration{Duration: recoverAllWithin})
	w.line("guardrails:")
	w.line("  # only instances carrying these tags are ever touched (gameday's default opt-in)")
	w.line("  require_tag:")
	for _, k := range slices.Sorted(maps.Keys(l.RequireTag)) {
		w.line("    %s: %s", yamlScalar(k), yamlScalar(l.RequireTag[k]))
	}
}

// yamlString quotes s as a YAML double-quoted scalar (JSON's string syntax
// is a subset of it).
func yamlString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// plainScalar is a string YAML reads back as itself without quotes.
var plainScalar = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_./-]*$`)

// yamlScalar writes s bare when that reads back as the same string, else
// quoted.
func yamlScalar(s string) string {
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		return yamlString(s)
	}
	if plainScalar.MatchString(s) {
		return s
	}
	return yamlString(s)
}

// cleanName makes a Name tag safe for a comment or a column: printable,
// one line, at most 40 characters, "-" when empty.
func cleanName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 {
			return '?'
		}
		return r
	}, name)
	if r := []rune(name); len(r) > 40 {
		name = string(r[:39]) + "…"
	}
	if name == "" {
		return "-"
	}
	return name
}
