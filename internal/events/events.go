// Package events turns the scheduled events AWS announces for EC2 instances
// (DescribeInstanceStatus eventsSet) into a listing grouped by availability
// zone and window, and into a scenario that reboots or stop-starts the
// affected instances ahead of their windows, AZ by AZ. It does no I/O: the
// CLI reads the events and the fleet, this package decides.
package events

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gameday/internal/fleet"
	"gameday/internal/scenario"
)

// Event codes, as DescribeInstanceStatus names them.
const (
	CodeSystemReboot       = "system-reboot"
	CodeInstanceReboot     = "instance-reboot"
	CodeSystemMaintenance  = "system-maintenance"
	CodeInstanceRetirement = "instance-retirement"
	CodeInstanceStop       = "instance-stop"
)

// Codes lists every code, in the order AWS documents them.
var Codes = []string{CodeSystemReboot, CodeInstanceReboot, CodeSystemMaintenance, CodeInstanceRetirement, CodeInstanceStop}

// What to do about system-maintenance events (Options.Maintenance).
const (
	// MaintenanceWait leaves them to AWS: a reboot does not avoid them.
	MaintenanceWait = "wait"
	// MaintenanceStopStart moves the instance to another host first, the
	// alternative AWS documents for EBS-backed instances.
	MaintenanceStopStart = "stop-start"
)

// Status is where an event stands.
type Status string

const (
	// StatusScheduled: the window has not opened yet.
	StatusScheduled Status = "scheduled"
	// StatusInProgress: not_before has passed and the event is not marked
	// completed: AWS may act at any moment.
	StatusInProgress Status = "in-progress"
	// StatusCompleted and StatusCanceled: EC2 lists such events for a while
	// with "[Completed]" or "[Canceled]" before the description.
	StatusCompleted Status = "completed"
	StatusCanceled  Status = "canceled"
)

// Pending reports whether the event may still happen.
func (s Status) Pending() bool { return s == StatusScheduled || s == StatusInProgress }

// Scheduled is one event of one instance as EC2 reports it.
type Scheduled struct {
	InstanceID  string
	AZ          string
	State       string
	EventID     string
	Code        string
	Description string
	// NotBefore, NotAfter and NotBeforeDeadline are zero when absent.
	NotBefore, NotAfter, NotBeforeDeadline time.Time
}

// Event is a scheduled event of an instance of the target fleet, with what
// a scenario would do about it.
type Event struct {
	Scheduled
	// Name is the instance's Name tag.
	Name string
	// OptedIn: the instance carries every tag of Options.RequireTag.
	OptedIn bool
	Status  Status
	// Action is scenario.ActionReboot or scenario.ActionStopStart for an
	// event a scenario acts on, "" otherwise, with Note saying why.
	Action string
	Note   string
}

// Options say how to read the events.
type Options struct {
	Region string
	// Tags are the tag filters that selected the fleet, for messages and
	// the generated scenario's targets.
	Tags map[string]string
	// Now is the time the events were read.
	Now time.Time
	// RequireTag is the opt-in guardrail (default scenario.DefaultRequireTag):
	// instances without it are listed but left out of scenarios.
	RequireTag map[string]string
	// Maintenance is MaintenanceWait (default) or MaintenanceStopStart.
	Maintenance string
}

func (o Options) withDefaults() Options {
	if len(o.RequireTag) == 0 {
		o.RequireTag = scenario.DefaultRequireTag
	}
	if o.Maintenance == "" {
		o.Maintenance = MaintenanceWait
	}
	o.Now = o.Now.UTC()
	return o
}

// Listing is the scheduled events of a fleet.
type Listing struct {
	Options
	// Instances is how many instances the fleet has.
	Instances int
	// Events are sorted by AZ, window (not-before, then not-after), code,
	// instance and event id.
	Events []Event
}

// Build joins the events read from EC2 with the fleet's instances. Events of
// instances outside the fleet (another tag, terminated) are dropped.
func Build(instances []fleet.Instance, scheduled []Scheduled, opts Options) Listing {
	opts = opts.withDefaults()
	byID := make(map[string]fleet.Instance, len(instances))
	for _, in := range instances {
		byID[in.ID] = in
	}
	l := Listing{Options: opts, Instances: len(instances)}
	for _, s := range scheduled {
		in, ok := byID[s.InstanceID]
		if !ok {
			continue
		}
		if s.AZ == "" {
			s.AZ = in.AZ
		}
		if s.State == "" {
			s.State = in.State
		}
		e := Event{Scheduled: s, Name: in.Tags["Name"], OptedIn: carries(in, opts.RequireTag)}
		e.Status = statusOf(s, opts.Now)
		e.Action, e.Note = decide(e, opts)
		l.Events = append(l.Events, e)
	}
	slices.SortFunc(l.Events, func(a, b Event) int {
		return cmp.Or(cmp.Compare(a.AZ, b.AZ), a.NotBefore.Compare(b.NotBefore), a.NotAfter.Compare(b.NotAfter),
			cmp.Compare(a.Code, b.Code), cmp.Compare(a.InstanceID, b.InstanceID), cmp.Compare(a.EventID, b.EventID))
	})
	return l
}

