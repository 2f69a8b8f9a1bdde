package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"gameday/internal/sim"
	"gameday/internal/sim/ec2api"
)

func (a *app) newSimCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run the simulated EC2 fleet",
	}
	cmd.AddCommand(a.newSimServeCmd())
	cmd.AddCommand(a.newSimSnapshotCmd())
	return cmd
}

type simServeOptions struct {
	listen      string
	seed        uint64
	auditLog    string
	fleet       string
	noListeners bool
}

func (a *app) newSimServeCmd() *cobra.Command {
	opts := &simServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a simulated fleet on loopback until interrupted",
		Long: `Serve a simulated fleet: an EC2 Query API endpoint (plus STS GetCallerIdentity
and ELBv2 target health) on 127.0.0.1, one HTTP health endpoint per instance on its
own loopback address, and one URL per service the fleet file declares.
Prints the environment to point gameday, the AWS CLI or an SDK at it.

--fleet picks the fleet: "demo" (the default: 63 instances with fast timings),
"default" (realistic EC2 timings, a scheduled event), or the path of a fleet file
(docs/fleets.md). A built-in name wins over a file of the same name: write ./demo
for the file.`,
		Example: `  gameday sim serve --listen 127.0.0.1:4566 --audit-log audit.jsonl
  gameday sim serve --fleet default --seed 7
  gameday sim serve --fleet scenarios/fleets/default.yaml --no-listeners
  gameday run scenarios/demo.yaml --endpoint-url http://127.0.0.1:4566`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runSimServe(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.listen, "listen", "127.0.0.1:0", "address of the EC2 API (loopback only; port 0 picks a free one)")
	f.Uint64Var(&opts.seed, "seed", 1, "seed for instance ids, event choices and boot times")
	f.StringVar(&opts.auditLog, "audit-log", "", "append every API call to this file as JSON lines")
	f.StringVar(&opts.fleet, "fleet", sim.FleetDemo, "fleet to serve: demo, default, or the path of a fleet file")
	f.BoolVar(&opts.noListeners, "no-listeners", false, "API only: bind no health endpoints (fleets above 64,516 instances need this)")
	return cmd
}

func (a *app) runSimServe(ctx context.Context, opts *simServeOptions) error {
	spec, err := a.loadFleet(opts.fleet)
	if err != nil {
		return err
	}
	simOpts := sim.Options{Seed: opts.seed, Listeners: !opts.noListeners, Logger: a.log.Named("sim")}
	if opts.auditLog != "" {
		f, err := os.OpenFile(opts.auditLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return usageError("--audit-log: %v", err)
		}
		defer f.Close()
		simOpts.AuditWriter = f
	}
	s, err := sim.New(spec, simOpts)
	if err != nil {
		return usageError("--fleet %s: %v", opts.fleet, err)
	}
	if err := s.Start(); err != nil {
		return &exitError{code: ExitInfrastructure, err: err}
	}
	defer s.Close()
	srv, err := ec2api.Start(s, opts.listen, a.log.Named("sim"))
	if err != nil {
		return usageError("--listen %s: %v", opts.listen, err)
	}
	defer srv.Close()

	printSimEnv(a.out, spec, s, srv.URL(), simOpts.Listeners)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	a.log.Info("simulator stopping", zap.String("reason", "signal"))
	return nil
}

// loadFleet resolves --fleet: a built-in name, else a fleet file. Problems
// in the file are printed with their positions and exit 2.
func (a *app) loadFleet(name string) (sim.FleetSpec, error) {
	if spec, ok := sim.BuiltinFleet(name); ok {
		return spec, nil
	}
	spec, err := sim.LoadFleet(name)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(name, `/\.`):
		return spec, usageError("--fleet %s: no built-in fleet of that name (%s) and no such file",
			name, strings.Join(sim.BuiltinFleetNames(), ", "))
	case errors.Is(err, fs.ErrNotExist):
		return spec, usageError("--fleet: %v", err)
	case err != nil:
		fmt.Fprintln(a.errOut, err)
		return spec, &exitError{code: ExitInvalid, err: err, silent: true}
	}
	return spec, nil
}

