package sim

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gameday/internal/strictyaml"
)

// serviceNameShape is a DNS label in lowercase: the name becomes a target
// group's and a load balancer's, which allow letters, digits and hyphens.
var serviceNameShape = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// services checks every service, then the dependencies between them. Which
// instances a selector matches is only counted when the groups are sound.
func (c *checker) services(spec FleetSpec, groupsOK bool) {
	if len(spec.Services) > MaxServices {
		c.key("services", fmt.Sprintf("%d services; a fleet holds at most %d", len(spec.Services), MaxServices), "")
	}
	seen := map[string]bool{}
	for i, sv := range spec.Services {
		path := strictyaml.JoinIndex("services", i)
		if seen[sv.Name] && sv.Name != "" {
			c.value(path+".name", fmt.Sprintf("duplicate service name %q", sv.Name), "")
		}
		seen[sv.Name] = true
		c.service(path, sv, spec, groupsOK)
	}
	c.serviceDependencies(spec.Services)
}

func (c *checker) service(path string, sv ServiceSpec, spec FleetSpec, groupsOK bool) {
	if !serviceNameShape.MatchString(sv.Name) || len(sv.Name) > maxServiceName {
		c.value(path+".name", fmt.Sprintf("expected a name of lowercase letters, digits and hyphens (at most %d, not starting or ending with a hyphen), got %q", maxServiceName, sv.Name), "")
	}
	if sv.Port < 1 || sv.Port > 65535 {
		c.value(path+".port", fmt.Sprintf("expected a port in 1..65535, got %d", sv.Port), "")
	}
	if !strings.HasPrefix(sv.Path, "/") {
		c.value(path+".path", fmt.Sprintf("expected a path starting with /, got %q", sv.Path), "")
	}
	c.rangeOK(path+".latency", sv.Latency)
	c.failover(path, sv)
	before := len(c.problems)
	c.minHealthy(path+".min_healthy", sv)
	c.members(path+".members", sv.Members)
	if len(c.problems) > before || !groupsOK {
		return // counting the matches of a broken selector says nothing useful
	}
	matched := spec.matchCount(EventSpec{Tags: sv.Members})
	switch {
	case matched == 0:
		c.key(path+".members", "the selector matches no instance", "check its tags against the groups' tags")
	case sv.MinHealthy != nil && sv.MinHealthy.Percent == nil && sv.MinHealthy.Count > matched:
		c.value(path+".min_healthy", fmt.Sprintf("min_healthy %d is more than the %d members the selector matches", sv.MinHealthy.Count, matched), "")
	}
}

func (c *checker) members(path string, tags map[string]string) {
	if len(tags) == 0 {
		c.key(path, "at least one tag is required", "e.g. members: {app: web}")
	}
	if _, ok := tags[""]; ok {
		c.key(strictyaml.JoinKey(path, ""), "empty tag key", "")
	}
}

func (c *checker) minHealthy(path string, sv ServiceSpec) {
	q := sv.MinHealthy
	switch {
	case q == nil:
	case q.Percent != nil && (q.Percent.Value <= 0 || q.Percent.Value > 100):
		c.value(path, fmt.Sprintf("expected a percentage more than 0 and at most 100, got %v", q.Percent.Value), "")
	case q.Percent == nil && q.Count < 1:
		c.value(path, fmt.Sprintf("expected at least 1 member, got %d", q.Count), "a service with no healthy member cannot answer")
	}
}

func (c *checker) failover(path string, sv ServiceSpec) {
	d := sv.FailoverAfter.Duration
	switch {
	case d < 0:
		c.value(path+".failover_after", fmt.Sprintf("expected a duration of 0 or more, got %v", d), "")
	case d != 0 && !sv.Primary:
		c.key(path+".failover_after", "failover_after applies only to a service with a primary", "add primary: true")
	}
}

// serviceDependencies checks every depends_on entry names another service,
// once, and that following them never leads back to where it started.
func (c *checker) serviceDependencies(services []ServiceSpec) {
	index := map[string]int{}
	var names []string
	for i, sv := range services {
		if _, dup := index[sv.Name]; !dup {
			index[sv.Name] = i
			names = append(names, sv.Name)
		}
	}
	for i, sv := range services {
		path := strictyaml.JoinIndex("services", i) + ".depends_on"
		for j, dep := range sv.DependsOn {
			at := strictyaml.JoinIndex(path, j)
			_, known := index[dep]
			switch {
			case dep == sv.Name:
				c.value(at, fmt.Sprintf("service %q depends on itself", dep), "")
			case !known:
				c.value(at, fmt.Sprintf("unknown service %q", dep), dependencyHint(dep, names))
			case slices.Contains(sv.DependsOn[:j], dep):
				c.value(at, fmt.Sprintf("%q is listed twice", dep), "")
			}
		}
	}
	c.dependencyCycles(services, index)
}

func dependencyHint(name string, names []string) string {
	if guess, ok := strictyaml.Suggest(name, names); ok {
		return fmt.Sprintf("did you mean %q?", guess)
	}
	if len(names) == 0 {
		return ""
	}
	return "services: " + strings.Join(names, ", ")
}

// dependencyCycles reports each cycle once, at the depends_on entry that
// closes it, found by a depth-first walk in file order. Self-dependencies
// are reported by serviceDependencies and skipped here.
func (c *checker) dependencyCycles(services []ServiceSpec, index map[string]int) {
	const (
		unvisited = iota
		onPath
		done
	)
	mark := make([]int, len(services))
	var stack []int
	var visit func(i int)
	visit = func(i int) {
		mark[i] = onPath
		stack = append(stack, i)
		for j, dep := range services[i].DependsOn {
			k, ok := index[dep]
			switch {
			case !ok || k == i:
			case mark[k] == onPath:
				at := strictyaml.JoinIndex(strictyaml.JoinIndex("services", i)+".depends_on", j)
				c.value(at, "dependency cycle: "+cyclePath(services, stack, k), "a service cannot depend, even indirectly, on itself")
			case mark[k] == unvisited:
				visit(k)
			}
		}
		stack = stack[:len(stack)-1]
		mark[i] = done
	}
	for i := range services {
		if mark[i] == unvisited {
			visit(i)
		}
	}
}

// cyclePath spells the cycle from the service at start along stack and
// back to it: "a -> b -> a".
func cyclePath(services []ServiceSpec, stack []int, start int) string {
	from := slices.Index(stack, start)
	var names []string
	for _, i := range stack[from:] {
		names = append(names, services[i].Name)
	}
	return strings.Join(append(names, services[start].Name), " -> ")
}
