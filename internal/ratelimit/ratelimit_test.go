package ratelimit

import (
	"testing"
	"time"
)

// drain runs calls back to back from time 0 and returns when the last began.
func drain(calls []Call) time.Duration {
	l := NewLedger()
	var now time.Duration
	for _, c := range calls {
		now = l.Reserve(now, c)
	}
	return now
}

func TestBurstThenRefill(t *testing.T) {
	tests := []struct {
		name  string
		calls []Call
		want  time.Duration
	}{
		// 50 reboot calls fit the burst; 10 more need 10 tokens at 5/s.
		{"reboot burst", CallsFor(OpReboot, 50, 1), 0},
		{"reboot beyond burst", CallsFor(OpReboot, 60, 1), 2 * time.Second},
		// 10,000 reboots at 100 ids per call: 100 calls, 50 in the burst,
		// the 100th waits 50 tokens / 5 per second.
		{"10k reboots", CallsFor(OpReboot, 10000, 100), 10 * time.Second},
		// Starting 2,000: 20 calls of 100; the start request bucket (5, 2/s)
		// lets the 20th go at 7.5 s, but the resource bucket (1000, 2/s)
		// is empty after 10 calls, and each further 100 instances take 50 s.
		{"2k starts", CallsFor(OpStart, 2000, 100), 500 * time.Second},
		// 2,000 stops: stop resource bucket 1000 + 20/s: the 11th call of
		// 100 waits 5 s, the 20th 50 s.
		{"2k stops", CallsFor(OpStop, 2000, 100), 50 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := drain(tt.calls); got != tt.want {
				t.Errorf("last call at %v, want %v", got, tt.want)
			}
		})
	}
}

func TestACallLargerThanTheBucketWaitsForAFullBucket(t *testing.T) {
	l := NewLedger()
	big := Call{Op: OpStart, Needs: []Need{{StartInstances, 1500}}}
	if got := l.Reserve(0, big); got != 0 {
		t.Fatalf("first oversized call at %v, want at once (bucket full)", got)
	}
	// The bucket is now at -500: the next single instance waits 501/2 s.
	small := Call{Op: OpStart, Needs: []Need{{StartInstances, 1}}}
	if got, want := l.Reserve(0, small), 250500*time.Millisecond; got != want {
		t.Errorf("next call at %v, want %v", got, want)
	}
}

func TestRefillIsCappedAtCapacity(t *testing.T) {
	l := NewLedger()
	for range 50 {
		l.Reserve(0, Call{Needs: []Need{{MutatingRequests, 1}}})
	}
	// After an hour idle the bucket holds 50, not 18,000.
	var now time.Duration = time.Hour
	for i := range 51 {
		got := l.Reserve(now, Call{Needs: []Need{{MutatingRequests, 1}}})
		if i < 50 && got != time.Hour {
			t.Fatalf("call %d waited until %v after an idle hour", i, got)
		}
		if i == 50 && got != time.Hour+200*time.Millisecond {
			t.Fatalf("51st call at %v, want 200ms after the burst", got)
		}
		now = got
	}
}
