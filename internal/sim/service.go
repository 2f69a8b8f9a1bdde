package sim

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
)

// ServiceStatus is how a service answers.
type ServiceStatus string

// Service statuses.
const (
	// ServiceOK: 200, every member healthy and every dependency ok.
	ServiceOK ServiceStatus = "ok"
	// ServiceDegraded: 200, slower, with members (or a dependency's) down.
	ServiceDegraded ServiceStatus = "degraded"
	// ServiceDown: 503 at once.
	ServiceDown ServiceStatus = "down"
)

// service is the state of one ServiceSpec, guarded by Sim.mu.
//
// Decision: what changes with every member transition (how many members
// are up, who is primary, the failover under way) is kept up to date by
// memberChangedLocked, called by every health transition; a status is then
// derived from those counters on demand, in O(dependencies). So a request
// costs no scan of the members, a mass reboot costs O(1) per transition and
// service, and changes of status are logged as they happen, with a reason.
type service struct {
	spec      ServiceSpec
	index     int         // position in the spec; fixes the address
	members   []*instance // in fleet (spec) order
	threshold int         // MinHealthy resolved to a count
	healthy   int         // members whose health is up
	deps      []*service
	arn       string // target group
	lbARN     string // load balancer
	failover  failover
	last      ServiceStatus // the status last logged
	srv       *http.Server  // nil unless listening
}

// serviceHealth is a service's answer at one moment.
type serviceHealth struct {
	status  ServiceStatus
	reason  string
	latency time.Duration // added before answering; 0 when down
}

// buildServices resolves each service's members (fixed from now on, as
// registered targets are), threshold, dependencies and ids.
func (s *Sim) buildServices() {
	byName := map[string]*service{}
	for i, spec := range s.spec.Services {
		sv := &service{spec: spec, index: i, last: ServiceOK}
		sel := newEventSelector(EventSpec{Tags: spec.Members})
		for _, in := range s.instances {
			if sel.matches(in.az, in.tags.get) {
				sv.members = append(sv.members, in)
			}
		}
		slices.SortFunc(sv.members, func(a, b *instance) int { return a.index - b.index })
		sv.healthy = len(sv.members) // every instance starts up
		sv.threshold = minHealthyCount(spec, len(sv.members))
		sv.arn, sv.lbARN = s.serviceARNs(spec.Name)
		if spec.Primary {
			sv.failover.primary = sv.members[0]
		}
		for _, in := range sv.members {
			s.memberOf[in] = append(s.memberOf[in], sv)
		}
		byName[spec.Name] = sv
		s.services = append(s.services, sv)
	}
	for _, sv := range s.services {
		for _, dep := range sv.spec.DependsOn {
			sv.deps = append(sv.deps, byName[dep])
		}
	}
}

// minHealthyCount resolves min_healthy for n members; a percentage rounds
// up, so "50%" of 5 members needs 3.
func minHealthyCount(spec ServiceSpec, n int) int {
	q := spec.MinHealthy
	if q.Percent == nil {
		return q.Count
	}
	return max(1, int(math.Ceil(float64(n)*q.Percent.Value/100-1e-9)))
}

// serviceARNs derives the target group and load balancer ARNs from the seed
// and the name: the same fleet and seed give the same ARNs.
func (s *Sim) serviceARNs(name string) (targetGroup, loadBalancer string) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	rng := rand.New(rand.NewPCG(s.opts.Seed, h.Sum64()))
	prefix := "arn:aws:elasticloadbalancing:" + s.spec.Region + ":" + s.spec.AccountID + ":"
	return prefix + "targetgroup/" + name + "/" + hexDigits(rng, 16),
		prefix + "loadbalancer/app/" + name + "/" + hexDigits(rng, 16)
}

// memberChangedLocked follows one instance's health transition, from was to
// in.health: the counters of its services, their primaries, and a log line
// per service whose status changed.
func (s *Sim) memberChangedLocked(in *instance, was Health) {
	s.trackInitialLocked(in)
	up := in.health == HealthUp
	services := s.memberOf[in]
	if len(services) == 0 || up == (was == HealthUp) {
		return
	}
	for _, sv := range services {
		if up {
			sv.healthy++
		} else {
			sv.healthy--
		}
		if sv.spec.Primary {
			s.primaryMemberChangedLocked(sv, in, up)
		}
	}
	s.logServiceChangesLocked(label(in) + " is " + string(in.health))
}

