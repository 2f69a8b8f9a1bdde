package sim

import (
	"maps"
	"slices"
	"time"

	"gameday/internal/scenario"
	"gameday/internal/strictyaml"
)

// Service defaults. A Go spec and a fleet file get the same ones, except
// failover_after: a file that leaves it out gets DefaultFailoverAfter, a
// Go spec's zero means an instant failover (zero durations are instant).
const (
	DefaultServicePath = "/"
	// DefaultMinHealthy is the min_healthy of a service that sets none.
	DefaultMinHealthy = 1
	// DefaultFailoverAfter is how long a primary service written in a fleet
	// file stays down after its primary fails. AWS documents Aurora
	// failovers as typically under 30 s and RDS Multi-AZ ones as 60-120 s;
	// 30 s is the optimistic end.
	DefaultFailoverAfter = 30 * time.Second
	// MaxServices is how many services fit the addresses 127.B.255.1 to
	// 127.B.255.253 of the fleet's block (127.B.255.254 is its sentinel).
	MaxServices = 253
	// maxServiceName is ELB's limit on target group names.
	maxServiceName = 32
)

// ServiceSpec is a service behind a load balancer: an HTTP endpoint on its
// own loopback address that answers 200 while enough of its members are
// healthy, 503 otherwise, and an ELB target group of the same name whose
// target health DescribeTargetHealth reports.
type ServiceSpec struct {
	// Name is DNS-label-like (lowercase letters, digits and hyphens, at
	// most 32 characters): it names the target group and load balancer too.
	Name string `yaml:"name"`
	// Members selects the instances behind the service by tag; values may
	// use the EC2 wildcards * and ?. Membership is fixed when the simulator
	// is built, as targets registered with a target group stay registered
	// when their tags change.
	Members map[string]string `yaml:"members"`
	// Port is the service's port; 0 means the fleet's health_port.
	Port int `yaml:"port"`
	// Path is the one path the service answers; "" means "/".
	Path string `yaml:"path"`
	// MinHealthy is how many members (a count, or a percentage of all
	// members rounded up) must be healthy for the service to answer 200;
	// nil means DefaultMinHealthy.
	MinHealthy *scenario.Quantity `yaml:"min_healthy"`
	// Latency is added to every answer while the service is up: Min at full
	// capacity, Max with exactly MinHealthy members healthy, linear between.
	// A service that is down answers 503 at once.
	Latency Range `yaml:"latency"`
	// DependsOn names services this one calls: it is down while any of
	// them is, and their latency adds to its own.
	DependsOn []string `yaml:"depends_on"`
	// Primary makes one member the primary (the first member in fleet
	// order): the service is down from the moment the primary is unhealthy
	// until FailoverAfter has passed and a healthy replica is promoted.
	Primary       bool              `yaml:"primary"`
	FailoverAfter scenario.Duration `yaml:"failover_after"`
}

func (sv ServiceSpec) withDefaults(healthPort int) ServiceSpec {
	if sv.Port == 0 {
		sv.Port = healthPort
	}
	if sv.Path == "" {
		sv.Path = DefaultServicePath
	}
	if sv.MinHealthy == nil {
		sv.MinHealthy = &scenario.Quantity{Count: DefaultMinHealthy}
	} else {
		q := *sv.MinHealthy
		if q.Percent != nil {
			p := *q.Percent
			q.Percent = &p
		}
		sv.MinHealthy = &q
	}
	sv.Members = maps.Clone(sv.Members)
	sv.DependsOn = slices.Clone(sv.DependsOn)
	return sv
}

// serviceFileDefaults fills what a fleet file's services leave out, so that
// an explicit 0 or "" is kept, and then rejected.
func serviceFileDefaults(spec *FleetSpec, written func(string) bool) {
	for i := range spec.Services {
		sv, base := &spec.Services[i], strictyaml.JoinIndex("services", i)
		if !written(base + ".port") {
			sv.Port = spec.HealthPort
		}
		if !written(base + ".path") {
			sv.Path = DefaultServicePath
		}
		if sv.Primary && !written(base+".failover_after") {
			sv.FailoverAfter.Duration = DefaultFailoverAfter
		}
	}
}

// requiredServiceFields are the settings every service of a fleet file
// must write.
func requiredServiceFields() []string { return []string{"name", "members"} }
