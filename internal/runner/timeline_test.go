package runner

import (
	"testing"
	"time"

	"gameday/internal/report"
	"gameday/internal/score"
	"gameday/internal/verify"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

func TestDowntime(t *testing.T) {
	tr := func(sec float64, healthy bool) verify.Transition {
		return verify.Transition{At: at(sec), Healthy: healthy}
	}
	cases := []struct {
		name  string
		acted float64
		trans []verify.Transition
		end   float64
		want  time.Duration
	}{
		{"never acted", 0, []verify.Transition{tr(0, true), tr(5, false)}, 60, 0},
		{"one outage", 10, []verify.Transition{tr(0, true), tr(12, false), tr(40, true)}, 60, 28 * time.Second},
		// Flapping: 12..20 and 30..35 down = 13 s.
		{"flaps add up", 10, []verify.Transition{tr(0, true), tr(12, false), tr(20, true), tr(30, false), tr(35, true)}, 60, 13 * time.Second},
		// Still down at the end: 50..60.
		{"never recovered", 10, []verify.Transition{tr(0, true), tr(50, false)}, 60, 10 * time.Second},
		// Already down before the action: counted from the action, 10..15.
		{"down before the action", 10, []verify.Transition{tr(0, false), tr(15, true)}, 60, 5 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := verify.InstanceHealth{Transitions: c.trans}
			if c.acted > 0 {
				h.ActedAt = at(c.acted)
			}
			if got := downtime(h, at(c.end)); got != c.want {
				t.Errorf("downtime = %s, want %s", got, c.want)
			}
		})
	}
}

func TestServiceRecord(t *testing.T) {
	ms := time.Millisecond
	samples := []verify.Sample{
		{At: at(0), OK: true, Latency: 10 * ms},
		{At: at(1), OK: false, Detail: "HTTP 503"},
		{At: at(2), OK: false, Detail: "HTTP 503"},
		{At: at(3), OK: true, Latency: 30 * ms},
		{At: at(4), OK: false, Detail: "connection refused"},
		{At: at(5), OK: true, Latency: 20 * ms},
	}
	svc := serviceRecord("web", "http://127.0.0.1:1/", samples, at(0), at(6))
	// 3 of 6 ok; outages 1..3 (2 s) and 4..5 (1 s): longest 2 s.
	if svc.Probes != 6 || svc.Failures != 3 || svc.Availability != 50 {
		t.Errorf("counts = %d probes, %d failures, %.1f%%; want 6, 3, 50%%", svc.Probes, svc.Failures, svc.Availability)
	}
	if svc.LongestOutageSeconds != 2 {
		t.Errorf("longest outage = %vs, want 2s", svc.LongestOutageSeconds)
	}
	// Latencies of answered probes 10, 20, 30 ms: nearest-rank p50 20, p95 30.
	if svc.LatencyP50Ms != 20 || svc.LatencyP95Ms != 30 || svc.LatencyP99Ms != 30 {
		t.Errorf("latency p50/p95/p99 = %v/%v/%v ms, want 20/30/30", svc.LatencyP50Ms, svc.LatencyP95Ms, svc.LatencyP99Ms)
	}
	wantTransitions := []bool{true, false, true, false, true}
	if len(svc.Transitions) != len(wantTransitions) {
		t.Fatalf("transitions = %+v, want %d", svc.Transitions, len(wantTransitions))
	}
	for i, healthy := range wantTransitions {
		if svc.Transitions[i].Healthy != healthy {
			t.Errorf("transition %d healthy = %v, want %v", i, svc.Transitions[i].Healthy, healthy)
		}
	}
	// Six seconds in one-second buckets, one sample each.
	if len(svc.Timeline) != 6 || svc.Timeline[1].OK != 0 || svc.Timeline[1].Total != 1 || svc.Timeline[5].OK != 1 {
		t.Errorf("timeline = %+v", svc.Timeline)
	}
}

func TestServiceOutageUntilTheEnd(t *testing.T) {
	samples := []verify.Sample{{At: at(0), OK: true}, {At: at(10), OK: false}, {At: at(25), OK: false}}
	if got := serviceRecord("db", "", samples, at(0), at(30)).LongestOutageSeconds; got != 15 {
		t.Errorf("longest outage = %vs, want 15s (first failure to last probe)", got)
	}
}

func TestBucketsStayBounded(t *testing.T) {
	var samples []verify.Sample
	for i := range 3600 {
		samples = append(samples, verify.Sample{At: at(float64(i)), OK: i%2 == 0})
	}
	got := buckets(samples, at(0), at(3600))
	if len(got) > maxBuckets {
		t.Fatalf("%d buckets for an hour, want at most %d", len(got), maxBuckets)
	}
	total := 0
	for _, b := range got {
		total += b.Total
	}
	if total != len(samples) {
		t.Errorf("buckets hold %d samples, want %d", total, len(samples))
	}
}

func TestWaveOutcomes(t *testing.T) {
	waves := []report.Wave{{Index: 1}, {Index: 2}}
	instances := []report.Instance{{InstanceID: "a"}, {InstanceID: "b"}, {InstanceID: "c"}}
	outcomes := []score.Outcome{
		{InstanceID: "a", Wave: 1, Recovered: true, Recovery: 10 * time.Second},
		{InstanceID: "b", Wave: 1},
		{InstanceID: "c", Wave: 2, Recovered: true, Recovery: 30 * time.Second},
	}
	waveOutcomes(waves, instances, outcomes)
	if waves[0].Acted != 2 || waves[0].Recovered != 1 || waves[0].Recovery.MaxSeconds != 10 {
		t.Errorf("wave 1 = %+v", waves[0])
	}
	if waves[1].Acted != 1 || waves[1].Recovered != 1 || waves[1].Recovery.P95Seconds != 30 {
		t.Errorf("wave 2 = %+v", waves[1])
	}
}