// trackInitialLocked remembers that a started instance has not yet been up
// since: ELB shows such a target as "initial", not "unhealthy".
func (s *Sim) trackInitialLocked(in *instance) {
	switch {
	case in.state == fleet.StatePending:
		in.initial = true
	case in.health == HealthUp || in.health == HealthBroken:
		in.initial = false
	}
}

// evalLocked is sv's answer now: its own, made worse by its dependencies.
// Specs are validated acyclic, so the recursion ends.
func (s *Sim) evalLocked(sv *service) serviceHealth {
	h := sv.ownHealth()
	if h.status == ServiceDown {
		return h
	}
	for _, dep := range sv.deps {
		d := s.evalLocked(dep)
		switch d.status {
		case ServiceDown:
			return serviceHealth{status: ServiceDown, reason: fmt.Sprintf("depends on %s, which is down: %s", dep.spec.Name, d.reason)}
		case ServiceDegraded:
			if h.status == ServiceOK {
				h.status, h.reason = ServiceDegraded, fmt.Sprintf("depends on %s, which is degraded: %s", dep.spec.Name, d.reason)
			}
		}
		h.latency += d.latency // each request calls each dependency once
	}
	return h
}

// ownHealth is sv's answer judged by its members and primary alone.
func (sv *service) ownHealth() serviceHealth {
	n, h := len(sv.members), sv.healthy
	switch {
	case sv.spec.Primary && sv.failover.primary == nil:
		return serviceHealth{status: ServiceDown, reason: sv.failover.reason(sv.spec.FailoverAfter.Duration)}
	case h < sv.threshold:
		return serviceHealth{status: ServiceDown,
			reason: fmt.Sprintf("%d of %d members healthy, fewer than min_healthy %d", h, n, sv.threshold)}
	case h < n:
		return serviceHealth{status: ServiceDegraded, reason: fmt.Sprintf("%d of %d members healthy", h, n), latency: sv.latencyAt(h)}
	}
	return serviceHealth{status: ServiceOK, reason: fmt.Sprintf("all %d members healthy", n), latency: sv.latencyAt(h)}
}

// latencyAt interpolates the latency range: Min with every member healthy,
// Max with exactly threshold healthy.
func (sv *service) latencyAt(healthy int) time.Duration {
	r, n := sv.spec.Latency, len(sv.members)
	if healthy >= n || n <= sv.threshold {
		return r.Min
	}
	missing := min(n-healthy, n-sv.threshold)
	return r.Min + time.Duration(int64(r.Max-r.Min)*int64(missing)/int64(n-sv.threshold))
}

// logServiceChangesLocked logs every service whose status changed since it
// was last logged, with why it is what it is now and what caused it.
func (s *Sim) logServiceChangesLocked(cause string) {
	for _, sv := range s.services {
		h := s.evalLocked(sv)
		if h.status == sv.last {
			continue
		}
		s.log.Debug("service status changed", zap.String("service", sv.spec.Name),
			zap.String("from", string(sv.last)), zap.String("to", string(h.status)),
			zap.String("reason", h.reason), zap.String("cause", cause),
			zap.Int("healthy_members", sv.healthy), zap.Int("members", len(sv.members)))
		sv.last = h.status
	}
}

// label names an instance for people: "db-01 (i-0123...)".
func label(in *instance) string {
	name, _ := in.tags.get("Name")
	return name + " (" + in.id + ")"
}

// serviceIP is the address of the service at index in block: 127.B.255.N,
// a row that instance addresses (C in 1..254) never use.
func serviceIP(block, index int) string { return fmt.Sprintf("127.%d.255.%d", block, index+1) }

// serviceHostPortLocked is where sv answers; "" before Start.
func (s *Sim) serviceHostPortLocked(sv *service) string {
	if len(s.addrs.private) == 0 {
		return ""
	}
	return net.JoinHostPort(serviceIP(s.addrs.private[0], sv.index), fmt.Sprint(sv.spec.Port))
}
