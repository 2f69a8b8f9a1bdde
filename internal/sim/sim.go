// Package sim simulates an EC2 fleet in process: instances with
// deterministic ids, a reboot state machine with seeded boot timings, and a
// real HTTP health endpoint per instance on its own loopback address. It
// speaks no cloud wire protocol; internal/sim/ec2api serves the EC2 Query API
// over a *Sim.
//
// Every socket the simulator opens is on 127.0.0.0/8.
package sim

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
)

// Options tune a Sim without changing the fleet it models.
type Options struct {
	// Seed fixes instance ids, tags, placement, launch time and every boot
	// timing draw. The loopback block is not derived from it.
	Seed uint64
	// Listeners makes Start bind a real health listener per instance. When
	// false the Sim is API-only: addresses are assigned, nothing is bound.
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
	instances []*instance // sorted by id
	byID      map[string]*instance
	byIP      map[string]*instance // filled by Start
	block     int                  // B of 127.B.0.0/16; 0 until Start
	// blockOrder lists the blocks Start tries; tests replace it.
	blockOrder func() []int
	started    bool
	closed     bool
	sentinel   net.Listener
	srv        *http.Server
	serving    sync.WaitGroup
}

// fleetIDs are the fleet-wide resource ids derived from the seed.
type fleetIDs struct {
	vpc        string
	image      string
	subnets    map[string]string // by availability zone
	launchTime time.Time
}

// New validates spec (after applying defaults) and builds its instances, all
// running and healthy. It opens nothing: call Start for addresses and
// listeners.
func New(spec FleetSpec, opts Options) (*Sim, error) {
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	s := &Sim{
		spec: spec,
		opts: opts,
		log:  opts.Logger.Named("sim"),
		byID: map[string]*instance{},
		byIP: map[string]*instance{},

		blockOrder: randomBlocks,
	}
	s.audit.w = opts.AuditWriter
	s.audit.log = s.log
	s.build(rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15)))
	return s, nil
}

// build creates every instance in spec order; the order fixes each
// instance's address within the block, the draws fix its id.
func (s *Sim) build(rng *rand.Rand) {
	s.ids = fleetIDs{
		vpc:        "vpc-" + hexID(rng),
		image:      "ami-" + hexID(rng),
		subnets:    map[string]string{},
		launchTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(365*24*3600)) * time.Second),
	}
	index := 0
	for _, g := range s.spec.Groups {
		reservation := "r-" + hexID(rng)
		for k := range g.Count {
			az := g.AvailabilityZones[k%len(g.AvailabilityZones)]
			if _, ok := s.ids.subnets[az]; !ok {
				s.ids.subnets[az] = "subnet-" + hexID(rng)
			}
			in := &instance{
				id:          s.uniqueID(rng),
				index:       index,
				reservation: reservation,
				az:          az,
				group:       g,
				tags:        instanceTags(g, k),
				state:       fleet.StateRunning,
				health:      HealthUp,
				conns:       map[net.Conn]struct{}{},
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
func hexID(rng *rand.Rand) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 17)
	for i := range b {
		b[i] = digits[rng.IntN(16)]
	}
	return string(b)
}

func instanceTags(g GroupSpec, k int) map[string]string {
	tags := make(map[string]string, len(g.Tags)+1)
	for key, v := range g.Tags {
		tags[key] = v
	}
	width := max(2, len(fmt.Sprint(g.Count)))
	tags["Name"] = fmt.Sprintf("%s-%0*d", g.Name, width, k+1)
	return tags
}

// AccountID is the account the simulated fleet lives in.
func (s *Sim) AccountID() string { return s.spec.AccountID }

// Region is the region the simulated fleet lives in.
func (s *Sim) Region() string { return s.spec.Region }
