package sim

import (
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
)

// StateChange is one instance's answer to StopInstances or StartInstances.
type StateChange struct {
	ID       string
	Previous string
	Current  string
}

// Reboot reboots every instance in ids, as the owner: the state stays
// running (as in EC2) while health walks down -> starting -> up (or broken).
// Rebooting an instance that is still booting restarts its cycle. It is all
// or nothing: an unknown id gives a *NotFoundError and an instance that is
// not running a *StateError, and then nothing is rebooted. A reboot clears
// the instance's pending reboot events.
func (s *Sim) Reboot(ids []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	found, err := s.lookupLocked(ids)
	if err != nil {
		return err
	}
	for _, in := range found {
		if in.state != fleet.StateRunning {
			return &StateError{Op: OpReboot, ID: in.id, State: in.state}
		}
	}
	for _, in := range found {
		s.clearEventsLocked(in, isRebootCode, "owner rebooted")
		s.rebootLocked(in, "owner")
	}
	return nil
}

// StopInstances stops every instance in ids, as the owner: running ones go
// stopping, then stopped. Stopping or stopped ones are left as they are
// (EC2 answers them without an error), except that force hurries a
// stopping one. A pending instance gives a *StateError and nothing stops.
func (s *Sim) StopInstances(ids []string, force bool) ([]StateChange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	found, err := s.lookupLocked(ids)
	if err != nil {
		return nil, err
	}
	for _, in := range found {
		if in.state == fleet.StatePending {
			return nil, &StateError{Op: OpStop, ID: in.id, State: in.state}
		}
	}
	changes := make([]StateChange, len(found))
	for i, in := range found {
		prev := in.state
		s.stopLocked(in, force, stopCause{at: time.Now()})
		changes[i] = StateChange{ID: in.id, Previous: prev, Current: in.state}
	}
	return changes, nil
}

// StartInstances starts every instance in ids, as the owner: stopped ones
// go pending, then running, then the application starts. Any instance that
// is not stopped gives a *StateError and nothing starts. A start after a
// stop moves the instance to new hardware: it clears its pending reboot,
// stop and retirement events.
func (s *Sim) StartInstances(ids []string) ([]StateChange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	found, err := s.lookupLocked(ids)
	if err != nil {
		return nil, err
	}
	for _, in := range found {
		if in.state != fleet.StateStopped {
			return nil, &StateError{Op: OpStart, ID: in.id, State: in.state}
		}
	}
	changes := make([]StateChange, len(found))
	for i, in := range found {
		s.clearEventsLocked(in, func(code string) bool { return isRebootCode(code) || isStopCode(code) }, "owner stopped and started")
		s.startLocked(in)
		changes[i] = StateChange{ID: in.id, Previous: fleet.StateStopped, Current: in.state}
	}
	return changes, nil
}

func (s *Sim) rebootLocked(in *instance, cause string) {
	s.beginLocked(in)
	in.reboots++
	p := planReboot(s.opts.Seed, in.id, in.cycles, in.boot())
	in.broken = in.broken || p.broken
	s.setHealthLocked(in, HealthDown)
	s.afterLocked(in, p.downtime(), func(in *instance) { s.appStartsLocked(in, p.starting) })
	s.log.Debug("reboot", zap.String("instance", in.id), zap.String("by", cause), zap.Int("reboot", in.reboots),
		zap.Duration("down", p.down), zap.Bool("hard_reboot", p.hard), zap.Duration("hard_reboot_delay", p.hardDelay),
		zap.Duration("starting", p.starting), zap.Bool("broken", in.broken))
}

func (s *Sim) stopLocked(in *instance, force bool, cause stopCause) {
	switch in.state {
	case fleet.StateStopped:
		s.log.Debug("stop: already stopped", zap.String("instance", in.id))
		return
	case fleet.StateStopping:
		if force {
			s.hurryStopLocked(in)
		}
		return
	}
	s.beginLocked(in)
	d := planStop(s.opts.Seed, in.id, in.cycles, in.boot(), force)
	in.state, in.stop = fleet.StateStopping, cause
	s.setHealthLocked(in, HealthDown)
	s.afterLocked(in, d, s.finishStopLocked)
	s.log.Debug("stop", zap.String("instance", in.id), zap.Bool("force", force),
		zap.Bool("scheduled", cause.scheduled), zap.Duration("stopping", d))
}

