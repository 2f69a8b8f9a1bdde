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
}

// Start serves the API for s on addr, which must be a literal IPv4
// loopback address ("127.0.0.1:0" picks a free port). The simulator is a
// test double with no authentication: it must never be reachable from
// another host.
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
	srv := &http.Server{
		Handler:           NewHandler(s, logger),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          zap.NewStdLog(logger.Named("ec2api.http")),
	}
	server := &Server{srv: srv, listener: l, done: make(chan struct{})}
	go func() {
		defer close(server.done)
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("ec2api server stopped", zap.Error(err))
		}
	}()
	return server, nil
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
