package runner

import (
	"slices"
	"time"

	"gameday/internal/report"
	"gameday/internal/score"
	"gameday/internal/verify"
)

// maxBuckets bounds a service's availability timeline: enough to see a
// wave's dip, few enough to draw and to keep report.json small.
const maxBuckets = 120

// transitions converts the monitor's transitions for the report.
func transitions(in []verify.Transition) []report.Transition {
	out := make([]report.Transition, len(in))
	for i, t := range in {
		out[i] = report.Transition{At: t.At.UTC(), Healthy: t.Healthy, Detail: t.Detail}
	}
	return out
}

// downtime is the time an acted-on instance spent unhealthy after its
// action, up to end: every unhealthy stretch counts, flaps included.
func downtime(h verify.InstanceHealth, end time.Time) time.Duration {
	if h.ActedAt.IsZero() {
		return 0
	}
	var total time.Duration
	var downSince time.Time
	for _, t := range h.Transitions {
		at := maxTime(t.At, h.ActedAt)
		switch {
		case !t.Healthy && downSince.IsZero():
			downSince = at
		case t.Healthy && !downSince.IsZero():
			total += max(0, at.Sub(downSince))
			downSince = time.Time{}
		}
	}
	if !downSince.IsZero() {
		total += max(0, end.Sub(maxTime(downSince, h.ActedAt)))
	}
	return total
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// serviceRecord summarises one service's samples: availability, longest
// outage, latency percentiles, transitions and a bucketed timeline.
func serviceRecord(name, url string, samples []verify.Sample, from, to time.Time) report.Service {
	svc := report.Service{Name: name, URL: url, Transitions: []report.Transition{}, Timeline: []report.Bucket{}}
	var latencies []time.Duration
	var outageStart time.Time
	var longest time.Duration
	for i, s := range samples {
		svc.Probes++
		if s.OK {
			latencies = append(latencies, s.Latency)
		} else {
			svc.Failures++
		}
		if i == 0 || samples[i-1].OK != s.OK {
			svc.Transitions = append(svc.Transitions, report.Transition{At: s.At.UTC(), Healthy: s.OK, Detail: s.Detail})
		}
		switch {
		case !s.OK && outageStart.IsZero():
			outageStart = s.At
		case s.OK && !outageStart.IsZero():
			longest = max(longest, s.At.Sub(outageStart))
			outageStart = time.Time{}
		}
	}
	if !outageStart.IsZero() {
		longest = max(longest, samples[len(samples)-1].At.Sub(outageStart))
	}
	svc.Availability = score.ServiceOutcome{Name: name, OK: svc.Probes - svc.Failures, Total: svc.Probes}.Availability()
	svc.LongestOutageSeconds = report.Seconds(longest)
	slices.Sort(latencies)
	svc.LatencyP50Ms = millis(score.Percentile(latencies, 50))
	svc.LatencyP95Ms = millis(score.Percentile(latencies, 95))
	svc.LatencyP99Ms = millis(score.Percentile(latencies, 99))
	svc.Timeline = buckets(samples, from, to)
	return svc
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// buckets splits [from, to) into at most maxBuckets equal whole seconds and
// counts the samples sent in each.
func buckets(samples []verify.Sample, from, to time.Time) []report.Bucket {
	span := to.Sub(from)
	if span <= 0 || len(samples) == 0 {
		return []report.Bucket{}
	}
	width := max(time.Second, (span/maxBuckets).Truncate(time.Second)+time.Second)
	n := int((span + width - 1) / width)
	out := make([]report.Bucket, n)
	for i := range out {
		out[i] = report.Bucket{Start: from.Add(time.Duration(i) * width).UTC(), Seconds: report.Seconds(width)}
	}
	for _, s := range samples {
		i := int(s.At.Sub(from) / width)
		if i < 0 || i >= n {
			continue
		}
		out[i].Total++
		if s.OK {
			out[i].OK++
		}
	}
	return out
}

// recoveryRecord converts recovery statistics for the report.
func recoveryRecord(outcomes []score.Outcome) report.Recovery {
	st := score.RecoveryStats(outcomes)
	return report.Recovery{
		Count: st.Count, MinSeconds: report.Seconds(st.Min), P50Seconds: report.Seconds(st.P50),
		P95Seconds: report.Seconds(st.P95), MaxSeconds: report.Seconds(st.Max),
	}
}

// waveOutcomes fills each wave's acted, recovered and recovery figures.
func waveOutcomes(waves []report.Wave, instances []report.Instance, outcomes []score.Outcome) {
	type key struct {
		phase string
		wave  int
	}
	phaseOf := make(map[string]string, len(instances))
	for _, in := range instances {
		phaseOf[in.InstanceID] = in.Phase
	}
	byWave := map[key][]score.Outcome{}
	for _, o := range outcomes {
		k := key{phaseOf[o.InstanceID], o.Wave}
		byWave[k] = append(byWave[k], o)
	}
	for i := range waves {
		list := byWave[key{waves[i].Phase, waves[i].Index}]
		waves[i].Acted = len(list)
		for _, o := range list {
			if o.Recovered {
				waves[i].Recovered++
			}
		}
		waves[i].Recovery = recoveryRecord(list)
	}
}
