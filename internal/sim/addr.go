package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"syscall"

	"go.uber.org/zap"
)

// Loopback blocks 127.B.0.0/16 are drawn from B in [firstBlock, endBlock).
// 127.0.x.x is never used: real services live there.
const (
	firstBlock = 16
	endBlock   = 250
)

// hostOctets places the instance at spec position index in its block as
// 127.B.C.D with C and D in [1,254], leaving 127.B.255.254 to the sentinel.
func hostOctets(index int) (c, d int) {
	return 1 + index/254, 1 + index%254
}

// randomBlocks is every usable block in random order. It is deliberately not
// seeded: two test processes with the same seed must still pick apart.
func randomBlocks() []int {
	order := rand.Perm(endBlock - firstBlock)
	for i := range order {
		order[i] += firstBlock
	}
	return order
}

func (s *Sim) ipLocked(in *instance) string {
	if s.block == 0 {
		return ""
	}
	c, d := hostOctets(in.index)
	return fmt.Sprintf("127.%d.%d.%d", s.block, c, d)
}

func (s *Sim) hostPort(ip string) string {
	return net.JoinHostPort(ip, fmt.Sprint(s.spec.HealthPort))
}

// Start assigns every instance its loopback address and, with
// Options.Listeners, binds its health listener. The block is claimed by a
// sentinel listener on 127.B.255.254:HealthPort held until Close, so
// simulators in other processes that use the same port pick other blocks.
func (s *Sim) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return errors.New("sim: start: simulator is closed")
	case s.started:
		return errors.New("sim: start: already started")
	}
	if !s.opts.Listeners {
		// Nothing is bound, so nothing can collide: any block will do.
		s.setBlockLocked(s.blockOrder()[0])
		s.started = true
		return nil
	}
	sentinel, listeners, err := s.claimBlockLocked()
	if err != nil {
		return err
	}
	s.sentinel = sentinel
	s.srv = s.newHealthServer()
	for _, in := range s.instances {
		if in.health == HealthDown {
			// Rebooted before Start: its boot timer opens the listener.
			_ = listeners[in].Close()
			continue
		}
		s.serveLocked(in, listeners[in])
	}
	s.started = true
	s.log.Debug("health listeners up", zap.Int("block", s.block), zap.Int("instances", len(s.instances)))
	return nil
}

func (s *Sim) setBlockLocked(block int) {
	s.block = block
	clear(s.byIP)
	for _, in := range s.instances {
		s.byIP[s.ipLocked(in)] = in
	}
}

// claimBlockLocked tries blocks in random order until the sentinel and every
// instance address bind. Only "address in use" moves on to the next block;
// any other error (say, a system that routes only 127.0.0.1) is returned.
func (s *Sim) claimBlockLocked() (net.Listener, map[*instance]net.Listener, error) {
	var lastErr error
	for _, block := range s.blockOrder() {
		s.setBlockLocked(block)
		sentinel, listeners, err := s.bindBlockLocked()
		if err == nil {
			return sentinel, listeners, nil
		}
		s.setBlockLocked(0)
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, fmt.Errorf("sim: start: bind loopback addresses (127.x.y.z must be routable to lo): %w", err)
		}
		lastErr = err
	}
	return nil, nil, fmt.Errorf("sim: start: no free loopback block for port %d: %w", s.spec.HealthPort, lastErr)
}

// bindBlockLocked binds the sentinel, then every instance; on any failure it
// closes what it bound.
func (s *Sim) bindBlockLocked() (net.Listener, map[*instance]net.Listener, error) {
	sentinel, err := listenLoopback(s.hostPort(fmt.Sprintf("127.%d.255.254", s.block)))
	if err != nil {
		return nil, nil, err
	}
	listeners := make(map[*instance]net.Listener, len(s.instances))
	for _, in := range s.instances {
		l, err := listenLoopback(s.hostPort(s.ipLocked(in)))
		if err != nil {
			for _, bound := range listeners {
				_ = bound.Close()
			}
			_ = sentinel.Close()
			return nil, nil, err
		}
		listeners[in] = l
	}
	return sentinel, listeners, nil
}

// listenLoopback binds addr after checking it is in 127.0.0.0/8: the
// simulator must never listen anywhere else.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ip := net.ParseIP(host).To4()
	if ip == nil || ip[0] != 127 {
		return nil, fmt.Errorf("refusing to listen on non-loopback address %s", addr)
	}
	var lc net.ListenConfig
	return lc.Listen(context.Background(), "tcp4", addr)
}
