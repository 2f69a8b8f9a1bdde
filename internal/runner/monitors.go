package runner

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"gameday/internal/execute"
	"gameday/internal/plan"
	"gameday/internal/scenario"
	"gameday/internal/verify"
)

// monitors watch a run: each eligible instance's health, and the services
// users see. Either may be absent.
type monitors struct {
	instances *verify.Monitor
	services  *verify.Services
}

func (m monitors) stop() {
	if m.instances != nil {
		m.instances.Stop()
	}
	if m.services != nil {
		m.services.Stop()
	}
}

// startMonitors starts probing. A scenario without verify.instance (only
// valid with wait_for_healthy: false) gets a gate that never waits; its
// report says recovery was not measured.
func (r *recorder) startMonitors(ctx context.Context) (execute.Gate, monitors, error) {
	v := r.opts.Scenario.Verify
	var m monitors
	if len(v.Services) > 0 {
		m.services = verify.NewServices(serviceTargets(v.Services, r.opts.LoopbackOnly), r.log)
		m.services.Start(ctx)
	}
	if v.Instance == nil {
		r.log.Warn("no health probe: recovery will not be measured", zap.String("reason", "the scenario has no verify.instance"))
		return noGate{}, m, nil
	}
	targets, err := monitorTargets(v.Instance, r.plan)
	if err != nil {
		m.stop()
		return nil, monitors{}, err
	}
	m.instances = verify.NewMonitor(verify.Config{Interval: v.Instance.Interval.Duration}, targets,
		newProber(v.Instance, r.opts.LoopbackOnly), r.log)
	m.instances.Start(ctx)
	return m.instances, m, nil
}

// monitorTargets renders the probe address of every instance eligible in
// any phase, each once.
func monitorTargets(probe *scenario.InstanceProbe, p *plan.Plan) ([]verify.Target, error) {
	var targets []verify.Target
	seen := map[string]bool{}
	for _, ph := range p.Phases {
		for _, inst := range append(ph.Eligible, ph.Selected...) {
			if seen[inst.ID] {
				continue
			}
			seen[inst.ID] = true
			fields := scenario.URLFields{
				InstanceID: inst.ID, PrivateIP: inst.PrivateIP, PublicIP: inst.PublicIP,
				AZ: inst.AZ, Region: inst.Region, Tags: inst.Tags,
			}
			render := probe.RenderURL
			if probe.Type == scenario.ProbeTCP {
				render = probe.RenderAddress
			}
			addr, err := render(fields)
			if err != nil {
				return nil, fmt.Errorf("runner: probe address for %s: %w", inst.ID, err)
			}
			targets = append(targets, verify.Target{InstanceID: inst.ID, AZ: inst.AZ, URL: addr})
		}
	}
	return targets, nil
}

func serviceTargets(probes []scenario.ServiceProbe, loopbackOnly bool) []verify.Service {
	out := make([]verify.Service, len(probes))
	for i, p := range probes {
		out[i] = verify.Service{Name: p.Name, URL: p.URL, Interval: p.Interval.Duration,
			Prober: verify.NewHTTPProber(verify.HTTPProbe{
				Timeout: p.Timeout.Duration, ExpectStatus: p.ExpectStatus, BodyContains: p.BodyContains,
				MaxLatency: p.MaxLatency.Duration, LoopbackOnly: loopbackOnly,
			})}
	}
	return out
}
