package runner

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"

	"gameday/internal/execute"
	"gameday/internal/fleet"
	"gameday/internal/plan"
	"gameday/internal/progress"
	"gameday/internal/scenario"
	"gameday/internal/verify"
)

// fakeDisplay keeps the source the run gives it.
type fakeDisplay struct {
	mu     sync.Mutex
	source func() progress.Status
	stops  int
}

func (d *fakeDisplay) Start(source func() progress.Status) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.source = source
}

func (d *fakeDisplay) Stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stops++
}

// proberFunc answers probes with a fixed health per URL.
type proberFunc func(url string) bool

func (f proberFunc) Probe(_ context.Context, url string) verify.Result {
	return verify.Result{Healthy: f(url), Detail: "test"}
}

// heldGate is the monitor, with a gate that passes only when released.
type heldGate struct {
	*verify.Monitor
	release chan struct{}
}

func (g heldGate) WaitRecovered(ctx context.Context, ids []string, _ time.Duration) (verify.GateResult, error) {
	select {
	case <-g.release:
	case <-ctx.Done():
	}
	return verify.GateResult{Recovered: ids}, nil
}

// nopObserver records the waves the run prints.
type nopObserver struct{ started, finished int }

func (o *nopObserver) WaveStarted(string, plan.Wave, int)           { o.started++ }
func (o *nopObserver) WaveFinished(string, execute.WaveResult, int) { o.finished++ }

func progressPlan() *plan.Plan {
	inst := func(id string) fleet.Instance { return fleet.Instance{ID: id, AZ: "us-east-1a"} }
	return &plan.Plan{
		Phases: []*plan.Phase{{Name: "main", Waves: []plan.Wave{
			{Index: 1, Instances: []fleet.Instance{inst("i-1"), inst("i-2")}},
			{Index: 2, Instances: []fleet.Instance{inst("i-3"), inst("i-4")}},
		}}},
		Estimate: plan.Estimate{Typical: 10 * time.Minute},
	}
}

func TestProgressFollowsWavesGatesAndHealth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var targets []verify.Target
		for _, id := range []string{"i-1", "i-2", "i-3", "i-4", "i-5"} {
			targets = append(targets, verify.Target{InstanceID: id, URL: id})
		}
		mon := verify.NewMonitor(verify.Config{Interval: time.Second}, targets, proberFunc(func(url string) bool { return url != "i-5" }), zap.NewNop())
		svc := verify.NewServices([]verify.Service{{Name: "lb", URL: "lb", Interval: time.Second,
			Prober: proberFunc(func(string) bool { return false })}}, zap.NewNop())
		mon.Start(ctx)
		svc.Start(ctx)
		mons := monitors{instances: mon, services: svc}
		defer mons.stop()

		disp := &fakeDisplay{}
		r := &recorder{opts: Options{Progress: disp, Scenario: &scenario.Scenario{}}, plan: progressPlan()}
		held := heldGate{Monitor: mon, release: make(chan struct{})}
		gate, stop := r.showProgress(mons, held)
		lines := &nopObserver{}
		obs := r.progress.observer(lines)

		time.Sleep(2500 * time.Millisecond)
		st := disp.source()
		if st.Wave != 0 || st.Monitored != 5 || st.Healthy != 4 {
			t.Errorf("before the first wave: %+v, want wave 0, healthy 4/5", st)
		}
		if st.ETA != 10*time.Minute-2500*time.Millisecond || st.Elapsed != 2500*time.Millisecond {
			t.Errorf("before the first wave: ETA %s, elapsed %s; want the plan's estimate minus elapsed", st.ETA, st.Elapsed)
		}
		if !st.HasAvailability || st.Availability != 0 {
			t.Errorf("availability %v (%v), want 0%% (the service always fails)", st.Availability, st.HasAvailability)
		}

		wave1 := r.plan.Phases[0].Waves[0]
		obs.WaveStarted("main", wave1, 2)
		gate.MarkActed([]string{"i-1"}, time.Now())
		st = disp.source()
		if st.Wave != 1 || st.Waves != 2 || st.Acted != 1 || st.Size != 2 || st.Waiting {
			t.Errorf("one instance acted on: %+v", st)
		}
		gate.MarkActed([]string{"i-2"}, time.Now())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = gate.WaitRecovered(ctx, []string{"i-1", "i-2"}, time.Minute)
		}()
		// Healthy all along: recovered with no downtime after the grace.
		time.Sleep(11 * time.Second)
		synctest.Wait()
		st = disp.source()
		if !st.Waiting || st.Acted != 2 || st.Recovered != 2 || st.WaveElapsed != 11*time.Second {
			t.Errorf("waiting on the gate: %+v, want waiting, 2 acted, 2 recovered, 11s into the wave", st)
		}
		if got, want := progress.Plain(st), "wave 1/2: waiting for health, 2/2 recovered, 11s elapsed"; got != want {
			t.Errorf("plain line %q, want %q", got, want)
		}
		close(held.release)
		<-done
		obs.WaveFinished("main", execute.WaveResult{Index: 1, Acted: []string{"i-1", "i-2"}, EndedAt: time.Now()}, 2)

		// One wave took 11 s; 4 s later the other should end in 7 s.
		time.Sleep(4 * time.Second)
		st = disp.source()
		if st.Waiting || st.ETA != 7*time.Second {
			t.Errorf("after the first wave: waiting %v, ETA %s; want not waiting, ETA 7s", st.Waiting, st.ETA)
		}
		if lines.started != 1 || lines.finished != 1 {
			t.Errorf("the run's own observer saw %d starts, %d ends; want 1, 1", lines.started, lines.finished)
		}
		stop()
		stop()
		if disp.stops != 1 {
			t.Errorf("display stopped %d times, want 1", disp.stops)
		}
		cancel()
	})
}

func TestNoProgressDisplayLeavesTheRunAlone(t *testing.T) {
	r := &recorder{opts: Options{Scenario: &scenario.Scenario{}}, plan: progressPlan()}
	g, stop := r.showProgress(monitors{}, noGate{})
	stop()
	if _, ok := g.(noGate); !ok || r.progress != nil {
		t.Errorf("without a display the gate became %T", g)
	}
	obs := &nopObserver{}
	if got := r.progress.observer(obs); got != execute.Observer(obs) {
		t.Errorf("without a display the observer became %T", got)
	}
}
