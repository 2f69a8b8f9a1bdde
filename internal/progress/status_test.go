package progress

import (
	"testing"
	"time"
)

func sample() Status {
	return Status{
		Wave: 2, Waves: 3, Acted: 7, Size: 10, Recovered: 5, Waiting: true, WaveElapsed: time.Minute,
		Healthy: 58, Monitored: 63, Availability: 99.23, HasAvailability: true,
		Elapsed: 72 * time.Second, ETA: 150 * time.Second,
	}
}

func TestLineRendersEveryField(t *testing.T) {
	want := "wave 2/3 [=======>  ] 7/10 acted · healthy 58/63 · availability 99.2% · elapsed 1m12s · ETA 2m30s"
	if got := Line(sample(), 0); got != want {
		t.Errorf("Line:\n got %q\nwant %q", got, want)
	}
}

func TestLineLeavesOutWhatIsNotKnown(t *testing.T) {
	s := sample()
	s.Monitored, s.HasAvailability, s.ETA = 0, false, -1
	s.Phase, s.MultiPhase = "drain", true
	want := "phase drain, wave 2/3 [=======>  ] 7/10 acted · elapsed 1m12s"
	if got := Line(s, 0); got != want {
		t.Errorf("Line:\n got %q\nwant %q", got, want)
	}
	before := Status{Healthy: 63, Monitored: 63, Elapsed: 4 * time.Second, ETA: 3 * time.Minute}
	want = "before the first wave · healthy 63/63 · elapsed 4s · ETA 3m0s"
	if got := Line(before, 0); got != want {
		t.Errorf("Line before the first wave:\n got %q\nwant %q", got, want)
	}
}

func TestLineFitsTheTerminalWidth(t *testing.T) {
	got := Line(sample(), 20)
	if want := "wave 2/3 [=======> "; got != want {
		t.Errorf("Line(width 20) = %q, want %q (19 columns: the last one would wrap)", got, want)
	}
	// Multi-byte separators count as one column each.
	s := sample()
	full := Line(s, 0)
	if got := Line(s, 200); got != full {
		t.Errorf("a wide terminal cut the line: %q", got)
	}
}

func TestBar(t *testing.T) {
	for _, tt := range []struct {
		done, total int
		want        string
	}{
		{0, 10, "[>         ]"},
		{7, 10, "[=======>  ]"},
		{9, 10, "[=========>]"},
		{10, 10, "[==========]"},
		{1, 3, "[===>      ]"},
		{0, 0, "[==========]"},
		{12, 10, "[==========]"},
	} {
		if got := Bar(tt.done, tt.total, BarWidth); got != tt.want {
			t.Errorf("Bar(%d, %d) = %q, want %q", tt.done, tt.total, got, tt.want)
		}
	}
}

func TestPlainLine(t *testing.T) {
	s := sample()
	if got, want := Plain(s), "wave 2/3: waiting for health, 5/7 recovered, 1m0s elapsed"; got != want {
		t.Errorf("Plain = %q, want %q", got, want)
	}
	s.Phase, s.MultiPhase = "web", true
	if got, want := Plain(s), "phase web, wave 2/3: waiting for health, 5/7 recovered, 1m0s elapsed"; got != want {
		t.Errorf("Plain = %q, want %q", got, want)
	}
}

func TestETA(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   Timing
		want time.Duration
	}{
		{"no estimate, no wave done: unknown", Timing{Elapsed: time.Minute, WavesTotal: 3}, -1},
		{"estimate minus elapsed", Timing{Estimate: 5 * time.Minute, Elapsed: 72 * time.Second, WavesTotal: 3}, 228 * time.Second},
		{"estimate exceeded: zero, never negative", Timing{Estimate: time.Minute, Elapsed: 2 * time.Minute, WavesTotal: 3}, 0},
		{
			// 2 waves in 100 s: 50 s each; 1 left, 10 s already into it.
			"remaining waves times the measured mean",
			Timing{Estimate: time.Hour, WavesDone: 2, WavesTotal: 3, Span: 100 * time.Second, SinceLast: 10 * time.Second},
			40 * time.Second,
		},
		{
			"plus the observation tail",
			Timing{WavesDone: 1, WavesTotal: 3, Span: 30 * time.Second, Tail: time.Minute},
			2 * time.Minute,
		},
		{
			"after the last wave only the tail is left",
			Timing{WavesDone: 3, WavesTotal: 3, Span: 90 * time.Second, SinceLast: 20 * time.Second, Tail: time.Minute},
			40 * time.Second,
		},
		{
			"slower than measured: zero",
			Timing{WavesDone: 3, WavesTotal: 3, Span: 90 * time.Second, SinceLast: 5 * time.Minute},
			0,
		},
	} {
		if got := ETA(tt.in); got != tt.want {
			t.Errorf("%s: ETA = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 1499 * time.Millisecond: "1s", 72 * time.Second: "1m12s", -time.Second: "0s", time.Hour + 2*time.Second: "1h0m2s",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%s) = %q, want %q", d, got, want)
		}
	}
}
