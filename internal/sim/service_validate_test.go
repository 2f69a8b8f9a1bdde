package sim

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gameday/internal/strictyaml"
)

const serviceGroups = `groups:
  - {name: web, count: 4, tags: {app: web}}
  - {name: db, count: 2, tags: {app: db}}
`

// TestServiceFileErrors pins every problem of services in a fleet file, at
// file:line:col with the field path, all reported at once.
func TestServiceFileErrors(t *testing.T) {
	tests := []struct {
		name, services, want string
	}{
		{"unknown dependency", `
  - {name: storefront, members: {app: web}, depends_on: [dbb]}
  - {name: db, members: {app: db}}
`, `fleet.yaml:5:58: services[0].depends_on[0]: unknown service "dbb" (hint: did you mean "db"?)`},
		{"cycle", `
  - {name: a, members: {app: web}, depends_on: [b]}
  - {name: b, members: {app: web}, depends_on: [c]}
  - {name: c, members: {app: db}, depends_on: [a]}
  - {name: d, members: {app: db}, depends_on: [d]}
`, `fleet.yaml:7:48: services[2].depends_on[0]: dependency cycle: a -> b -> c -> a (hint: a service cannot depend, even indirectly, on itself)
fleet.yaml:8:48: services[3].depends_on[0]: service "d" depends on itself`},
		{"min_healthy", `
  - {name: a, members: {app: web}, min_healthy: 0}
  - {name: b, members: {app: web}, min_healthy: 150%}
  - {name: c, members: {app: web}, min_healthy: "3"}
  - {name: d, members: {app: web}, min_healthy: 5}
`, `fleet.yaml:5:49: services[0].min_healthy: expected at least 1 member, got 0 (hint: a service with no healthy member cannot answer)
fleet.yaml:6:49: services[1].min_healthy: expected a count like 4 or a percentage like "50%", got "150%" (hint: a percentage must be more than 0 and at most 100)
fleet.yaml:7:49: services[2].min_healthy: expected a count like 4 or a percentage like "50%", got "3" (hint: write 3 (no quotes) for a count, or "3%" for a percentage)
fleet.yaml:8:49: services[3].min_healthy: min_healthy 5 is more than the 4 members the selector matches`},
		{"selector", `
  - {name: a, members: {app: cache}}
  - {name: b, members: {}}
  - {name: c}
`, `fleet.yaml:5:15: services[0].members: the selector matches no instance (hint: check its tags against the groups' tags)
fleet.yaml:6:15: services[1].members: at least one tag is required (hint: e.g. members: {app: web})
fleet.yaml:7:5: services[2].members: members is required`},
		{"names and settings", `
  - {name: Store_Front, members: {app: web}, port: 0, path: health}
  - {name: db, members: {app: db}, failover_after: 10s, latency: {min: 2s, max: 1s}}
  - {name: db, members: {app: db}, primary: true, failover_after: -1s}
`, `fleet.yaml:5:12: services[0].name: expected a name of lowercase letters, digits and hyphens (at most 32, not starting or ending with a hyphen), got "Store_Front"
fleet.yaml:5:52: services[0].port: expected a port in 1..65535, got 0
fleet.yaml:5:61: services[0].path: expected a path starting with /, got "health"
fleet.yaml:6:36: services[1].failover_after: failover_after applies only to a service with a primary (hint: add primary: true)
fleet.yaml:6:66: services[1].latency: expected 0 <= min <= max, got min 2s max 1s
fleet.yaml:7:12: services[2].name: duplicate service name "db"
fleet.yaml:7:67: services[2].failover_after: expected a duration of 0 or more, got -1s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := serviceGroups + "services:" + tt.services
			spec, err := ParseFleet("fleet.yaml", []byte(file))
			if err == nil {
				t.Fatalf("ParseFleet succeeded: %+v", spec.Services)
			}
			var errs strictyaml.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %T is not strictyaml.Errors: %v", err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("errors:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestServiceFileDefaults(t *testing.T) {
	spec, err := ParseFleet("fleet.yaml", []byte(`health_port: 9000
`+serviceGroups+`services:
  - {name: web, members: {app: web}}
  - {name: db, members: {app: db}, primary: true}
  - {name: cache, members: {app: db}, port: 6379, path: /ping, min_healthy: 50%}
`))
	if err != nil {
		t.Fatal(err)
	}
	web, db, cache := spec.Services[0], spec.Services[1], spec.Services[2]
	checks := []struct {
		name      string
		got, want any
	}{
		{"port is the health port", web.Port, 9000},
		{"path", web.Path, "/"},
		{"min healthy", web.MinHealthy.String(), "1"},
		{"no latency", web.Latency, Range{}},
		{"failover after", db.FailoverAfter.Duration, DefaultFailoverAfter},
		{"no failover without primary", web.FailoverAfter.Duration, time.Duration(0)},
		{"explicit port", cache.Port, 6379},
		{"explicit path", cache.Path, "/ping"},
		{"percentage", cache.MinHealthy.String(), "50%"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestValidateRejectsServicesBuiltInGo(t *testing.T) {
	spec := serviceFleet(func(spec *FleetSpec) { spec.Services[0].DependsOn = []string{"cache"} })
	if _, err := New(spec, Options{}); err == nil || !strings.Contains(err.Error(), `services[0].depends_on[0]: unknown service "cache"`) {
		t.Fatalf("New() error = %v, want the unknown dependency", err)
	}
	tooMany := serviceFleet(nil)
	for i := range MaxServices {
		tooMany.Services = append(tooMany.Services, ServiceSpec{Name: fmt.Sprintf("s%d", i), Members: map[string]string{"app": "web"}})
	}
	if _, err := New(tooMany, Options{}); err == nil || !strings.Contains(err.Error(), "255 services; a fleet holds at most 253") {
		t.Fatalf("New() with %d services: %v", len(tooMany.Services), err)
	}
}
