package sim

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"gameday/internal/fleet"
)

// ServiceView is a copy of what the simulator shows about a service.
type ServiceView struct {
	Name string
	// URL is where the service answers, http://127.B.255.N:PORT/PATH: the
	// same for the whole run. "" before Start. An API-only simulator
	// assigns it but serves nothing there (Listening is false).
	URL       string
	Listening bool
	// Host and Port are the URL's address: a load balancer's DNS name and
	// listener port.
	Host string
	Port int
	Path string
	// Members are the ids of the instances behind the service, in fleet
	// order (db-01 first).
	Members        []string
	HealthyMembers int
	// MinHealthy is min_healthy resolved to a count.
	MinHealthy int
	Status     ServiceStatus
	Reason     string
	// Latency is how long an answer would wait now (0 when down).
	Latency time.Duration
	// Primary is the id of a primary service's current primary; "" for
	// other services and during a failover.
	Primary       string
	FailoverAfter time.Duration
	DependsOn     []string

	// The service as ELB shows it: a target group of its members (on the
	// fleet's health port, checked on its health path) behind a load
	// balancer, both named after the service.
	TargetGroupARN  string
	LoadBalancerARN string
	TargetPort      int
	HealthCheckPath string
	VpcID           string
	Zones           []ServiceZone // where its members are, sorted
	CreatedTime     time.Time
}

// ServiceZone is an availability zone a service's members are in.
type ServiceZone struct{ Name, SubnetID string }

// Services lists the fleet's services in spec order.
func (s *Sim) Services() []ServiceView {
	s.mu.Lock()
	defer s.mu.Unlock()
	views := make([]ServiceView, len(s.services))
	for i, sv := range s.services {
		views[i] = s.serviceViewLocked(sv)
	}
	return views
}

// Service returns the service called name.
func (s *Sim) Service(name string) (ServiceView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sv := range s.services {
		if sv.spec.Name == name {
			return s.serviceViewLocked(sv), true
		}
	}
	return ServiceView{}, false
}

func (s *Sim) serviceViewLocked(sv *service) ServiceView {
	h := s.evalLocked(sv)
	v := ServiceView{
		Name: sv.spec.Name, Port: sv.spec.Port, Path: sv.spec.Path,
		Listening:      sv.srv != nil,
		HealthyMembers: sv.healthy, MinHealthy: sv.threshold,
		Status: h.status, Reason: h.reason, Latency: h.latency,
		DependsOn:      slices.Clone(sv.spec.DependsOn),
		TargetGroupARN: sv.arn, LoadBalancerARN: sv.lbARN,
		TargetPort: s.spec.HealthPort, HealthCheckPath: s.spec.HealthPath,
		VpcID: s.ids.vpc, CreatedTime: s.ids.launchTime,
	}
	if hostPort := s.serviceHostPortLocked(sv); hostPort != "" {
		v.Host = serviceIP(s.addrs.private[0], sv.index)
		v.URL = "http://" + hostPort + sv.spec.Path
	}
	if p := sv.failover.primary; p != nil {
		v.Primary = p.id
	}
	if sv.spec.Primary {
		v.FailoverAfter = sv.spec.FailoverAfter.Duration
	}
	for _, in := range sv.members {
		v.Members = append(v.Members, in.id)
		if !slices.ContainsFunc(v.Zones, func(z ServiceZone) bool { return z.Name == in.az }) {
			v.Zones = append(v.Zones, ServiceZone{Name: in.az, SubnetID: s.ids.subnets[in.az]})
		}
	}
	slices.SortFunc(v.Zones, func(a, b ServiceZone) int { return cmp.Compare(a.Name, b.Name) })
	return v
}

// Target health states, as ELB's DescribeTargetHealth names them.
const (
	TargetHealthy   = "healthy"
	TargetUnhealthy = "unhealthy"
	TargetUnused    = "unused"
	TargetInitial   = "initial"
)

// TargetHealth is one member of a service as DescribeTargetHealth shows it.
type TargetHealth struct {
	InstanceID string
	Port       int
	// State is TargetHealthy, TargetUnhealthy, TargetUnused or
	// TargetInitial; Reason and Description are "" when healthy.
	State, Reason, Description string
}

// TargetHealth returns the target health of every member of the service
// whose target group has the ARN arn, in fleet order.
//
// Decision: health is the simulator's current phase, with none of ELB's
// lag (UnhealthyThresholdCount or HealthyThresholdCount checks, 30 s
// apart by default): a prober sees a reboot as soon as it happens.
func (s *Sim) TargetHealth(arn string) ([]TargetHealth, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sv := range s.services {
		if sv.arn != arn {
			continue
		}
		out := make([]TargetHealth, len(sv.members))
		for i, in := range sv.members {
			out[i] = targetHealthOf(in, s.spec.HealthPort)
		}
		return out, true
	}
	return nil, false
}

// targetHealthOf maps an instance's phase to ELB's target health, with
// the reason codes and descriptions ELB's documentation lists (the
// "Health checks for your target groups" guides; real answers agree):
//   - stopped: unused, Target.InvalidState, "Target is in the stopped state";
//   - pending or stopping: unused, Target.InvalidState, "Target is in an
//     invalid state" (the guide's generic wording; ELB checks running
//     targets only);
//   - started and not yet up: initial, Elb.InitialHealthChecking;
//   - running and down (a reboot): unhealthy, Target.FailedHealthChecks
//     when connections are refused, Target.Timeout when they hang;
//   - running and answering 503 (starting) or 500 (broken): unhealthy,
//     Target.ResponseCodeMismatch "Health checks failed with these codes: [503]".
func targetHealthOf(in *instance, port int) TargetHealth {
	t := TargetHealth{InstanceID: in.id, Port: port}
	set := func(state, reason, description string) TargetHealth {
		t.State, t.Reason, t.Description = state, reason, description
		return t
	}
	switch {
	case in.state == fleet.StateStopped:
		return set(TargetUnused, "Target.InvalidState", "Target is in the stopped state")
	case in.state != fleet.StateRunning:
		return set(TargetUnused, "Target.InvalidState", "Target is in an invalid state")
	case in.health == HealthUp:
		return set(TargetHealthy, "", "")
	case in.initial:
		return set(TargetInitial, "Elb.InitialHealthChecking", "Initial health checks in progress")
	case in.health == HealthDown && in.boot().Unreachable == UnreachableHang:
		return set(TargetUnhealthy, "Target.Timeout", "Request timed out")
	case in.health == HealthDown:
		return set(TargetUnhealthy, "Target.FailedHealthChecks", "Health checks failed")
	}
	code, _ := healthAnswer(in.health)
	return set(TargetUnhealthy, "Target.ResponseCodeMismatch", "Health checks failed with these codes: ["+strconv.Itoa(code)+"]")
}
