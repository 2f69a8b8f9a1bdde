package ratelimit

import (
	"reflect"
	"testing"
)

func TestNeedsFor(t *testing.T) {
	tests := []struct {
		action   string
		ids      int
		filtered bool
		want     []Need
	}{
		{"DescribeInstances", 0, false, []Need{{UnfilteredDescribeRequests, 1}}},
		{"DescribeInstances", 0, true, []Need{{DescribeRequests, 1}}},
		{"DescribeInstances", 3, false, []Need{{UnfilteredDescribeRequests, 1}}},
		{"DescribeInstanceStatus", 0, false, []Need{{UnfilteredDescribeRequests, 1}}},
		{"DescribeInstanceStatus", 0, true, []Need{{DescribeRequests, 1}}},
		{"DescribeAvailabilityZones", 0, false, []Need{{DescribeRequests, 1}}},
		{"RebootInstances", 100, false, []Need{{MutatingRequests, 1}}},
		{"StopInstances", 100, false, []Need{{MutatingRequests, 1}, {StopInstances, 100}}},
		{"StopInstances", 0, false, []Need{{MutatingRequests, 1}}},
		{"StartInstances", 7, false, []Need{{StartRequests, 1}, {StartInstances, 7}}},
		{"TerminateInstances", 2, false, []Need{{TerminateRequests, 1}, {TerminateInstances, 2}}},
		{"RunInstances", 4, false, []Need{{RunRequests, 1}, {RunInstances, 4}}},
		{"CreateTags", 1000, false, []Need{{TagRequests, 1}}},
		{"DeleteTags", 1, false, []Need{{TagRequests, 1}}},
		{"ModifyInstanceAttribute", 1, false, []Need{{MutatingRequests, 1}}},
		{"GetConsoleOutput", 1, false, []Need{{DescribeRequests, 1}}},
		{"GetCallerIdentity", 0, false, nil},
		{"DescribeTargetHealth", 0, false, nil},
	}
	for _, tt := range tests {
		got := NeedsFor(tt.action, tt.ids, tt.filtered)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("NeedsFor(%s, %d, %v)\n got %v\nwant %v", tt.action, tt.ids, tt.filtered, got, tt.want)
		}
	}
}

// TestBucketFigures pins the table of ec2-api.md: a typo here would make
// the simulator, the estimate and client pacing agree on a wrong EC2.
func TestBucketFigures(t *testing.T) {
	tests := []struct {
		b                Bucket
		capacity, refill float64
	}{
		{DescribeRequests, 100, 20},
		{UnfilteredDescribeRequests, 50, 10},
		{MutatingRequests, 50, 5},
		{StartRequests, 5, 2},
		{RunRequests, 5, 2},
		{TerminateRequests, 100, 5},
		{TagRequests, 100, 10},
		{StopInstances, 1000, 20},
		{StartInstances, 1000, 2},
		{TerminateInstances, 1000, 20},
		{RunInstances, 1000, 2},
	}
	names := map[string]bool{}
	for _, tt := range tests {
		if tt.b.Capacity != tt.capacity || tt.b.RefillPerSecond != tt.refill {
			t.Errorf("%s: %v/%v per s, want %v/%v", tt.b.Name, tt.b.Capacity, tt.b.RefillPerSecond, tt.capacity, tt.refill)
		}
		if names[tt.b.Name] {
			t.Errorf("two buckets named %q: the Ledger keys buckets by name", tt.b.Name)
		}
		names[tt.b.Name] = true
	}
}