func printSimEnv(w io.Writer, spec sim.FleetSpec, s *sim.Sim, url string, listeners bool) {
	total, perAZ := countByAZ(s)
	fmt.Fprintf(w, "gameday simulator: %d instances in %s (%s), account %s\n",
		total, spec.Region, perAZ, spec.AccountID)
	printHealthEndpoints(w, spec, s, listeners)
	services := s.Services()
	printServices(w, services, s)
	printEvents(w, s.ScheduledEvents())
	fmt.Fprintf(w, "EC2 endpoint: %s\n\n", url)
	fmt.Fprintf(w, "export AWS_ENDPOINT_URL_EC2=%s\n", url)
	fmt.Fprintf(w, "export AWS_ENDPOINT_URL_STS=%s\n", url)
	if len(services) > 0 {
		fmt.Fprintf(w, "export AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2=%s\n", url)
	}
	fmt.Fprintf(w, "export AWS_REGION=%s AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_PAGER=\n\n", spec.Region)
	fmt.Fprintf(w, "gameday run scenarios/demo.yaml --endpoint-url %s\n", url)
	fmt.Fprintf(w, "aws --endpoint-url %s ec2 describe-instances\n", url)
	if len(services) > 0 {
		fmt.Fprintf(w, "aws --endpoint-url %s elbv2 describe-target-health --target-group-arn %s\n", url, services[0].TargetGroupARN)
	}
}

// printServices lists each service's URL (stable for the run), what keeps
// it up, and its target group.
func printServices(w io.Writer, services []sim.ServiceView, s *sim.Sim) {
	if len(services) == 0 {
		return
	}
	if services[0].Listening {
		fmt.Fprintln(w, "services (200 while enough members are healthy, else 503; a JSON body says why):")
	} else {
		fmt.Fprintln(w, "services: not served (--no-listeners); ELB target health is:")
	}
	var primaries []string
	for _, sv := range services {
		if sv.Primary != "" {
			primaries = append(primaries, sv.Primary)
		}
	}
	names := map[string]string{}
	views, _ := s.Select(sim.Query{IDs: primaries})
	for _, v := range views {
		names[v.ID] = v.Tags["Name"]
	}
	for _, sv := range services {
		where := sv.URL
		if !sv.Listening {
			where = sv.TargetGroupARN
		}
		fmt.Fprintf(w, "  %-12s %s  %d members, min healthy %d", sv.Name, where, len(sv.Members), sv.MinHealthy)
		if sv.Primary != "" {
			fmt.Fprintf(w, ", primary %s (%s), fails over after %s", names[sv.Primary], sv.Primary, sv.FailoverAfter)
		}
		if len(sv.DependsOn) > 0 {
			fmt.Fprintf(w, ", depends on %s", strings.Join(sv.DependsOn, ", "))
		}
		fmt.Fprintln(w)
	}
}

// printHealthEndpoints shows where health checks answer, with one example
// of each kind of address.
func printHealthEndpoints(w io.Writer, spec sim.FleetSpec, s *sim.Sim, listeners bool) {
	first, _ := s.Select(sim.Query{Limit: 1})
	switch {
	case len(first) == 0:
		return
	case !listeners:
		fmt.Fprintln(w, "health endpoints: none (--no-listeners: the API alone is served)")
		return
	}
	fmt.Fprintf(w, "health endpoints: http://<private-ip>:%d%s, e.g. http://%s:%d%s\n",
		spec.HealthPort, spec.HealthPath, first[0].PrivateIP, spec.HealthPort, spec.HealthPath)
	public, _ := s.Select(sim.Query{Limit: 1, Match: func(v *sim.InstanceView) bool { return v.PublicIP != "" }})
	for _, v := range public {
		fmt.Fprintf(w, "  instances with a public IP answer on it too, e.g. http://%s:%d%s (%s)\n",
			v.PublicIP, spec.HealthPort, spec.HealthPath, v.Tags["Name"])
	}
}

// countByAZ counts instances per zone without copying the fleet: a
// 100,000-instance simulator should not double its memory to print a line.
func countByAZ(s *sim.Sim) (int, string) {
	counts := map[string]int{}
	total := 0
	s.Select(sim.Query{Match: func(v *sim.InstanceView) bool {
		counts[v.AZ]++
		total++
		return false
	}})
	parts := make([]string, 0, len(counts))
	for _, az := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s %d", az, counts[az]))
	}
	return total, strings.Join(parts, ", ")
}

func printEvents(w io.Writer, events []sim.ScheduledEvent) {
	if len(events) == 0 {
		return
	}
	fmt.Fprintln(w, "scheduled events (the simulator performs them at not-before unless the owner acts first):")
	for _, ev := range events {
		fmt.Fprintf(w, "  %s on %d instances, not before %s (in %s)", ev.Code, len(ev.Pending),
			ev.NotBefore.Format(time.RFC3339), time.Until(ev.NotBefore).Round(time.Second))
		if !ev.NotAfter.IsZero() {
			fmt.Fprintf(w, ", not after %s", ev.NotAfter.Format(time.RFC3339))
		}
		fmt.Fprintf(w, ": %s\n    %s\n", ev.Description, strings.Join(ev.Pending, " "))
	}
}
