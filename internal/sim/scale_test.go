package sim

import (
	"net/http"
	"os"
	"runtime"
	"testing"
)

// scaleFleet is n instances in three zones, 80% of them opted in.
func scaleFleet(n int) FleetSpec {
	azs := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	optIn := n * 4 / 5
	return FleetSpec{Groups: []GroupSpec{
		{Name: "web", Count: optIn, AvailabilityZones: azs, Tags: map[string]string{"app": "web", "gameday": "opt-in"}},
		{Name: "legacy", Count: n - optIn, AvailabilityZones: azs, Tags: map[string]string{"app": "web"}},
	}}
}

// openFiles counts this process's open file descriptors (Linux).
func openFiles(t testing.TB) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count open files: %v", err)
	}
	return len(entries)
}

// TestFiveThousandListenersFitTheFileLimit holds the simulator to one file
// descriptor per listening instance plus a sentinel: 5,000 instances must
// fit under a 20,000 open-file limit with room to spare.
func TestFiveThousandListenersFitTheFileLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("binds 5,000 listeners")
	}
	before := openFiles(t)
	s, err := New(scaleFleet(5000), Options{Seed: 1, Listeners: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	const slack = 8 // the runtime's poller and the like
	if used := openFiles(t) - before; used > 5000+1+slack {
		t.Errorf("5,000 listening instances hold %d files, want at most %d", used, 5001+slack)
	}
	views := s.Describe()
	for _, v := range []InstanceView{views[0], views[2500], views[4999]} {
		if got := probe(t, s.HealthURL(v.ID)); got != http.StatusOK {
			t.Errorf("%s: %d, want 200", v.PrivateIP, got)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if left := openFiles(t) - before; left > slack {
		t.Errorf("%d files still open after Close", left)
	}
}

func TestHundredThousandAPIOnly(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds 100,000 instances")
	}
	s := startAPIOnly(t, scaleFleet(100_000))
	if n := len(s.addrs.private); n != 2 {
		t.Errorf("100,000 instances span %d blocks, want 2", n)
	}
	seen := make(map[string]bool, len(s.instances))
	for _, in := range s.instances {
		ip := s.privateIPLocked(in)
		if seen[ip] || ip == "" {
			t.Fatalf("address %q given twice", ip)
		}
		seen[ip] = true
	}
	// A page resumes after its token's id and says whether more follow.
	ids := s.instances
	page, more := s.Select(Query{After: ids[49_999].id, Limit: 1000})
	if len(page) != 1000 || !more || page[0].ID != ids[50_000].id || page[999].ID != ids[50_999].id {
		t.Errorf("middle page: %d views from %s, more %v", len(page), page[0].ID, more)
	}
	last, more := s.Select(Query{After: ids[99_499].id, Limit: 1000})
	if len(last) != 500 || more {
		t.Errorf("last page: %d views, more %v; want 500 and no more", len(last), more)
	}
}

func BenchmarkStart5000Listeners(b *testing.B) {
	spec := scaleFleet(5000)
	for b.Loop() {
		s := startMeasured(b, spec, Options{Seed: 1, Listeners: true})
		b.StopTimer()
		b.ReportMetric(float64(openFiles(b)), "open-files")
		_ = s.Close()
		b.StartTimer()
	}
}

func BenchmarkNew100000APIOnly(b *testing.B) {
	spec := scaleFleet(100_000)
	var heap float64
	for b.Loop() {
		before := heapInUse()
		s := startMeasured(b, spec, Options{Seed: 1})
		b.StopTimer()
		heap = float64(heapInUse()-before) / 100_000
		runtime.KeepAlive(s)
		_ = s.Close()
		b.StartTimer()
	}
	b.ReportMetric(heap, "heap-B/instance")
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkSelectPage100000 is the simulator's side of one DescribeInstances
// page of 1,000 from the middle of a 100,000-instance fleet (no XML, no
// HTTP): unfiltered, a filter 80% pass, and one none pass (a full scan).
func BenchmarkSelectPage100000(b *testing.B) {
	s, err := New(scaleFleet(100_000), Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	middle := s.instances[50_000].id
	optedIn := func(v *InstanceView) bool { value, _ := v.Tag("gameday"); return value == "opt-in" }
	cases := []struct {
		name  string
		query Query
	}{
		{"unfiltered", Query{After: middle, Limit: 1000}},
		{"opt-in-80pct", Query{After: middle, Limit: 1000, Match: optedIn}},
		{"sparse-full-scan", Query{Limit: 1000, Match: func(v *InstanceView) bool { return v.InstanceType == "m5.large" }}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				s.Select(c.query)
			}
		})
	}
}
