package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

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
	return cmd
}

type simServeOptions struct {
	listen   string
	seed     uint64
	auditLog string
}

func (a *app) newSimServeCmd() *cobra.Command {
	opts := &simServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a simulated fleet on loopback until interrupted",
		Long: `Serve the built-in simulated fleet: an EC2 Query API endpoint (plus STS
GetCallerIdentity) on 127.0.0.1, and one HTTP health endpoint per instance on its own
loopback address. Prints the environment to point gameday, the AWS CLI or an SDK at it.`,
		Example: `  gameday sim serve --listen 127.0.0.1:4566 --audit-log audit.jsonl
  gameday run scenarios/demo.yaml --endpoint-url http://127.0.0.1:4566`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runSimServe(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.listen, "listen", "127.0.0.1:0", "address of the EC2 API (loopback only; port 0 picks a free one)")
	f.Uint64Var(&opts.seed, "seed", 1, "seed for instance ids and boot times")
	f.StringVar(&opts.auditLog, "audit-log", "", "append every API call to this file as JSON lines")
	return cmd
}

func (a *app) runSimServe(ctx context.Context, opts *simServeOptions) error {
	simOpts := sim.Options{Seed: opts.seed, Listeners: true, Logger: a.log.Named("sim")}
	if opts.auditLog != "" {
		f, err := os.OpenFile(opts.auditLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return usageError("--audit-log: %v", err)
		}
		defer f.Close()
		simOpts.AuditWriter = f
	}
	spec := sim.DemoFleet()
	s, err := sim.New(spec, simOpts)
	if err != nil {
		return &exitError{code: ExitInfrastructure, err: err}
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

	printSimEnv(a.out, spec, s, srv.URL())
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	a.log.Info("simulator stopping", zap.String("reason", "signal"))
	return nil
}

func printSimEnv(w io.Writer, spec sim.FleetSpec, s *sim.Sim, url string) {
	instances := s.Instances()
	fmt.Fprintf(w, "gameday simulator: %d instances in %s (%s), account %s\n",
		len(instances), spec.Region, azList(instances), spec.AccountID)
	if len(instances) > 0 {
		fmt.Fprintf(w, "health endpoints: http://<private-ip>:%d%s, e.g. http://%s:%d%s\n",
			spec.HealthPort, spec.HealthPath, instances[0].PrivateIP, spec.HealthPort, spec.HealthPath)
	}
	fmt.Fprintf(w, "EC2 endpoint: %s\n\n", url)
	fmt.Fprintf(w, "export AWS_ENDPOINT_URL_EC2=%s\n", url)
	fmt.Fprintf(w, "export AWS_ENDPOINT_URL_STS=%s\n", url)
	fmt.Fprintf(w, "export AWS_REGION=%s AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_PAGER=\n\n", spec.Region)
	fmt.Fprintf(w, "gameday run scenarios/demo.yaml --endpoint-url %s\n", url)
	fmt.Fprintf(w, "aws --endpoint-url %s ec2 describe-instances\n", url)
}