func carries(in fleet.Instance, tags map[string]string) bool {
	for k, v := range tags {
		if !in.HasTag(k, v) {
			return false
		}
	}
	return true
}

// statusOf reads the markers EC2 puts before the description of a finished
// event; otherwise an event whose not-before has passed is in progress.
func statusOf(s Scheduled, now time.Time) Status {
	desc := strings.ToLower(strings.TrimSpace(s.Description))
	switch {
	case strings.HasPrefix(desc, "[completed]"):
		return StatusCompleted
	case strings.HasPrefix(desc, "[canceled]"), strings.HasPrefix(desc, "[cancelled]"):
		return StatusCanceled
	case !s.NotBefore.IsZero() && !now.Before(s.NotBefore):
		return StatusInProgress
	}
	return StatusScheduled
}

// ActionFor is what the owner does ahead of an event of code: a reboot
// for the reboot codes, a stop and start (new hardware) for retirement and
// stop, and, for system-maintenance, a stop and start only when asked.
func ActionFor(code, maintenance string) string {
	switch code {
	case CodeSystemReboot, CodeInstanceReboot:
		return scenario.ActionReboot
	case CodeInstanceRetirement, CodeInstanceStop:
		return scenario.ActionStopStart
	case CodeSystemMaintenance:
		if maintenance == MaintenanceStopStart {
			return scenario.ActionStopStart
		}
	}
	return ""
}

// decide says what a scenario does about e, or why nothing.
func decide(e Event, opts Options) (action, note string) {
	switch {
	case e.Status == StatusCompleted:
		return "", "completed"
	case e.Status == StatusCanceled:
		return "", "canceled"
	case !slices.Contains(Codes, e.Code):
		return "", fmt.Sprintf("unknown event code %q", e.Code)
	case !e.OptedIn:
		return "", "not opted in (" + tagList(opts.RequireTag) + " missing)"
	case e.State != fleet.StateRunning:
		return "", fmt.Sprintf("instance is %s, not running", e.State)
	}
	action = ActionFor(e.Code, opts.Maintenance)
	if action == "" {
		return "", "a reboot does not avoid system maintenance (--maintenance stop-start moves the instance to another host first)"
	}
	if e.Status == StatusInProgress {
		note = "window open since " + e.NotBefore.Format(time.RFC3339) + ": AWS may act at any moment"
	}
	return action, note
}

// Outcome says in a few words what a scenario does about e.
func (e Event) Outcome() string {
	switch {
	case e.Status == StatusCompleted:
		return "[Completed] ignored"
	case e.Status == StatusCanceled:
		return "[Canceled] ignored"
	case e.Action != "" && e.Note != "":
		return e.Action + "; " + e.Note
	case e.Action != "":
		return e.Action
	}
	return "left alone: " + e.Note
}

// plural is "1 instance", "3 instances".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// tagList is "app=web, gameday=opt-in", keys sorted.
func tagList(tags map[string]string) string {
	parts := make([]string, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		parts = append(parts, k+"="+tags[k])
	}
	return strings.Join(parts, ", ")
}

// Window is a not-before..not-after range; NotAfter may be zero.
type Window struct {
	NotBefore, NotAfter time.Time
}

func (w Window) compare(o Window) int {
	return cmp.Or(w.NotBefore.Compare(o.NotBefore), w.NotAfter.Compare(o.NotAfter))
}

// String is "2026-12-01T02:00:00Z .. 2026-12-01T04:00:00Z".
func (w Window) String() string {
	return formatTime(w.NotBefore, "(no start)") + " .. " + formatTime(w.NotAfter, "(no end)")
}

func formatTime(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.UTC().Format(time.RFC3339)
}

// Zone is one AZ's events, window by window.
type Zone struct {
	AZ      string
	Windows []ZoneWindow
}

// ZoneWindow is the events of one AZ that share a window.
type ZoneWindow struct {
	Window
	Events []Event
}

// Zones groups the events by AZ (by name), then by window (earliest first).
func (l Listing) Zones() []Zone {
	var out []Zone
	for _, e := range l.Events {
		if len(out) == 0 || out[len(out)-1].AZ != e.AZ {
			out = append(out, Zone{AZ: e.AZ})
		}
		z := &out[len(out)-1]
		w := Window{e.NotBefore, e.NotAfter}
		if n := len(z.Windows); n == 0 || z.Windows[n-1].Window.compare(w) != 0 {
			z.Windows = append(z.Windows, ZoneWindow{Window: w})
		}
		zw := &z.Windows[len(z.Windows)-1]
		zw.Events = append(zw.Events, e)
	}
	return out
}

// Actionable lists the events a scenario acts on, in listing order.
func (l Listing) Actionable() []Event {
	var out []Event
	for _, e := range l.Events {
		if e.Action != "" {
			out = append(out, e)
		}
	}
	return out
}
