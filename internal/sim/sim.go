// Package sim simulates an EC2 fleet in process: instances with
// deterministic ids, a lifecycle state machine (reboot, stop, start) whose
// phases take seeded, per-group times, scheduled maintenance events, and a
// real HTTP health endpoint per instance on its own loopback address. It
// speaks no cloud wire protocol; internal/sim/ec2api serves the EC2 Query
// API over a *Sim.
//
// Every socket the simulator opens is on 127.0.0.0/8.
package sim

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
)

// Options tune a Sim without changing the fleet it models.
type Options struct {
	// Seed fixes instance ids, tags, placement, launch time, event choices
	// and every lifecycle draw. The loopback blocks are not derived from it.
	Seed uint64
	// Listeners makes Start bind a real health listener per instance (two
	// with a public IP). When false the Sim is API-only: addresses are
	// assigned, nothing is bound, and fleets up to MaxInstances fit.
	Listeners bool
	// Logger receives debug and error logs; nil means no logs.
	Logger *zap.Logger
	// AuditWriter, when set, receives one JSON line per audit record as it
	// is recorded.
	AuditWriter io.Writer
}

// Sim is a simulated fleet. Its methods are safe for concurrent use.
type Sim struct {
	spec  FleetSpec
	opts  Options
	log   *zap.Logger
	ids   fleetIDs
	audit auditLog

	mu        sync.Mutex
	instances []*instance // sorted by id; never changes after New
	byID      map[string]*instance
	public    publicPool
	events    []*scheduledEvent
	services  []*service               // in spec order
	memberOf  map[*instance][]*service // the services each member belongs to
	addrs     addressing               // zero until Start
	// blockOrder lists the blocks Start tries; tests replace it.
	blockOrder func() []int
	started    bool
	startedAt  time.Time
	closed     bool
	sentinels  []net.Listener
	srv        *http.Server // nil unless listening
	serving    sync.WaitGroup
}

// fleetIDs are the fleet-wide resource ids derived from the seed.
type fleetIDs struct {
	vpc        string
	image      string
	subnets    map[string]string // by availability zone
	zoneIDs    map[string]string // by availability zone
	launchTime time.Time
}

// groupState is what the instances of one group share.
type groupState struct {
	spec        GroupSpec
	reservation string
}

// New validates spec (after applying defaults) and builds its instances, all
// running and healthy, and picks the instances of its scheduled events. It
// opens nothing: call Start for addresses, listeners and event timers.
func New(spec FleetSpec, opts Options) (*Sim, error) {
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if n := spec.instanceCount(); opts.Listeners && n > MaxListeningInstances {
		return nil, fmt.Errorf("sim: %d instances: at most %d fit one loopback block with listeners; run API-only for more", n, MaxListeningInstances)
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	s := &Sim{
		spec:       spec,
		opts:       opts,
		log:        opts.Logger.Named("sim"),
		byID:       make(map[string]*instance, spec.instanceCount()),
		public:     newPublicPool(spec.publicCount()),
		memberOf:   map[*instance][]*service{},
		blockOrder: randomBlocks,
	}
	s.audit.w = opts.AuditWriter
	s.audit.log = s.log
	rng := rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15))
	s.build(rng)
	s.buildEvents()
	s.buildServices()
	return s, nil
}

// build creates every instance in spec order; the order fixes each
// instance's address, the draws fix its id.
func (s *Sim) build(rng *rand.Rand) {
	s.ids = fleetIDs{
		vpc:        "vpc-" + hexID(rng),
		image:      "ami-" + hexID(rng),
		subnets:    map[string]string{},
		zoneIDs:    map[string]string{},
		launchTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(365*24*3600)) * time.Second),
	}
	s.instances = make([]*instance, 0, s.spec.instanceCount())
	index := 0
	for _, g := range s.spec.Groups {
		group := &groupState{spec: g, reservation: "r-" + hexID(rng)}
		for k := range g.Count {
			az := g.AvailabilityZones[k%len(g.AvailabilityZones)]
			if _, ok := s.ids.subnets[az]; !ok {
				s.ids.subnets[az] = "subnet-" + hexID(rng)
				s.ids.zoneIDs[az] = ZoneID(s.spec.Region, az)
			}
			in := &instance{
				id:         s.uniqueID(rng),
				index:      index,
				group:      group,
				az:         az,
				tags:       tagSet{shared: g.Tags, name: instanceName(g, k)},
				state:      fleet.StateRunning,
				health:     HealthUp,
				publicSlot: noSlot,
			}
			if g.PublicIP {
				s.public.take(in)
			}
			s.byID[in.id] = in
			s.instances = append(s.instances, in)
			index++
		}
	}
	sortInstances(s.instances)
}

func (s *Sim) uniqueID(rng *rand.Rand) string {
	for {
		id := "i-" + hexID(rng)
		if _, dup := s.byID[id]; !dup {
			return id
		}
	}
}

// hexID draws the 17 lowercase hex digits of a modern EC2 resource id.
func hexID(rng *rand.Rand) string { return hexDigits(rng, 17) }

// hexDigits draws n lowercase hex digits, one draw each.
func hexDigits(rng *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[rng.IntN(16)]
	}
	return string(b)
}

// AccountID is the account the simulated fleet lives in.
func (s *Sim) AccountID() string { return s.spec.AccountID }

// Region is the region the simulated fleet lives in.
func (s *Sim) Region() string { return s.spec.Region }

// API returns the fleet's API settings (rate limits, denied actions,
// faults), for the endpoint that serves it.
func (s *Sim) API() APISpec { return s.spec.API.clone() }

// Seed is the seed the simulator was built with; other seeded parts of a
// simulated environment (injected faults) derive theirs from it.
func (s *Sim) Seed() uint64 { return s.opts.Seed }

// Denies reports whether the fleet file denies the caller action.
func (s *Sim) Denies(action string) bool { return s.spec.API.Denies(action) }

// lookupLocked returns the instances named by ids, without repeats, in the
// order given, or a *NotFoundError naming every unknown id.
func (s *Sim) lookupLocked(ids []string) ([]*instance, error) {
	if s.closed {
		return nil, ErrClosed
	}
	var found []*instance
	var missing []string
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		in, ok := s.byID[id]
		if !ok {
			missing = append(missing, id)
			continue
		}
		found = append(found, in)
	}
	if len(missing) > 0 {
		return nil, &NotFoundError{IDs: missing}
	}
	return found, nil
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
	}
	for _, ev := range s.events {
		if ev.timer != nil {
			ev.timer.Stop()
		}
	}
	s.stopServiceTimersLocked()
	s.closeNetworkLocked()
	srv, services := s.srv, s.detachServiceServersLocked()
	s.mu.Unlock()

	// Outside the lock: the serve goroutines, connection hooks and service
	// handlers take it.
	var errs []error
	if srv != nil {
		errs = append(errs, srv.Close())
	}
	for _, srv := range services {
		errs = append(errs, srv.Close())
	}
	s.serving.Wait()
	// Listeners a transition already closed may be closed a second time here.
	errs = slices.DeleteFunc(errs, func(err error) bool { return err == nil || errors.Is(err, net.ErrClosed) })
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sim: close: %w", err)
	}
	return nil
}
