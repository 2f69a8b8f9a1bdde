package sim

import (
	"fmt"
	"time"

	"go.uber.org/zap"
)

// failover is the primary of a primary service and the failover under way.
//
// Decisions, modelled on a managed database's automatic failover (RDS
// Multi-AZ, Aurora): the service is down from the moment its primary stops
// being healthy; the failover runs its course even if the old primary comes
// back meanwhile; when failover_after has passed the first healthy replica
// in fleet order is promoted (the old primary only if it is the one member
// healthy). With no healthy member then, the service stays down and the
// first member to become healthy is promoted at once.
type failover struct {
	primary *instance // nil while a failover is under way
	failed  *instance // the primary whose failure started it
	since   time.Time // when it failed
	due     bool      // failover_after has passed; waiting for a healthy member
	gen     uint64    // bumped per failover, so a stale timer does nothing
	timer   *time.Timer
}

// reason says why a primary service is down during a failover.
func (f *failover) reason(after time.Duration) string {
	if f.due {
		return fmt.Sprintf("primary %s failed %s ago; no healthy replica to promote",
			label(f.failed), time.Since(f.since).Round(time.Millisecond))
	}
	return fmt.Sprintf("primary %s is unhealthy; failing over (failover_after %v, %s left)",
		label(f.failed), after, max(after-time.Since(f.since), 0).Round(time.Millisecond))
}

// primaryMemberChangedLocked starts a failover when the primary goes, and
// ends one that is due when a member comes up.
func (s *Sim) primaryMemberChangedLocked(sv *service, in *instance, up bool) {
	f := &sv.failover
	switch {
	case !up && in == f.primary:
		s.beginFailoverLocked(sv)
	case up && f.primary == nil && f.due:
		s.promoteLocked(sv, in)
	}
}

func (s *Sim) beginFailoverLocked(sv *service) {
	f := &sv.failover
	f.failed, f.primary, f.since, f.due = f.primary, nil, time.Now(), false
	f.gen++
	after := sv.spec.FailoverAfter.Duration
	s.log.Debug("service primary failed; failing over", zap.String("service", sv.spec.Name),
		zap.String("primary", f.failed.id), zap.Duration("failover_after", after))
	if after <= 0 {
		s.failoverDueLocked(sv)
		return
	}
	gen := f.gen
	f.timer = time.AfterFunc(after, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed || gen != f.gen {
			return
		}
		f.timer = nil
		s.failoverDueLocked(sv)
		s.logServiceChangesLocked("failover_after of " + sv.spec.Name + " passed")
	})
}

// failoverDueLocked promotes the first healthy replica, else the old
// primary if it is healthy again, else waits for a member to come up.
func (s *Sim) failoverDueLocked(sv *service) {
	f := &sv.failover
	f.due = true
	var fallback *instance
	for _, in := range sv.members {
		switch {
		case in.health != HealthUp:
		case in == f.failed:
			fallback = in
		default:
			s.promoteLocked(sv, in)
			return
		}
	}
	if fallback != nil {
		s.promoteLocked(sv, fallback)
		return
	}
	s.log.Debug("service failover due, but no member is healthy; waiting", zap.String("service", sv.spec.Name))
}

func (s *Sim) promoteLocked(sv *service, in *instance) {
	f := &sv.failover
	s.log.Debug("service primary promoted", zap.String("service", sv.spec.Name), zap.String("primary", in.id),
		zap.String("failed", f.failed.id), zap.Duration("after", time.Since(f.since)))
	f.primary, f.failed, f.due = in, nil, false
}

// stopServiceTimersLocked stops every failover clock (Close).
func (s *Sim) stopServiceTimersLocked() {
	for _, sv := range s.services {
		if sv.failover.timer != nil {
			sv.failover.timer.Stop()
			sv.failover.timer = nil
		}
	}
}
