package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
)

// Reboot reboots every instance in ids: the state stays running (as in
// EC2) while health walks down -> starting -> up. It is all or nothing: if
// any id is unknown nothing is rebooted. Rebooting an instance that is
// still booting restarts its cycle. Instances that are not running ignore
// the reboot, as EC2 does.
func (s *Sim) Reboot(ids []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("sim: reboot: simulator is closed")
	}
	var missing []string
	for _, id := range ids {
		if _, ok := s.byID[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("sim: reboot: unknown instances %s", strings.Join(missing, ", "))
	}
	done := map[string]bool{}
	for _, id := range ids {
		if !done[id] {
			done[id] = true
			s.rebootLocked(s.byID[id])
		}
	}
	return nil
}

func (s *Sim) rebootLocked(in *instance) {
	if in.state != fleet.StateRunning {
		return
	}
	in.reboots++
	in.generation++
	if in.timer != nil {
		in.timer.Stop()
	}
	down, starting := bootDraw(s.opts.Seed, in.id, in.reboots, in.group.Boot)
	s.closeHostLocked(in)
	s.setHealthLocked(in, HealthDown)
	gen := in.generation
	in.timer = time.AfterFunc(down, func() { s.bootListener(in, gen, starting) })
	s.log.Debug("reboot", zap.String("instance", in.id), zap.Int("reboot", in.reboots),
		zap.Duration("down", down), zap.Duration("starting", starting))
}

// bootListener ends the down phase: the listener comes back and answers 503
// until the starting phase ends. If the address cannot be bound again the
// host stays down (unhealthy) until its next reboot.
func (s *Sim) bootListener(in *instance, gen uint64, starting time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || gen != in.generation {
		return
	}
	if s.srv != nil {
		l, err := listenLoopback(s.hostPort(s.ipLocked(in)))
		if err != nil {
			s.log.Error("reopen health listener; instance stays down",
				zap.String("instance", in.id), zap.Error(err))
			return
		}
		s.serveLocked(in, l)
	}
	s.setHealthLocked(in, HealthStarting)
	in.timer = time.AfterFunc(starting, func() { s.finishBoot(in, gen) })
}

func (s *Sim) finishBoot(in *instance, gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || gen != in.generation {
		return
	}
	in.timer = nil
	s.setHealthLocked(in, HealthUp)
}

func (s *Sim) setHealthLocked(in *instance, h Health) {
	in.health = h
	in.healthSince = time.Now().UTC()
}

// bootDraw draws the down and starting durations of one reboot. The draw
// depends only on (seed, instance id, reboot number), never on the order in
// which instances are rebooted or on other instances.
func bootDraw(seed uint64, id string, reboot int, boot BootSpec) (down, starting time.Duration) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	_, _ = h.Write(binary.BigEndian.AppendUint64(nil, uint64(reboot)))
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))
	return boot.Down.draw(rng), boot.Starting.draw(rng)
}

func (r Range) draw(rng *rand.Rand) time.Duration {
	if r.Max <= r.Min {
		return r.Min
	}
	return r.Min + time.Duration(rng.Int64N(int64(r.Max-r.Min)+1))
}

// Close stops every timer, listener and connection. It is safe to call more
// than once; later calls do nothing.
func (s *Sim) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for _, in := range s.instances {
		if in.timer != nil {
			in.timer.Stop()
		}
		s.closeHostLocked(in)
	}
	srv, sentinel := s.srv, s.sentinel
	s.mu.Unlock()

	// Outside the lock: the serve goroutines and connection hooks take it.
	var errs []error
	if srv != nil {
		errs = append(errs, srv.Close())
	}
	if sentinel != nil {
		errs = append(errs, sentinel.Close())
	}
	s.serving.Wait()
	// Listeners a reboot already closed may be closed a second time here.
	errs = slices.DeleteFunc(errs, func(err error) bool { return err == nil || errors.Is(err, net.ErrClosed) })
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sim: close: %w", err)
	}
	return nil
}
