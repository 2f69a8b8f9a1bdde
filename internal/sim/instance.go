package sim

import (
	"maps"
	"slices"
	"strings"
	"time"

	"gameday/internal/fleet"
)

// Health is the phase of an instance's lifecycle as its health endpoint
// shows it.
type Health string

// Health phases.
const (
	// HealthDown: the host is unreachable (refused or hanging, per
	// boot.unreachable): rebooting, stopping or pending.
	HealthDown Health = "down"
	// HealthStarting: the application answers 503 "starting".
	HealthStarting Health = "starting"
	// HealthUp: the application answers 200 "ok".
	HealthUp Health = "up"
	// HealthBroken: the host came back broken and answers 500 until it is
	// stopped and started again.
	HealthBroken Health = "broken"
	// HealthOff: the instance is stopped; connections are refused.
	HealthOff Health = "off"
)

// stateCodes are EC2's numeric instance state codes.
var stateCodes = map[string]int{
	fleet.StatePending:      0,
	fleet.StateRunning:      16,
	fleet.StateShuttingDown: 32,
	fleet.StateTerminated:   48,
	fleet.StateStopping:     64,
	fleet.StateStopped:      80,
}

// StateCode is EC2's numeric code of a state name (16 for running).
func StateCode(state string) int { return stateCodes[state] }

// noSlot marks an instance without a public address.
const noSlot = -1

// instance is the mutable state of one simulated host, guarded by Sim.mu.
// It is kept small: an API-only fleet holds up to MaxInstances of them.
type instance struct {
	id         string
	index      int // position in spec order; fixes the private address
	group      *groupState
	az         string
	tags       tagSet
	state      string
	stop       stopCause // why it is stopping or stopped
	publicSlot int       // in the public pool; noSlot when it has none

	health      Health
	healthSince time.Time
	broken      bool // sticky until the instance stops
	initial     bool // started, and not up (or broken) since: ELB's "initial"
	cycles      int  // every reboot, stop and start: keys the draws
	reboots     int
	generation  uint64 // bumped per transition so stale timers do nothing
	timer       *time.Timer
	phaseEnds   time.Time // when the timed phase in progress ends
	host        *host     // listeners and connections; nil when API-only
	events      []*instanceEvent
}

func (in *instance) boot() BootSpec { return in.group.spec.Boot }

func sortInstances(list []*instance) {
	slices.SortFunc(list, func(a, b *instance) int { return strings.Compare(a.id, b.id) })
}

// stopCause says who stopped an instance, for EC2's reason fields.
type stopCause struct {
	scheduled bool      // a scheduled event, not the owner
	at        time.Time // zero while running
}

// MaxTags is EC2's limit of tags per resource.
const MaxTags = 50

// tagSet is an instance's tags. Until a tag changes, the instance shares
// its group's map and keeps only its own Name: a 100,000-instance fleet
// would otherwise hold 100,000 copies of the same few tags.
type tagSet struct {
	shared map[string]string // the group's tags; never written
	name   string            // the generated Name tag, while shared
	own    map[string]string // every tag, once one has changed
}

func (t *tagSet) get(key string) (string, bool) {
	if t.own != nil {
		v, ok := t.own[key]
		return v, ok
	}
	if key == "Name" {
		return t.name, true
	}
	v, ok := t.shared[key]
	return v, ok
}

func (t *tagSet) each(fn func(key, value string)) {
	if t.own != nil {
		for k, v := range t.own {
			fn(k, v)
		}
		return
	}
	fn("Name", t.name)
	for k, v := range t.shared {
		fn(k, v)
	}
}

func (t *tagSet) clone() map[string]string {
	if t.own != nil {
		return maps.Clone(t.own)
	}
	out := make(map[string]string, len(t.shared)+1)
	t.each(func(k, v string) { out[k] = v })
	return out
}

// writable gives the instance its own copy before the first change.
func (t *tagSet) writable() map[string]string {
	if t.own == nil {
		t.own = t.clone()
		t.shared, t.name = nil, ""
	}
	return t.own
}
