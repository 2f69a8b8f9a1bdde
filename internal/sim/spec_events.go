package sim

import (
	"fmt"
	"maps"
	"slices"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"gameday/internal/scenario"
	"gameday/internal/strictyaml"
)

// Scheduled event codes, as DescribeInstanceStatus names them.
const (
	EventSystemReboot       = "system-reboot"
	EventInstanceReboot     = "instance-reboot"
	EventSystemMaintenance  = "system-maintenance"
	EventInstanceRetirement = "instance-retirement"
	EventInstanceStop       = "instance-stop"
)

// eventCodes lists the codes in the order messages name them.
func eventCodes() []string {
	return []string{EventSystemReboot, EventInstanceReboot, EventSystemMaintenance, EventInstanceRetirement, EventInstanceStop}
}

// defaultEventDescription is the simulator's own wording; AWS's varies per
// event and is not recorded in ec2-api.md.
func defaultEventDescription(code string) string {
	switch code {
	case EventSystemReboot:
		return "Scheduled system reboot"
	case EventInstanceReboot:
		return "Scheduled instance reboot"
	case EventSystemMaintenance:
		return "Scheduled system maintenance"
	case EventInstanceRetirement:
		return "Scheduled instance retirement: the instance is running on degraded hardware"
	case EventInstanceStop:
		return "Scheduled instance stop"
	}
	return ""
}

// isRebootCode reports whether an event of this code reboots the instance
// (and an owner's reboot ahead of it clears it).
func isRebootCode(code string) bool {
	return code == EventSystemReboot || code == EventInstanceReboot
}

// isStopCode reports whether an event of this code stops the instance (and
// an owner's stop and start ahead of it clears it).
func isStopCode(code string) bool {
	return code == EventInstanceStop || code == EventInstanceRetirement
}

// EventSpec schedules one maintenance event for a seeded choice of the
// instances it selects. Without Count or Percent it takes every instance
// that matches Tags and AvailabilityZones.
type EventSpec struct {
	Code        string `yaml:"code"`
	Description string `yaml:"description"`
	// Tags select instances by tag; values may use the EC2 wildcards * and ?.
	Tags              map[string]string `yaml:"tags"`
	AvailabilityZones []string          `yaml:"availability_zones"`
	// Count or Percent (not both) caps how many of the matching instances
	// get the event; a percentage rounds up.
	Count   int               `yaml:"count"`
	Percent *scenario.Percent `yaml:"percent"`
	// NotBefore is when the event is due: the simulator performs it then
	// unless the owner acted first.
	NotBefore         EventTime  `yaml:"not_before"`
	NotAfter          *EventTime `yaml:"not_after"`
	NotBeforeDeadline *EventTime `yaml:"not_before_deadline"`
}

func (e EventSpec) withDefaults() EventSpec {
	if e.Description == "" {
		e.Description = defaultEventDescription(e.Code)
	}
	e.Tags = maps.Clone(e.Tags)
	e.AvailabilityZones = slices.Clone(e.AvailabilityZones)
	return e
}

// EventTime is an instant written either as an offset from the
// simulator's start ("10m", "2h30m") or as an RFC 3339 time.
type EventTime struct {
	// After is the offset from Sim.Start; used when At is zero.
	After time.Duration
	// At is a fixed instant.
	At time.Time
}

// In returns an EventTime d after the simulator starts.
func In(d time.Duration) EventTime { return EventTime{After: d} }

// resolve turns the time into an instant for a simulator started at start.
func (t EventTime) resolve(start time.Time) time.Time {
	if !t.At.IsZero() {
		return t.At.UTC()
	}
	return start.Add(t.After).UTC()
}

// String prints the time as written: "10m0s" or an RFC 3339 instant.
func (t EventTime) String() string {
	if !t.At.IsZero() {
		return t.At.Format(time.RFC3339)
	}
	return t.After.String()
}

// DecodeYAMLNode reads "10m" (an offset from the simulator's start) or an
// RFC 3339 instant such as 2026-12-01T02:00:00Z.
func (t *EventTime) DecodeYAMLNode(n *yaml.Node) error {
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || tag != "!!str" && tag != "!!timestamp" {
		return eventTimeError(n)
	}
	if d, err := time.ParseDuration(n.Value); err == nil {
		*t = EventTime{After: d}
		return nil
	}
	at, err := time.Parse(time.RFC3339, n.Value)
	if err != nil {
		return eventTimeError(n)
	}
	*t = EventTime{At: at}
	return nil
}

func eventTimeError(n *yaml.Node) error {
	return &strictyaml.Error{
		Msg:  fmt.Sprintf(`expected an offset from the simulator's start like "10m" or an RFC 3339 time like "2026-12-01T02:00:00Z", got %s`, strictyaml.Describe(n)),
		Hint: `offsets use the units "s", "m" and "h"; an RFC 3339 time needs a zone such as Z`,
	}
}
