package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// Loopback blocks 127.B.0.0/16 are drawn from B in [firstBlock, endBlock).
// 127.0.x.x is never used: real services live there.
const (
	firstBlock = 16
	endBlock   = 250
)

// hostOctets places slot k of a block at 127.B.C.D with C and D in
// [1,254], leaving 127.B.255.254 to the sentinel.
func hostOctets(k int) (c, d int) {
	return 1 + k/254, 1 + k%254
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

// blocksFor is how many blocks n addresses need.
func blocksFor(n int) int { return (n + perBlock - 1) / perBlock }

// addressing is where the fleet's addresses live once Start has run:
// instance k (in spec order) at slot k%perBlock of private[k/perBlock], and
// public slot p likewise in public.
type addressing struct {
	private []int
	public  []int
}

// ip formats slot of blocks as 127.B.C.D without fmt: a Describe page over
// a large fleet formats an address per instance scanned.
func ip(blocks []int, slot int) string {
	if slot < 0 || slot/perBlock >= len(blocks) {
		return ""
	}
	c, d := hostOctets(slot % perBlock)
	b := make([]byte, 0, 15)
	b = append(b, "127."...)
	b = strconv.AppendInt(b, int64(blocks[slot/perBlock]), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(c), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(d), 10)
	return string(b)
}

func sentinelIP(block int) string { return fmt.Sprintf("127.%d.255.254", block) }

func (s *Sim) privateIPLocked(in *instance) string { return ip(s.addrs.private, in.index) }

func (s *Sim) publicIPLocked(in *instance) string { return ip(s.addrs.public, in.publicSlot) }

func (s *Sim) hostPort(ip string) string {
	return net.JoinHostPort(ip, strconv.Itoa(s.spec.HealthPort))
}

// publicPool hands out public addresses. Each start takes the next free
// slot after the last one taken, so a restarted instance gets a new
// address, as an auto-assigned EC2 public IP changes on every start. (Only
// a pool with no other free slot can hand the same one back.)
type publicPool struct {
	owner map[int]*instance
	next  int
	size  int // one block for every perBlock instances with a public IP
}

func newPublicPool(instances int) publicPool {
	return publicPool{owner: map[int]*instance{}, size: max(blocksFor(instances), 1) * perBlock}
}

func (p *publicPool) take(in *instance) {
	for range p.size {
		slot := p.next
		p.next = (p.next + 1) % p.size
		if _, used := p.owner[slot]; !used {
			p.owner[slot] = in
			in.publicSlot = slot
			return
		}
	}
}

func (p *publicPool) release(in *instance) {
	if in.publicSlot != noSlot {
		delete(p.owner, in.publicSlot)
		in.publicSlot = noSlot
	}
}

// Start assigns every instance its loopback addresses, with
// Options.Listeners binds their health listeners, and starts the clocks of
// the scheduled events. A listening fleet's blocks are claimed by sentinel
// listeners on 127.B.255.254:HealthPort held until Close, so simulators in
// other processes that use the same port pick other blocks.
func (s *Sim) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return errors.New("sim: start: simulator is closed")
	case s.started:
		return errors.New("sim: start: already started")
	}
	if s.opts.Listeners {
		if err := s.listenLocked(); err != nil {
			return err
		}
	} else {
		// Nothing is bound, so nothing can collide: any blocks will do.
		order := s.blockOrder()
		n, p := blocksFor(len(s.instances)), blocksFor(s.spec.publicCount())
		s.addrs = addressing{private: order[:n], public: order[n : n+p]}
	}
	s.started, s.startedAt = true, time.Now()
	s.startEventsLocked()
	s.log.Debug("simulator started", zap.Ints("private_blocks", s.addrs.private), zap.Ints("public_blocks", s.addrs.public),
		zap.Int("instances", len(s.instances)), zap.Bool("listeners", s.opts.Listeners))
	return nil
}

// publicCount is how many instances hold a public address at once, at most.
func (spec FleetSpec) publicCount() int {
	n := 0
	for _, g := range spec.Groups {
		if g.PublicIP {
			n += g.Count
		}
	}
	return n
}

// listenLocked claims a private block (and a public one when the fleet has
// public addresses) and serves every instance that should be reachable.
func (s *Sim) listenLocked() error {
	s.srv = s.newHealthServer()
	order := s.blockOrder()
	private, err := s.claimLocked(order, -1, privateSide)
	if err == nil && s.spec.publicCount() > 0 {
		var public int
		public, err = s.claimLocked(order, private, publicSide)
		s.addrs.public = []int{public}
	}
	if err != nil {
		s.closeNetworkLocked()
		for _, srv := range s.detachServiceServersLocked() {
			_ = srv.Close() // no handler can be running: Start holds the lock
		}
		s.srv, s.addrs = nil, addressing{}
		return err
	}
	s.addrs.private = []int{private}
	return nil
}

// claimLocked tries blocks in order (skipping skip) until the sentinel and
// the address on side of every reachable instance bind (and, on the private
// side, every service's address), then serves them.
// Only "address in use" moves on to the next block; any other error (say,
// a system that routes only 127.0.0.1) is returned.
func (s *Sim) claimLocked(order []int, skip int, side side) (int, error) {
	var lastErr error
	for _, block := range order {
		if block == skip {
			continue
		}
		sentinel, bound, err := s.bindBlockLocked(block, side)
		var services []net.Listener
		if err == nil && side == privateSide {
			if services, err = s.bindServicesLocked(block); err != nil {
				releaseBlock(sentinel, bound)
			}
		}
		if err == nil {
			s.sentinels = append(s.sentinels, sentinel)
			for in, l := range bound {
				s.serveLocked(in, side, l)
			}
			s.serveServicesLocked(services)
			return block, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return 0, fmt.Errorf("sim: start: bind loopback addresses (127.x.y.z must be routable to lo): %w", err)
		}
		lastErr = err
	}
	return 0, fmt.Errorf("sim: start: no free loopback block for port %d: %w", s.spec.HealthPort, lastErr)
}

// bindBlockLocked binds the sentinel of block, then the side address of
// every instance that should be reachable; on any failure it closes what
// it bound.
func (s *Sim) bindBlockLocked(block int, side side) (net.Listener, map[*instance]net.Listener, error) {
	sentinel, err := listenLoopback(s.hostPort(sentinelIP(block)))
	if err != nil {
		return nil, nil, err
	}
	bound := map[*instance]net.Listener{}
	for _, in := range s.instances {
		slot := in.slot(side)
		if slot == noSlot || !in.reachable() {
			continue
		}
		l, err := listenLoopback(s.hostPort(ip([]int{block}, slot)))
		if err != nil {
			releaseBlock(sentinel, bound)
			return nil, nil, err
		}
		bound[in] = l
	}
	return sentinel, bound, nil
}

func releaseBlock(sentinel net.Listener, bound map[*instance]net.Listener) {
	for _, l := range bound {
		_ = l.Close()
	}
	_ = sentinel.Close()
}

// listenLoopback binds addr after checking it is in 127.0.0.0/8: the
// simulator must never listen anywhere else.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ipAddr := net.ParseIP(host).To4()
	if ipAddr == nil || ipAddr[0] != 127 {
		return nil, fmt.Errorf("refusing to listen on non-loopback address %s", addr)
	}
	var lc net.ListenConfig
	return lc.Listen(context.Background(), "tcp4", addr)
}
