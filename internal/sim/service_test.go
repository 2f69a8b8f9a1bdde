package sim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"gameday/internal/scenario"
)

// serviceFleet is 6 web hosts behind storefront (min_healthy 50%, latency
// 10-100 ms) calling db, 3 hosts with a primary that fails over after 5 s.
// A reboot keeps a host down 10 s, then starting 2 s.
func serviceFleet(edit func(*FleetSpec)) FleetSpec {
	boot := BootSpec{Down: fixed(10 * time.Second), Starting: fixed(2 * time.Second),
		Pending: fixed(5 * time.Second), Stopping: fixed(3 * time.Second)}
	azs := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	spec := FleetSpec{
		Groups: []GroupSpec{
			{Name: "web", Count: 6, AvailabilityZones: azs, Tags: map[string]string{"app": "web"}, Boot: boot},
			{Name: "db", Count: 3, AvailabilityZones: azs, Tags: map[string]string{"app": "db"}, Boot: boot},
		},
		Services: []ServiceSpec{
			{Name: "storefront", Members: map[string]string{"app": "web"},
				MinHealthy: &scenario.Quantity{Percent: &scenario.Percent{Value: 50}},
				Latency:    Range{10 * time.Millisecond, 100 * time.Millisecond}, DependsOn: []string{"db"}},
			{Name: "db", Members: map[string]string{"app": "d*"}, Primary: true,
				FailoverAfter: scenario.Duration{Duration: 5 * time.Second}},
		},
	}
	if edit != nil {
		edit(&spec)
	}
	return spec
}

// answer is one request to a service, served in process.
type answer struct {
	code int
	body serviceAnswer
	took time.Duration // on the bubble's clock: exactly the latency
}

func ask(t *testing.T, s *Sim, name string) answer {
	t.Helper()
	var sv *service
	for _, candidate := range s.services {
		if candidate.spec.Name == name {
			sv = candidate
		}
	}
	if sv == nil {
		t.Fatalf("no service %s", name)
	}
	rec := httptest.NewRecorder()
	start := time.Now()
	s.serviceHandler(sv).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, sv.spec.Path, nil))
	a := answer{code: rec.Code, took: time.Since(start)}
	if err := json.Unmarshal(rec.Body.Bytes(), &a.body); err != nil {
		t.Fatalf("%s answered %d with %q: %v", name, rec.Code, rec.Body, err)
	}
	return a
}

// wantAnswer checks the status code, status and latency of one answer.
func wantAnswer(t *testing.T, got answer, code int, status ServiceStatus, took time.Duration) {
	t.Helper()
	if got.code != code || got.body.Status != status || got.took != took {
		t.Fatalf("got %d %s after %v (%s), want %d %s after %v",
			got.code, got.body.Status, got.took, got.body.Reason, code, status, took)
	}
}

func members(t *testing.T, s *Sim, name string) []string {
	t.Helper()
	v, ok := s.Service(name)
	if !ok {
		t.Fatalf("no service %s", name)
	}
	return v.Members
}

func reboot(t *testing.T, s *Sim, ids ...string) {
	t.Helper()
	if err := s.Reboot(ids); err != nil {
		t.Fatal(err)
	}
}

func TestServiceCapacityAndLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, serviceFleet(nil))
		web := members(t, s, "storefront")
		wantAnswer(t, ask(t, s, "storefront"), 200, ServiceOK, 10*time.Millisecond)
		// min_healthy 50% of 6 is 3: latency climbs 30 ms per missing host
		// from 10 ms to 100 ms at 3 healthy, then the service is down.
		for i, want := range []time.Duration{40, 70, 100} {
			reboot(t, s, web[i])
			got := ask(t, s, "storefront")
			wantAnswer(t, got, 200, ServiceDegraded, want*time.Millisecond)
			if got.body.HealthyMembers != 5-i || got.body.Members != 6 || got.body.MinHealthy != 3 {
				t.Fatalf("body %+v after %d reboots", got.body, i+1)
			}
		}
		reboot(t, s, web[3])
		got := ask(t, s, "storefront")
		wantAnswer(t, got, 503, ServiceDown, 0)
		if want := "2 of 6 members healthy, fewer than min_healthy 3"; got.body.Reason != want {
			t.Errorf("reason %q, want %q", got.body.Reason, want)
		}
		time.Sleep(12 * time.Second) // down 10 s, starting 2 s
		synctest.Wait()
		wantAnswer(t, ask(t, s, "storefront"), 200, ServiceOK, 10*time.Millisecond)
	})
}

func TestServiceDependencyOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, serviceFleet(func(spec *FleetSpec) {
			spec.Services[1].Primary, spec.Services[1].FailoverAfter = false, scenario.Duration{}
			spec.Services[1].Latency = fixed(5 * time.Millisecond)
		}))
		// db's latency adds to storefront's: each request calls it once.
		wantAnswer(t, ask(t, s, "storefront"), 200, ServiceOK, 15*time.Millisecond)
		db := members(t, s, "db")
		reboot(t, s, db[0], db[1])
		wantAnswer(t, ask(t, s, "storefront"), 200, ServiceDegraded, 15*time.Millisecond)
		reboot(t, s, db[2])
		got := ask(t, s, "storefront")
		wantAnswer(t, got, 503, ServiceDown, 0)
		if want := "depends on db, which is down: 0 of 3 members healthy, fewer than min_healthy 1"; got.body.Reason != want {
			t.Errorf("reason %q, want %q", got.body.Reason, want)
		}
		if got.body.HealthyMembers != 6 {
			t.Errorf("storefront's own members: %d healthy, want 6", got.body.HealthyMembers)
		}
		time.Sleep(12 * time.Second)
		synctest.Wait()
		wantAnswer(t, ask(t, s, "storefront"), 200, ServiceOK, 15*time.Millisecond)
	})
}

func TestPrimaryFailover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, serviceFleet(nil))
		db := members(t, s, "db")
		if got := ask(t, s, "db").body.Primary; got != db[0] {
			t.Fatalf("primary %s, want the first member %s", got, db[0])
		}
		reboot(t, s, db[0])
		for _, name := range []string{"db", "storefront"} {
			if got := ask(t, s, name); got.code != 503 || !strings.Contains(got.body.Reason, "failing over") {
				t.Fatalf("%s right after the primary's reboot: %d %q, want 503 failing over", name, got.code, got.body.Reason)
			}
		}
		time.Sleep(5*time.Second - time.Millisecond)
		synctest.Wait()
		wantAnswer(t, ask(t, s, "db"), 503, ServiceDown, 0)
		time.Sleep(time.Millisecond)
		synctest.Wait()
		got := ask(t, s, "db")
		wantAnswer(t, got, 200, ServiceDegraded, 0)
		if got.body.Primary != db[1] {
			t.Fatalf("primary after failover %s, want the first replica %s", got.body.Primary, db[1])
		}
		time.Sleep(7 * time.Second) // the old primary is back: it stays a replica
		synctest.Wait()
		if got := ask(t, s, "db"); got.code != 200 || got.body.Primary != db[1] || got.body.Status != ServiceOK {
			t.Fatalf("after the old primary recovered: %+v", got)
		}
	})
}

func TestReplicaRebootKeepsPrimaryServiceUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, serviceFleet(nil))
		db := members(t, s, "db")
		reboot(t, s, db[2])
		got := ask(t, s, "db")
		wantAnswer(t, got, 200, ServiceDegraded, 0)
		if got.body.Primary != db[0] {
			t.Errorf("primary %s, want %s unchanged", got.body.Primary, db[0])
		}
		wantAnswer(t, ask(t, s, "storefront"), 200, ServiceDegraded, 10*time.Millisecond)
	})
}

func TestFailoverWithoutHealthyReplica(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, serviceFleet(nil))
		db := members(t, s, "db")
		if _, err := s.StopInstances(db[1:], false); err != nil {
			t.Fatal(err)
		}
		reboot(t, s, db[0])
		time.Sleep(6 * time.Second) // failover due at 5 s; nothing to promote
		synctest.Wait()
		got := ask(t, s, "db")
		if got.code != 503 || !strings.Contains(got.body.Reason, "no healthy replica") {
			t.Fatalf("after failover_after with every replica stopped: %d %q", got.code, got.body.Reason)
		}
		time.Sleep(6 * time.Second) // the old primary is back and promoted at once
		synctest.Wait()
		if got := ask(t, s, "db"); got.code != 200 || got.body.Primary != db[0] {
			t.Fatalf("after the old primary recovered: %d, primary %s, want 200 and %s", got.code, got.body.Primary, db[0])
		}
	})
}

func TestInstantFailover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, serviceFleet(func(spec *FleetSpec) { spec.Services[1].FailoverAfter = scenario.Duration{} }))
		db := members(t, s, "db")
		reboot(t, s, db[0])
		if got := ask(t, s, "db"); got.code != 200 || got.body.Primary != db[1] {
			t.Fatalf("failover_after 0: %d, primary %s, want 200 and %s at once", got.code, got.body.Primary, db[1])
		}
	})
}

func TestServiceChangesAreLogged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		core, logs := observer.New(zapcore.DebugLevel)
		s, err := New(serviceFleet(nil), Options{Seed: 1, Logger: zap.New(core)})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		reboot(t, s, members(t, s, "db")[0])
		changes := logs.FilterMessage("service status changed").FilterField(zap.String("to", "down")).All()
		if len(changes) != 2 {
			t.Fatalf("%d services logged as going down, want db and storefront: %v", len(changes), logs.All())
		}
		fields := changes[0].ContextMap()
		if fields["service"] != "storefront" || !strings.Contains(fields["reason"].(string), "depends on db") ||
			!strings.Contains(fields["cause"].(string), "db-01") {
			t.Errorf("storefront's change logged as %v", fields)
		}
		if got := logs.FilterMessage("service primary failed; failing over").Len(); got != 1 {
			t.Errorf("%d failover logs, want 1", got)
		}
	})
}
