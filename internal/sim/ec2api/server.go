package ec2api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"gameday/internal/sim"
)

// Server is the API served on a loopback port.
type Server struct {
	srv       *http.Server
	listener  net.Listener
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
	limits    *rateLimits
	faults    *faultInjector
}

// Start serves the API for s on addr, which must be a literal IPv4
// loopback address ("127.0.0.1:0" picks a free port). The simulator is a
// test double with no authentication: it must never be reachable from
// another host. Rate limits and faults follow the fleet file's api section
// (default: EC2's rate limits on, no faults); SetRateLimits and SetFaults
// change them later.
func Start(s *sim.Sim, addr string, logger *zap.Logger) (*Server, error) {
	if err := checkLoopback(addr); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp4", addr)
	if err != nil {
		return nil, fmt.Errorf("ec2api: listen on %s: %w", addr, err)
	}
	// A call meets the faults first (they model the network and the front
	// end, and take no tokens), then EC2's buckets, then the API.
	limits := newRateLimits(NewHandler(s, logger), s, logger.Named("ec2api.limits"))
	faults := newFaultInjector(limits, s, logger.Named("ec2api.faults"))
	srv := &http.Server{
		Handler:           faults,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          zap.NewStdLog(logger.Named("ec2api.http")),
	}
	server := &Server{srv: srv, listener: l, done: make(chan struct{}), limits: limits, faults: faults}
	if err := server.applyFleetAPI(s.API(), s.Seed()); err != nil {
		_ = l.Close()
		return nil, err
	}
	go func() {
		defer close(server.done)
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("ec2api server stopped", zap.Error(err))
		}
	}()
	return server, nil
}

// applyFleetAPI turns on what the fleet file's api section asks for.
func (s *Server) applyFleetAPI(api sim.APISpec, seed uint64) error {
	s.SetRateLimits(api.RateLimitsEnabled())
	f := api.Faults
	err := s.SetFaults(Faults{
		ServerErrorRate: f.ServerErrorRate, ThrottleRate: f.ThrottleRate, ResetRate: f.ResetRate,
		ResetAfterRate: f.ResetAfterRate, LatencyRate: f.LatencyRate,
		LatencyMin: f.Latency.Min, LatencyMax: f.Latency.Max, Seed: seed,
	})
	if err != nil {
		return fmt.Errorf("ec2api: fleet api.faults: %w", err)
	}
	return nil
}

// checkLoopback accepts host:port where host is an IPv4 address in
// 127.0.0.0/8. Names such as localhost are refused: they may resolve
// elsewhere.
func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("ec2api: listen address %q: %w", addr, err)
	}
	ip := net.ParseIP(host).To4()
	if ip == nil || ip[0] != 127 {
		return fmt.Errorf("ec2api: refusing to listen on %q: the simulator only listens on IPv4 loopback (127.0.0.0/8), e.g. 127.0.0.1:%s", addr, port)
	}
	return nil
}

// URL is the endpoint to give clients, e.g. as BaseEndpoint.
func (s *Server) URL() string {
	return "http://" + s.listener.Addr().String()
}

// Close stops the server and cuts open connections. It is safe to call more
// than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		err := s.srv.Close()
		<-s.done
		if err != nil && !errors.Is(err, net.ErrClosed) {
			s.closeErr = fmt.Errorf("ec2api: close: %w", err)
		}
	})
	return s.closeErr
}
