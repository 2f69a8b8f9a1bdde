package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"gameday/internal/ec2"
	"gameday/internal/fleet"
	"gameday/internal/scenario"
	"gameday/internal/sim"
	"gameday/internal/sim/ec2api"
	"gameday/scenarios"
)

type demoOptions struct {
	scenarioPath string
	seed         seedFlag
	runsDir      string
	progress     progressFlag
}

func (a *app) newDemoCmd() *cobra.Command {
	opts := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Rehearse a rolling mass reboot on a built-in simulated fleet",
		Long: `Start a simulated fleet of 63 instances in three availability zones (12 of them
not opted in), then run scenarios/demo.yaml against it through the real AWS SDK:
reboot half of the opted-in web instances in three health-gated waves, measure
every recovery and score it. Nothing leaves this machine: the simulator listens on
127.0.0.1 and each instance answers health checks on its own 127.x.y.z address.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runDemo(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.scenarioPath, "scenario", "", "scenario file to run instead of the built-in demo scenario")
	f.Var(&opts.seed, "seed", "seed for the simulated fleet and the plan (default: random and printed)")
	f.StringVar(&opts.runsDir, "runs-dir", "runs", "directory that receives one sub-directory per run")
	addProgressFlag(f, &opts.progress)
	return cmd
}

func (a *app) runDemo(ctx context.Context, opts *demoOptions) error {
	scn, err := a.demoScenario(opts.scenarioPath)
	if err != nil {
		return err
	}
	// One seed drives both the fleet (ids, boot times) and the plan, so a
	// printed seed replays the whole demo.
	seed, origin := opts.seed.choose(scn)
	opts.seed = seedFlag{value: seed, set: true, origin: origin}
	// Before the simulator starts, so its log goes through the display too.
	disp := a.progressDisplay(opts.progress)
	spec := sim.DemoFleet()
	s, err := sim.New(spec, sim.Options{Seed: seed, Listeners: true, Logger: a.log.Named("sim")})
	if err != nil {
		return &exitError{code: ExitInfrastructure, err: err}
	}
	if err := s.Start(); err != nil {
		return &exitError{code: ExitInfrastructure, err: err}
	}
	defer s.Close()
	srv, err := ec2api.Start(s, "127.0.0.1:0", a.log.Named("sim"))
	if err != nil {
		return &exitError{code: ExitInfrastructure, err: err}
	}
	defer srv.Close()

	instances := s.Instances()
	fmt.Fprintf(a.out, "simulated fleet: %d instances in %s (%s), EC2 API at %s\n",
		len(instances), spec.Region, azList(instances), srv.URL())
	if opts.scenarioPath == "" {
		a.watchStorefront(scn, s)
	}
	regions, err := planRegions("", scn)
	if err != nil {
		return err
	}
	return a.rehearse(ctx, rehearsal{
		scenario: scn, session: ec2.Session{EndpointURL: srv.URL()}, regions: regions,
		seed: opts.seed, runsDir: opts.runsDir, loopback: true, progress: disp,
	})
}

func (a *app) demoScenario(path string) (*scenario.Scenario, error) {
	if path != "" {
		return a.loadScenario(path)
	}
	scn, err := scenario.Parse(scenarios.DemoPath, scenarios.Demo)
	if err != nil {
		return nil, fmt.Errorf("the built-in demo scenario is invalid (a build defect): %w", err)
	}
	return scn, nil
}

func azList(instances []fleet.Instance) string {
	counts := fleet.CountByAZ(instances)
	names := make([]string, len(counts))
	for i, c := range counts {
		names[i] = fmt.Sprintf("%s %d", c.AZ, c.Count)
	}
	return strings.Join(names, ", ")
}

// watchStorefront adds a probe of the simulated storefront, the service its
// users see, to the built-in demo scenario, with an availability objective:
// the service's address is only known once the simulator runs, so
// scenarios/demo.yaml cannot name it.
func (a *app) watchStorefront(scn *scenario.Scenario, s *sim.Sim) {
	for _, sv := range s.Services() {
		if sv.Name != "storefront" {
			continue
		}
		scn.Verify.Services = append(scn.Verify.Services, scenario.ServiceProbe{
			Name: sv.Name, URL: sv.URL, ExpectStatus: 200,
			Interval: scenario.Duration{Duration: 250 * time.Millisecond}, Timeout: scenario.Duration{Duration: time.Second},
		})
		scn.Objectives.Availability = &scenario.Percent{Value: 99.5}
		fmt.Fprintf(a.out, "watching service %s at %s (objective: availability 99.5%%)\n", sv.Name, sv.URL)
		a.log.Info("demo probes the simulated storefront", zap.String("url", sv.URL),
			zap.String("reason", "the service users see; its address is known only once the simulator runs"))
	}
}
