package execute

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"

	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/verify"
)

type fakeProvider struct {
	mu     sync.Mutex
	calls  [][]string
	at     []time.Time
	failOn int // 1-based call number that fails; 0 = never
}

func (f *fakeProvider) Reboot(_ context.Context, ids []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, ids)
	f.at = append(f.at, time.Now())
	if len(f.calls) == f.failOn {
		return errors.New("boom")
	}
	return nil
}

// fakeGate recovers every instance after recoverAfter, except those in never.
type fakeGate struct {
	recoverAfter time.Duration
	never        map[string]bool
}

func (g *fakeGate) MarkActed([]string, time.Time) {}

func (g *fakeGate) WaitRecovered(ctx context.Context, ids []string, timeout time.Duration) (verify.GateResult, error) {
	var res verify.GateResult
	for _, id := range ids {
		if g.never[id] {
			res.Pending = append(res.Pending, id)
		} else {
			res.Recovered = append(res.Recovered, id)
		}
	}
	wait := g.recoverAfter
	if len(res.Pending) > 0 {
		wait, res.TimedOut = timeout, true
	}
	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-time.After(wait):
		res.Elapsed = wait
		return res, nil
	}
}

type recordingObserver struct{ started, finished []int }

func (o *recordingObserver) WaveStarted(w plan.Wave, _ int) { o.started = append(o.started, w.Index) }
func (o *recordingObserver) WaveFinished(r WaveResult, _ int) {
	o.finished = append(o.finished, r.Index)
}
func waves(sizes ...int) []plan.Wave {
	var out []plan.Wave
	n := 0
	for i, size := range sizes {
		w := plan.Wave{Index: i + 1}
		for range size {
			n++
			w.Instances = append(w.Instances, fleet.Instance{ID: "i-" + strings.Repeat("0", 3) + string(rune('a'+n))})
		}
		out = append(out, w)
	}
	return out
}

func TestRunActsOnEveryWaveInOrderWithIntervalAfterTheGate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := waves(3, 3, 2)
		prov, obs := &fakeProvider{}, &recordingObserver{}
		cfg := Config{Interval: 10 * time.Second, WaitForHealthy: true, GateTimeout: time.Minute}
		res, err := Run(t.Context(), p, cfg, Deps{Provider: prov, Gate: &fakeGate{recoverAfter: 5 * time.Second}, Observer: obs, Log: zap.NewNop()})
		if err != nil || res.Aborted {
			t.Fatalf("Run = %+v, %v", res, err)
		}
		if got, want := len(prov.calls), 3; got != want {
			t.Fatalf("%d reboot calls, want %d", got, want)
		}
		for i := 1; i < len(prov.at); i++ {
			// 5 s gate + 10 s interval between the starts of consecutive waves.
			if got := prov.at[i].Sub(prov.at[i-1]); got != 15*time.Second {
				t.Errorf("wave %d started %v after wave %d, want 15s", i+1, got, i)
			}
		}
		if !slices.Equal(res.Acted, slices.Concat(prov.calls...)) || len(res.Acted) != 8 {
			t.Errorf("Acted = %v, want the 8 rebooted ids", res.Acted)
		}
		if !slices.Equal(obs.started, []int{1, 2, 3}) || !slices.Equal(obs.finished, []int{1, 2, 3}) {
			t.Errorf("observer saw started %v finished %v", obs.started, obs.finished)
		}
		for _, w := range res.Waves {
			if w.Gate != GatePassed {
				t.Errorf("wave %d gate %q, want passed", w.Index, w.Gate)
			}
		}
	})
}

func TestRunAbortsOnGateTimeoutAndActsOnNoLaterWave(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := waves(2, 2)
		stuck := p[0].Instances[1].ID
		prov := &fakeProvider{}
		gate := &fakeGate{recoverAfter: time.Second, never: map[string]bool{stuck: true}}
		cfg := Config{WaitForHealthy: true, GateTimeout: 2 * time.Minute}
		res, err := Run(t.Context(), p, cfg, Deps{Provider: prov, Gate: gate, Observer: &recordingObserver{}, Log: zap.NewNop()})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Aborted || !strings.Contains(res.AbortReason, stuck) || !strings.Contains(res.AbortReason, "wave 1") {
			t.Errorf("abort reason %q, want wave 1 naming %s", res.AbortReason, stuck)
		}
		if len(prov.calls) != 1 {
			t.Errorf("%d reboot calls after a gate timeout, want 1", len(prov.calls))
		}
	})
}

func TestRunStopsAtAProviderError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		prov := &fakeProvider{failOn: 2}
		res, err := Run(t.Context(), waves(1, 1, 1), Config{}, Deps{Provider: prov, Gate: &fakeGate{}, Observer: &recordingObserver{}, Log: zap.NewNop()})
		if err == nil || err.Error() != "boom" {
			t.Fatalf("err = %v, want the provider's error", err)
		}
		if len(prov.calls) != 2 || len(res.Acted) != 1 {
			t.Errorf("calls %d acted %v; want 2 calls and only the first wave acted", len(prov.calls), res.Acted)
		}
	})
}