// hurryStopLocked makes a stop already under way end within a forced
// stop's time, as EC2 does for a stuck instance stopped again with Force.
func (s *Sim) hurryStopLocked(in *instance) {
	forced := in.boot().Stopping.Min
	if time.Until(in.phaseEnds) <= forced {
		return
	}
	in.generation++
	in.timer.Stop()
	s.afterLocked(in, forced, s.finishStopLocked)
	s.log.Debug("stop: forced while stopping", zap.String("instance", in.id), zap.Duration("stopping", forced))
}

func (s *Sim) finishStopLocked(in *instance) {
	in.state = fleet.StateStopped
	in.broken = false // whatever was wrong stays with the old hardware
	s.public.release(in)
	s.setHealthLocked(in, HealthOff)
	s.log.Debug("stopped", zap.String("instance", in.id))
}

func (s *Sim) startLocked(in *instance) {
	s.beginLocked(in)
	p := planStart(s.opts.Seed, in.id, in.cycles, in.boot())
	in.state, in.stop, in.broken = fleet.StatePending, stopCause{}, p.broken
	if in.group.spec.PublicIP {
		s.public.take(in)
	}
	s.setHealthLocked(in, HealthDown)
	s.afterLocked(in, p.pending, func(in *instance) {
		in.state = fleet.StateRunning
		s.log.Debug("running", zap.String("instance", in.id))
		s.appStartsLocked(in, p.starting)
	})
	s.log.Debug("start", zap.String("instance", in.id), zap.Duration("pending", p.pending),
		zap.Duration("starting", p.starting), zap.Bool("broken", p.broken), zap.String("public_ip", s.publicIPLocked(in)))
}

// appStartsLocked ends a host's down phase: it answers again, 503 while the
// application starts, then 200, or 500 if it came back broken. If its
// address cannot be bound again it stays down until its next transition.
func (s *Sim) appStartsLocked(in *instance, starting time.Duration) {
	if !s.setHealthLocked(in, HealthStarting) {
		return
	}
	s.afterLocked(in, starting, func(in *instance) {
		up := HealthUp
		if in.broken {
			up = HealthBroken
		}
		s.setHealthLocked(in, up)
		s.log.Debug("application started", zap.String("instance", in.id), zap.String("health", string(up)))
	})
}

// beginLocked starts a new transition of in: the timers of the one before
// become stale, and the draws move to the next key.
func (s *Sim) beginLocked(in *instance) {
	in.generation++
	in.cycles++
	if in.timer != nil {
		in.timer.Stop()
		in.timer = nil
	}
}

// afterLocked runs next once d has passed, unless another transition of in
// began meanwhile or the simulator closed.
func (s *Sim) afterLocked(in *instance, d time.Duration, next func(*instance)) {
	gen := in.generation
	in.phaseEnds = time.Now().Add(d)
	in.timer = time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed || gen != in.generation {
			return
		}
		in.timer = nil
		next(in)
	})
}

// setHealthLocked moves in to phase h and makes its network match: a host
// going down or off loses its connections; a reachable one has its
// listeners. It reports false when a listener could not be bound; the
// instance is then left down and the caller ends the transition there.
func (s *Sim) setHealthLocked(in *instance, h Health) bool {
	// Deferred, so that services see the phase the instance ends up in.
	defer s.memberChangedLocked(in, in.health)
	in.health, in.healthSince = h, time.Now().UTC()
	if s.srv == nil {
		return true // API-only, or not started: Start binds what is reachable
	}
	host := in.hostOrNew()
	if h == HealthDown || h == HealthOff {
		host.cutConns()
	}
	if h == HealthDown && in.reachable() {
		if host.wake == nil {
			host.wake = make(chan struct{})
		}
	} else {
		host.endHang()
	}
	if !in.reachable() {
		host.closeListener(privateSide)
		host.closeListener(publicSide)
		return true
	}
	if err := s.openLocked(in); err != nil {
		s.log.Error("reopen health listener; instance stays down", zap.String("instance", in.id), zap.Error(err))
		host.closeListener(privateSide)
		host.closeListener(publicSide)
		in.health = HealthDown
		return false
	}
	return true
}
