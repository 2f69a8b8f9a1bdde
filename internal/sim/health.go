package sim

import (
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// newHealthServer builds the one server behind every instance listener. The
// handler tells instances apart by the local address of the connection.
func (s *Sim) newHealthServer() *http.Server {
	return &http.Server{
		Handler:           http.HandlerFunc(s.serveHealth),
		ConnState:         s.forgetClosedConn,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          zap.NewStdLog(s.log.Named("health")),
	}
}

// serveLocked starts serving l for in. The serve goroutine ends when the
// listener is closed (reboot) or the server is (Close).
func (s *Sim) serveLocked(in *instance, l net.Listener) {
	tl := &trackedListener{Listener: l, sim: s, in: in}
	in.listener = tl
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		err := s.srv.Serve(tl)
		if err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("health listener failed", zap.String("instance", in.id), zap.Error(err))
		}
	}()
}

// trackedListener registers each accepted connection with its instance
// before the server sees it, atomically with respect to a reboot: a
// connection accepted by a listener a reboot has just closed is dropped
// instead of escaping the reboot.
type trackedListener struct {
	net.Listener
	sim *Sim
	in  *instance
}

// Accept returns the next connection that belongs to a live listener.
func (l *trackedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.sim.adoptConn(l, c) {
			return c, nil
		}
		_ = c.Close()
	}
}

func (s *Sim) adoptConn(l *trackedListener, c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || l.in.listener != l {
		return false
	}
	l.in.conns[c] = struct{}{}
	return true
}

// forgetClosedConn is the ConnState hook: it drops connections that ended
// from their instance's set.
func (s *Sim) forgetClosedConn(c net.Conn, state http.ConnState) {
	if state != http.StateClosed && state != http.StateHijacked {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.instanceAtLocked(c.LocalAddr()); in != nil {
		delete(in.conns, c)
	}
}

func (s *Sim) instanceAtLocked(addr net.Addr) *instance {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return nil
	}
	return s.byIP[tcp.IP.String()]
}

// closeHostLocked makes in unreachable like a rebooting host: the listener
// goes away and every open connection is cut, so keep-alive clients notice.
func (s *Sim) closeHostLocked(in *instance) {
	if in.listener != nil {
		_ = in.listener.Close()
		in.listener = nil
	}
	for c := range in.conns {
		_ = c.Close()
	}
	clear(in.conns)
}

// serveHealth answers GET HealthPath: 200 "ok" when up, 503 "starting"
// while booting. Any other path is 404.
func (s *Sim) serveHealth(w http.ResponseWriter, r *http.Request) {
	addr, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	s.mu.Lock()
	var health Health
	in := s.instanceAtLocked(addr)
	if in != nil {
		health = in.health
	}
	s.mu.Unlock()

	switch {
	case in == nil || r.URL.Path != s.spec.HealthPath:
		http.NotFound(w, r)
		return
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	switch health {
	case HealthUp:
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "ok")
	case HealthStarting:
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "starting")
	default:
		// A down host sends nothing; cut the connection.
		panic(http.ErrAbortHandler)
	}
}
