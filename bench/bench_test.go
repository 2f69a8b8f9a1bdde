package main

import (
	"strings"
	"testing"
	"time"

	"gameday/internal/sim"
)

func TestSpliceReplacesOnlyTheBlock(t *testing.T) {
	doc := "# Benchmarks\n\nintro\n\n" + beginMarker + "\nold figures\n" + endMarker + "\n\n## Machines\n"
	got, err := splice([]byte(doc), "new figures\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# Benchmarks\n\nintro\n\n" + beginMarker + "\nnew figures\n" + endMarker + "\n\n## Machines\n"
	if string(got) != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	for _, bad := range []string{"no markers", beginMarker + endMarker + beginMarker + endMarker, endMarker + beginMarker} {
		if _, err := splice([]byte(bad), "x"); err == nil {
			t.Errorf("splice(%q) succeeded, want an error", bad)
		}
	}
}

func TestStats(t *testing.T) {
	for _, tt := range []struct {
		in           []float64
		lo, med, max float64
	}{
		{[]float64{3, 1, 2}, 1, 2, 3},
		{[]float64{4, 1, 3, 2}, 1, 2.5, 4},
		{[]float64{7}, 7, 7, 7},
	} {
		lo, med, hi := stats(tt.in)
		if lo != tt.lo || med != tt.med || hi != tt.max {
			t.Errorf("stats(%v) = %v %v %v, want %v %v %v", tt.in, lo, med, hi, tt.lo, tt.med, tt.max)
		}
	}
}

// TestRateLimitBound: the issue-5 acceptance test's figure, 1 DryRun and
// 100 reboots on the mutating bucket (50, 5 a second): the 101st call at
// (101-50)/5 = 10.2 s. Throttled calls take no tokens; reads take from
// their own bucket.
func TestRateLimitBound(t *testing.T) {
	var recs []sim.AuditRecord
	recs = append(recs, sim.AuditRecord{Action: "GetCallerIdentity"}, sim.AuditRecord{Action: "DescribeInstances"},
		sim.AuditRecord{Action: "RebootInstances", DryRun: true, InstanceIDs: make([]string, 1000)})
	for range 100 {
		recs = append(recs, sim.AuditRecord{Action: "RebootInstances", InstanceIDs: make([]string, 10)},
			sim.AuditRecord{Action: "RebootInstances", ErrorCode: "RequestLimitExceeded"})
	}
	if got, want := rateLimitBound(recs), 10200*time.Millisecond; got != want {
		t.Errorf("bound %v, want %v", got, want)
	}
	// 2,000 starts after the StartInstances burst of 1,000: 500 s at 2 a second.
	recs = nil
	for range 20 {
		recs = append(recs, sim.AuditRecord{Action: "StartInstances", InstanceIDs: make([]string, 100)})
	}
	if got, want := rateLimitBound(recs), 500*time.Second; got != want {
		t.Errorf("stop-start bound %v, want %v", got, want)
	}
}

func TestRowMet(t *testing.T) {
	r := &row{values: []float64{1.05, 1.08, 1.2}, target: atMost(1.10, "≤ 1.10")}
	if got := r.met(); !strings.HasPrefix(got, "median yes, 2 of 3") {
		t.Errorf("met = %q", got)
	}
	r.values = []float64{1.2, 1.3, 1.0}
	if got := r.met(); got != "**no**" {
		t.Errorf("met = %q", got)
	}
	r.values = []float64{1, 1}
	if got := r.met(); got != "yes" {
		t.Errorf("met = %q", got)
	}
	if got := (&row{values: []float64{3}, target: aim("minimal")}).met(); got != "" {
		t.Errorf("an aim without a threshold: met = %q, want none", got)
	}
}

func TestFormat(t *testing.T) {
	for _, tt := range []struct {
		u    unit
		v    float64
		want string
	}{
		{unitCount, 1234567, "1,234,567"},
		{unitSeconds, 0.123, "0.12 s"},
		{unitSeconds, 512.4, "512 s"},
		{unitMillis, 0.4321, "0.432 ms"},
		{unitRatio, 1.0734, "1.073×"},
		{unitRatio, 23.46, "23.5×"},
		{unitRate, 4999.6, "5,000/s"},
	} {
		if got := formatValue(tt.u, tt.v); got != tt.want {
			t.Errorf("formatValue(%v, %v) = %q, want %q", tt.u, tt.v, got, tt.want)
		}
	}
}
