package replay

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2024, 3, 12, 14, 0, 0, 0, time.UTC)

// ev builds an event at t0+offset: "i-1" is an instance, "us-east-1a" a
// zone row of n instances, "us-east-1a%" a zone row of n percent.
func ev(offset time.Duration, kind Kind, target string, n int) Event {
	e := Event{Time: t0.Add(offset), Kind: kind, Source: fmt.Sprintf("f:%d/%s", int(offset.Seconds()), target), Call: string(kind)}
	switch {
	case strings.HasPrefix(target, "i-"):
		e.Instance = target
	case strings.HasSuffix(target, "%"):
		e.AZ, e.Percent = strings.TrimSuffix(target, "%"), float64(n)
	default:
		e.AZ, e.Count = target, n
	}
	return e
}

// describe prints a disruption as "+0s stop i-1 until +2m0s" or
// "... terminated".
func describe(d Disruption) string {
	s := fmt.Sprintf("+%s %s %s", d.Time.Sub(t0), d.Kind, d.Unit)
	if d.Percent > 0 {
		s += fmt.Sprintf(" %g%%", d.Percent)
	}
	if !d.End.IsZero() {
		s += fmt.Sprintf(" until +%s", d.End.Sub(t0))
	}
	if d.Terminated {
		s += " terminated"
	}
	return s
}

func TestReplayReconstruct(t *testing.T) {
	t.Parallel()
	m := time.Minute
	tests := []struct {
		name    string
		events  []Event
		want    []string
		dropped map[Skip]int
	}{
		{
			name:   "a stop and its start pair up; a reboot stands alone",
			events: []Event{ev(0, KindStop, "i-1", 0), ev(m, KindReboot, "i-2", 0), ev(3*m, KindStart, "i-1", 0)},
			want:   []string{"+0s stop i-1 until +3m0s", "+1m0s reboot i-2"},
		},
		{
			name: "a second stop, a reboot of a stopped instance and a start of a running one are dropped",
			events: []Event{
				ev(0, KindStop, "i-1", 0), ev(10*time.Second, KindStop, "i-1", 0), ev(20*time.Second, KindReboot, "i-1", 0),
				ev(m, KindStart, "i-1", 0), ev(2*m, KindStart, "i-1", 0),
			},
			want: []string{"+0s stop i-1 until +1m0s"},
			dropped: map[Skip]int{
				{"stops of instances already stopped", "stop"}: 1, {"reboots of stopped instances", "reboot"}: 1,
				{"starts of instances the file never stopped", "start"}: 1,
			},
		},
		{
			name:   "a stop followed by a terminate is one terminated disruption; later events are dropped",
			events: []Event{ev(0, KindStop, "i-1", 0), ev(m, KindTerminate, "i-1", 0), ev(2*m, KindStart, "i-1", 0), ev(2*m, KindTerminate, "i-2", 0)},
			want:   []string{"+0s stop i-1 terminated", "+2m0s terminate i-2 terminated"},
			dropped: map[Skip]int{
				{"events after a termination", "start"}: 1,
			},
		},
		{
			name:   "an impairment ends with a recovery; a force stop with a start; a stop never started stays open",
			events: []Event{ev(0, KindImpaired, "i-1", 0), ev(0, KindForceStop, "i-2", 0), ev(0, KindStop, "i-3", 0), ev(5*m, KindRecovered, "i-1", 0), ev(6*m, KindStart, "i-2", 0)},
			want:   []string{"+0s impaired i-1 until +5m0s", "+0s force-stop i-2 until +6m0s", "+0s stop i-3"},
		},
		{
			name: "zone rows: first stopped, first started; extra starts are dropped",
			events: []Event{
				ev(0, KindStop, "us-east-1a", 2), ev(m, KindStop, "us-east-1a", 1), ev(m, KindReboot, "us-east-1b", 2),
				ev(3*m, KindStart, "us-east-1a", 2), ev(4*m, KindStart, "us-east-1a", 2),
			},
			want: []string{
				"+0s stop f:0/us-east-1a#1 until +3m0s", "+0s stop f:0/us-east-1a#2 until +3m0s", "+1m0s stop f:60/us-east-1a#1 until +4m0s",
				"+1m0s reboot f:60/us-east-1b#1", "+1m0s reboot f:60/us-east-1b#2",
			},
			dropped: map[Skip]int{{"starts of instances the file never stopped", "start"}: 1},
		},
		{
			name:   "percent rows pair one to one per zone",
			events: []Event{ev(0, KindStop, "us-east-1a%", 25), ev(m, KindStop, "us-east-1b%", 10), ev(2*m, KindStart, "us-east-1a%", 25), ev(3*m, KindStart, "us-east-1c%", 5)},
			want:   []string{"+0s stop f:0/us-east-1a% 25% until +2m0s", "+1m0s stop f:60/us-east-1b% 10%"},
			dropped: map[Skip]int{
				{"starts of instances the file never stopped", "start"}: 1,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ds, dropped := Reconstruct(tt.events)
			var got []string
			for _, d := range ds {
				got = append(got, describe(d))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("disruptions:\n got %q\nwant %q", got, tt.want)
			}
			if tt.dropped == nil {
				tt.dropped = map[Skip]int{}
			}
			if fmt.Sprint(dropped) != fmt.Sprint(tt.dropped) {
				t.Errorf("dropped: got %v, want %v", dropped, tt.dropped)
			}
		})
	}
}
