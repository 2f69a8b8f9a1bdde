package sim

import (
	"fmt"
	"regexp"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

func TestServiceViews(t *testing.T) {
	s := startAPIOnly(t, serviceFleet(nil))
	views := s.Services()
	if len(views) != 2 || views[0].Name != "storefront" || views[1].Name != "db" {
		t.Fatalf("services %+v, want storefront and db in spec order", views)
	}
	block := s.addrs.private[0]
	arn := regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/storefront/[0-9a-f]{16}$`)
	lb := regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/storefront/[0-9a-f]{16}$`)
	v := views[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"url", v.URL, fmt.Sprintf("http://127.%d.255.1:8080/", block)},
		{"db url", views[1].URL, fmt.Sprintf("http://127.%d.255.2:8080/", block)},
		{"host", v.Host, fmt.Sprintf("127.%d.255.1", block)},
		{"API-only: not listening", v.Listening, false},
		{"members", len(v.Members), 6},
		{"min healthy", v.MinHealthy, 3},
		{"status", v.Status, ServiceOK},
		{"latency", v.Latency, 10 * time.Millisecond},
		{"no primary", v.Primary, ""},
		{"db primary", views[1].Primary, views[1].Members[0]},
		{"depends on", fmt.Sprint(v.DependsOn), "[db]"},
		{"target group arn", arn.MatchString(v.TargetGroupARN), true},
		{"load balancer arn", lb.MatchString(v.LoadBalancerARN), true},
		{"target port", v.TargetPort, 8080},
		{"health check path", v.HealthCheckPath, "/healthz"},
		{"zones", len(v.Zones), 3},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	if again := s.Services()[0]; again.URL != v.URL {
		t.Errorf("URL changed within a run: %s, then %s", v.URL, again.URL)
	}
}

func TestServiceARNsFollowTheSeed(t *testing.T) {
	arns := func(seed uint64) string {
		s, err := New(serviceFleet(nil), Options{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		v := s.Services()[0]
		return v.TargetGroupARN + " " + v.LoadBalancerARN
	}
	if arns(7) != arns(7) {
		t.Error("the same seed gave different ARNs")
	}
	if arns(7) == arns(8) {
		t.Error("different seeds gave the same ARNs")
	}
}

func TestMembersAreInFleetOrder(t *testing.T) {
	s := startAPIOnly(t, serviceFleet(nil))
	var names []string
	for _, id := range members(t, s, "db") {
		names = append(names, view(t, s, id).Tags["Name"])
	}
	if !slices.Equal(names, []string{"db-01", "db-02", "db-03"}) {
		t.Errorf("db members %v, want db-01, db-02, db-03", names)
	}
}

// targetOf returns the target health of one member of storefront.
func targetOf(t *testing.T, s *Sim, id string) TargetHealth {
	t.Helper()
	v, _ := s.Service("storefront")
	targets, ok := s.TargetHealth(v.TargetGroupARN)
	if !ok {
		t.Fatal("no target group for storefront")
	}
	for _, th := range targets {
		if th.InstanceID == id {
			return th
		}
	}
	t.Fatalf("%s is not a target", id)
	return TargetHealth{}
}

func wantTarget(t *testing.T, s *Sim, id string, after time.Duration, state, reason, description string) {
	t.Helper()
	time.Sleep(after)
	synctest.Wait()
	got := targetOf(t, s, id)
	if got.State != state || got.Reason != reason || got.Description != description || got.Port != 8080 {
		t.Fatalf("after %v more: %+v, want %s %s %q on 8080", after, got, state, reason, description)
	}
}

func TestTargetHealthFollowsTheLifecycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, serviceFleet(nil))
		id := members(t, s, "storefront")[0]
		wantTarget(t, s, id, 0, TargetHealthy, "", "")

		reboot(t, s, id)
		wantTarget(t, s, id, 0, TargetUnhealthy, "Target.FailedHealthChecks", "Health checks failed")
		wantTarget(t, s, id, 10*time.Second, TargetUnhealthy, "Target.ResponseCodeMismatch", "Health checks failed with these codes: [503]")
		wantTarget(t, s, id, 2*time.Second, TargetHealthy, "", "")

		if _, err := s.StopInstances([]string{id}, false); err != nil {
			t.Fatal(err)
		}
		wantTarget(t, s, id, 0, TargetUnused, "Target.InvalidState", "Target is in an invalid state")
		wantTarget(t, s, id, 3*time.Second, TargetUnused, "Target.InvalidState", "Target is in the stopped state")

		if _, err := s.StartInstances([]string{id}); err != nil {
			t.Fatal(err)
		}
		wantTarget(t, s, id, 0, TargetUnused, "Target.InvalidState", "Target is in an invalid state")
		wantTarget(t, s, id, 5*time.Second, TargetInitial, "Elb.InitialHealthChecking", "Initial health checks in progress")
		wantTarget(t, s, id, 2*time.Second, TargetHealthy, "", "")
	})
}

func TestTargetHealthOfHungAndBrokenHosts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := startAPIOnly(t, serviceFleet(func(spec *FleetSpec) {
			spec.Groups[0].Boot.Unreachable = UnreachableHang
			spec.Groups[0].Boot.BrokenProbability = 1
		}))
		id := members(t, s, "storefront")[0]
		reboot(t, s, id)
		wantTarget(t, s, id, 0, TargetUnhealthy, "Target.Timeout", "Request timed out")
		wantTarget(t, s, id, 12*time.Second, TargetUnhealthy, "Target.ResponseCodeMismatch", "Health checks failed with these codes: [500]")
	})
}

func TestTargetHealthOfUnknownGroup(t *testing.T) {
	s := startAPIOnly(t, serviceFleet(nil))
	if _, ok := s.TargetHealth("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nope/0123456789abcdef"); ok {
		t.Error("an unknown target group was found")
	}
}
