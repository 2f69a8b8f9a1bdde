package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
)

// scheduledEvent is one event of the fleet spec and the instances it
// picked. Its times are resolved when the simulator starts.
type scheduledEvent struct {
	spec      EventSpec
	instances []*instance // sorted by id
	// notBefore, notAfter and deadline are zero before Start, and the last
	// two when the spec leaves them out.
	notBefore, notAfter, deadline time.Time
	timer                         *time.Timer
}

// instanceEvent is one instance's share of a scheduled event.
type instanceEvent struct {
	id        string // instance-event-0123456789abcdef0
	event     *scheduledEvent
	completed bool
}

// EventView is a scheduled event as DescribeInstanceStatus shows it. A
// completed event stays listed, its description starting "[Completed]", as
// EC2 lists completed events for up to a week.
type EventView struct {
	ID          string
	Code        string
	Description string
	// NotBefore, NotAfter and NotBeforeDeadline are zero when the event has
	// none (or the simulator has not started).
	NotBefore, NotAfter, NotBeforeDeadline time.Time
	Completed                              bool
}

// buildEvents picks, for each event, a seeded choice of the instances it
// selects, and gives each its event id. The choice depends only on the
// seed, the event's position and the fleet.
func (s *Sim) buildEvents() {
	for i, spec := range s.spec.Events {
		rng := rand.New(rand.NewPCG(s.opts.Seed, 0x6576656e74<<16|uint64(i)))
		sel := newEventSelector(spec)
		var matched []*instance
		for _, in := range s.instances {
			if sel.matches(in.az, in.tags.get) {
				matched = append(matched, in)
			}
		}
		rng.Shuffle(len(matched), func(a, b int) { matched[a], matched[b] = matched[b], matched[a] })
		chosen := matched[:eventSize(spec, len(matched))]
		sortInstances(chosen)
		ev := &scheduledEvent{spec: spec, instances: chosen}
		for _, in := range chosen {
			in.events = append(in.events, &instanceEvent{id: "instance-event-" + hexID(rng), event: ev})
		}
		s.events = append(s.events, ev)
	}
}

// eventSize is how many of matched instances an event takes: its count,
// its percentage rounded up, or all of them.
func eventSize(spec EventSpec, matched int) int {
	switch {
	case spec.Count > 0:
		return min(spec.Count, matched)
	case spec.Percent != nil:
		return min(int(math.Ceil(float64(matched)*spec.Percent.Value/100-1e-9)), matched)
	}
	return matched
}

// startEventsLocked resolves the events' times against the start and sets
// a timer for each: at not_before the simulator performs the event on every
// instance whose owner has not acted first. An event already due runs at
// once.
func (s *Sim) startEventsLocked() {
	for _, ev := range s.events {
		ev.notBefore = ev.spec.NotBefore.resolve(s.startedAt)
		if t := ev.spec.NotAfter; t != nil {
			ev.notAfter = t.resolve(s.startedAt)
		}
		if t := ev.spec.NotBeforeDeadline; t != nil {
			ev.deadline = t.resolve(s.startedAt)
		}
		ev.timer = time.AfterFunc(max(time.Until(ev.notBefore), 0), func() { s.performEvent(ev) })
		s.log.Debug("event scheduled", zap.String("code", ev.spec.Code), zap.Int("instances", len(ev.instances)),
			zap.Time("not_before", ev.notBefore))
	}
}

func (s *Sim) performEvent(ev *scheduledEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	for _, in := range ev.instances {
		for _, ie := range in.events {
			if ie.event == ev && !ie.completed {
				s.performLocked(in, ie)
			}
		}
	}
}

// performLocked does what AWS does when an event's time comes: reboot
// codes reboot a running instance, stop and retirement codes stop it (and
// it stays stopped: the owner starts it on new hardware). An instance that
// is not running, or a system-maintenance event, needs nothing done. The
// event is then completed.
func (s *Sim) performLocked(in *instance, ie *instanceEvent) {
	code, action := ie.event.spec.Code, "none"
	switch {
	case in.state != fleet.StateRunning || code == EventSystemMaintenance:
	case isRebootCode(code):
		action = "reboot"
		s.rebootLocked(in, "event "+ie.id)
	case isStopCode(code):
		action = "stop"
		s.stopLocked(in, false, stopCause{scheduled: true, at: time.Now()})
	}
	ie.completed = true
	s.log.Debug("event performed", zap.String("instance", in.id), zap.String("event", ie.id),
		zap.String("code", code), zap.String("action", action), zap.String("state", in.state))
}

// clearEventsLocked removes in's pending events whose code match accepts:
// the owner did what the event announced, ahead of it.
func (s *Sim) clearEventsLocked(in *instance, match func(code string) bool, why string) {
	kept := in.events[:0]
	for _, ie := range in.events {
		if !ie.completed && match(ie.event.spec.Code) {
			s.log.Debug("event cleared", zap.String("instance", in.id), zap.String("event", ie.id),
				zap.String("code", ie.event.spec.Code), zap.String("why", why))
			continue
		}
		kept = append(kept, ie)
	}
	if len(kept) == 0 {
		kept = nil
	}
	in.events = kept
}

func (s *Sim) eventViewsLocked(in *instance) []EventView {
	if len(in.events) == 0 {
		return nil
	}
	views := make([]EventView, len(in.events))
	for i, ie := range in.events {
		ev := ie.event
		views[i] = EventView{
			ID: ie.id, Code: ev.spec.Code, Description: ev.spec.Description,
			NotBefore: ev.notBefore, NotAfter: ev.notAfter, NotBeforeDeadline: ev.deadline,
			Completed: ie.completed,
		}
		if ie.completed {
			views[i].Description = "[Completed] " + views[i].Description
		}
	}
	return views
}

// ScheduledEvent summarizes one event of the fleet spec.
type ScheduledEvent struct {
	Code, Description                      string
	NotBefore, NotAfter, NotBeforeDeadline time.Time // zero before Start, or when absent
	// Pending lists the instances still waiting for the event, Completed
	// those it was performed on; instances whose owner acted first are in
	// neither.
	Pending, Completed []string
}

// ScheduledEvents lists the fleet's events in spec order.
func (s *Sim) ScheduledEvents() []ScheduledEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ScheduledEvent, len(s.events))
	for i, ev := range s.events {
		out[i] = ScheduledEvent{Code: ev.spec.Code, Description: ev.spec.Description,
			NotBefore: ev.notBefore, NotAfter: ev.notAfter, NotBeforeDeadline: ev.deadline}
		for _, in := range ev.instances {
			for _, ie := range in.events {
				switch {
				case ie.event != ev:
				case ie.completed:
					out[i].Completed = append(out[i].Completed, in.id)
				default:
					out[i].Pending = append(out[i].Pending, in.id)
				}
			}
		}
	}
	return out
}
