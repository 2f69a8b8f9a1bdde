package sim

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"time"

	"gameday/internal/fleet"
)

// Health is the phase of an instance's boot cycle as its health endpoint
// shows it.
type Health string

// Health phases, in the order a reboot walks through them.
const (
	// HealthDown: the listener is closed, connections are refused.
	HealthDown Health = "down"
	// HealthStarting: the listener answers 503 "starting".
	HealthStarting Health = "starting"
	// HealthUp: the listener answers 200 "ok".
	HealthUp Health = "up"
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

// instance is the mutable state of one simulated host, guarded by Sim.mu.
type instance struct {
	id          string
	index       int // position in spec order; fixes the address in the block
	reservation string
	az          string
	group       GroupSpec
	tags        map[string]string
	state       string

	health      Health
	healthSince time.Time
	reboots     int    // every Reboot, for the draw key
	generation  uint64 // bumped per reboot so stale timers do nothing
	timer       *time.Timer
	listener    net.Listener // nil while down or when Listeners is off
	conns       map[net.Conn]struct{}
}

func sortInstances(list []*instance) {
	slices.SortFunc(list, func(a, b *instance) int { return strings.Compare(a.id, b.id) })
}

// InstanceView is a copy of everything the API layer shows about an
// instance.
type InstanceView struct {
	fleet.Instance
	StateCode      int
	PrivateDNSName string // empty before Start
	ImageID        string
	ReservationID  string
	VpcID          string
	SubnetID       string
	Group          string
	Health         Health
	// HealthSince is when the current phase began; zero if never rebooted.
	HealthSince time.Time
	// Reboots counts every reboot of the instance, whatever asked for it.
	Reboots int
}

// Describe returns a view of every instance, sorted by id.
func (s *Sim) Describe() []InstanceView {
	s.mu.Lock()
	defer s.mu.Unlock()
	views := make([]InstanceView, len(s.instances))
	for i, in := range s.instances {
		views[i] = s.viewLocked(in)
	}
	return views
}

// Instances returns every instance as the domain type, sorted by id.
// PrivateIP is empty until Start has assigned the loopback block.
func (s *Sim) Instances() []fleet.Instance {
	views := s.Describe()
	out := make([]fleet.Instance, len(views))
	for i, v := range views {
		out[i] = v.Instance
	}
	return out
}

// Missing returns the ids, in the order given, that name no instance.
func (s *Sim) Missing(ids []string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var missing []string
	for _, id := range ids {
		if _, ok := s.byID[id]; !ok {
			missing = append(missing, id)
		}
	}
	return missing
}

// HealthOf returns the health phase of one instance.
func (s *Sim) HealthOf(id string) (Health, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.byID[id]
	if !ok {
		return "", false
	}
	return in.health, true
}

// HealthURL returns the URL of an instance's health endpoint, or "" before
// Start or for an unknown id.
func (s *Sim) HealthURL(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.byID[id]
	if !ok || s.block == 0 {
		return ""
	}
	return fmt.Sprintf("http://%s:%d%s", s.ipLocked(in), s.spec.HealthPort, s.spec.HealthPath)
}

func (s *Sim) viewLocked(in *instance) InstanceView {
	ip := s.ipLocked(in)
	dns := ""
	if ip != "" {
		dns = "ip-" + strings.ReplaceAll(ip, ".", "-") + internalDomain(s.spec.Region)
	}
	return InstanceView{
		Instance: fleet.Instance{
			ID:           in.id,
			Region:       s.spec.Region,
			AZ:           in.az,
			State:        in.state,
			InstanceType: in.group.InstanceType,
			PrivateIP:    ip,
			LaunchTime:   s.ids.launchTime,
			Tags:         maps.Clone(in.tags),
		},
		StateCode:      stateCodes[in.state],
		PrivateDNSName: dns,
		ImageID:        s.ids.image,
		ReservationID:  in.reservation,
		VpcID:          s.ids.vpc,
		SubnetID:       s.ids.subnets[in.az],
		Group:          in.group.Name,
		Health:         in.health,
		HealthSince:    in.healthSince,
		Reboots:        in.reboots,
	}
}

// internalDomain is EC2's private DNS suffix: us-east-1 alone uses the
// legacy ec2.internal.
func internalDomain(region string) string {
	if region == "us-east-1" {
		return ".ec2.internal"
	}
	return "." + region + ".compute.internal"
}