func TestRunInterruptedDuringIntervalActsOnNothingMore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(t.Context())
		prov := &fakeProvider{}
		go func() {
			time.Sleep(30 * time.Second)
			cancel(errors.New("received interrupt"))
		}()
		cfg := Config{Interval: time.Minute}
		res, err := Run(ctx, waves(1, 1), cfg, Deps{Provider: prov, Gate: &fakeGate{}, Observer: &recordingObserver{}, Log: zap.NewNop()})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Aborted || !strings.Contains(res.AbortReason, "received interrupt") {
			t.Errorf("got %+v, want aborted with the interrupt's cause", res)
		}
		if len(prov.calls) != 1 {
			t.Errorf("%d reboot calls, want only the first wave", len(prov.calls))
		}
	})
}

func TestRunRefusesAnInstancePlannedTwice(t *testing.T) {
	p := waves(2, 1)
	p[1].Instances[0] = p[0].Instances[0]
	prov := &fakeProvider{}
	_, err := Run(t.Context(), p, Config{}, Deps{Provider: prov, Gate: &fakeGate{}, Observer: &recordingObserver{}, Log: zap.NewNop()})
	if err == nil || !strings.Contains(err.Error(), "planned twice") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if len(prov.calls) != 1 {
		t.Errorf("%d calls; the duplicate must be refused before its wave acts", len(prov.calls))
	}
}

// blockingProvider holds Reboot until released, to interrupt mid-call.
type blockingProvider struct {
	fakeProvider
	entered, release chan struct{}
}

func (b *blockingProvider) Reboot(ctx context.Context, ids []string) error {
	close(b.entered)
	<-b.release
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return b.fakeProvider.Reboot(ctx, ids)
}

func TestInterruptLetsTheMutatingCallInFlightFinish(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(t.Context())
		prov := &blockingProvider{entered: make(chan struct{}), release: make(chan struct{})}
		go func() {
			<-prov.entered
			cancel(errors.New("received interrupt"))
			close(prov.release)
		}()
		res, err := Run(ctx, waves(2, 2), Config{WaitForHealthy: true, GateTimeout: time.Minute},
			Deps{Provider: prov, Gate: &fakeGate{recoverAfter: time.Second}, Observer: &recordingObserver{}, Log: zap.NewNop()})
		if err != nil {
			t.Fatal(err)
		}
		if len(prov.calls) != 1 || len(res.Acted) != 2 {
			t.Errorf("calls %v acted %v; want the interrupted wave's call completed and counted", prov.calls, res.Acted)
		}
		if !res.Aborted || !strings.Contains(res.AbortReason, "received interrupt") {
			t.Errorf("result %+v, want aborted by the interrupt", res)
		}
	})
}

func TestContinueOnGateTimeoutGoesOnToTheNextWave(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := waves(2, 2)
		gate := &fakeGate{recoverAfter: time.Second, never: map[string]bool{p[0].Instances[0].ID: true}}
		prov := &fakeProvider{}
		cfg := Config{WaitForHealthy: true, GateTimeout: time.Minute, ContinueOnGateTimeout: true}
		res, err := Run(t.Context(), p, cfg, Deps{Provider: prov, Gate: gate, Observer: &recordingObserver{}, Log: zap.NewNop()})
		if err != nil || res.Aborted {
			t.Fatalf("Run = %+v, %v; want it to go on", res, err)
		}
		if len(prov.calls) != 2 || res.Waves[0].Gate != GateTimedOut || res.Waves[1].Gate != GatePassed {
			t.Errorf("calls %d, gates %q %q; want both waves acted, the first timed out", len(prov.calls), res.Waves[0].Gate, res.Waves[1].Gate)
		}
	})
}

func TestMaxInFlightActsInGroupsThatEachWaitForHealth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		prov := &fakeProvider{}
		cfg := Config{WaitForHealthy: true, GateTimeout: time.Minute, MaxInFlight: 2}
		res, err := Run(t.Context(), waves(5), cfg, Deps{Provider: prov, Gate: &fakeGate{recoverAfter: 10 * time.Second}, Observer: &recordingObserver{}, Log: zap.NewNop()})
		if err != nil {
			t.Fatal(err)
		}
		var sizes []int
		for _, c := range prov.calls {
			sizes = append(sizes, len(c))
		}
		if !slices.Equal(sizes, []int{2, 2, 1}) {
			t.Errorf("call sizes %v, want [2 2 1]", sizes)
		}
		if got := prov.at[2].Sub(prov.at[0]); got != 20*time.Second {
			t.Errorf("third group started %v after the first, want 20s (two gates)", got)
		}
		if len(res.Acted) != 5 || res.Waves[0].GateElapsed != 30*time.Second {
			t.Errorf("acted %d, gate elapsed %v; want 5 and 30s", len(res.Acted), res.Waves[0].GateElapsed)
		}
	})
}
