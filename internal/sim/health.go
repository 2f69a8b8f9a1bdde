package sim

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// side is which of an instance's addresses a listener is bound to.
type side int

const (
	privateSide side = iota
	publicSide
)

// slot is where in.side lives in its blocks, or noSlot.
func (in *instance) slot(sd side) int {
	if sd == publicSide {
		return in.publicSlot
	}
	return in.index
}

// reachable reports whether in's listeners should be open: always, except
// when it is stopped, or down with connections refused.
func (in *instance) reachable() bool {
	return in.health != HealthOff && (in.health != HealthDown || in.boot().Unreachable == UnreachableHang)
}

// host is the network side of an instance in listener mode: one listener
// per address, the connections they accepted, and the channel hung
// requests wait on while the host is down in hang mode.
type host struct {
	listeners [2]*trackedListener // by side
	bound     [2]int              // the slot each listener is bound to
	conns     map[*trackedConn]struct{}
	wake      chan struct{} // closed when a hang ends; nil when not hanging
}

func (in *instance) hostOrNew() *host {
	if in.host == nil {
		in.host = &host{conns: map[*trackedConn]struct{}{}}
	}
	return in.host
}

// newHealthServer builds the one server behind every instance listener.
// Each connection carries its instance in its context.
func (s *Sim) newHealthServer() *http.Server {
	return &http.Server{
		Handler:           http.HandlerFunc(s.serveHealth),
		ConnState:         s.forgetClosedConn,
		ConnContext:       withInstance,
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          zap.NewStdLog(s.log.Named("health")),
	}
}

type instanceKey struct{}

func withInstance(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*trackedConn); ok {
		return context.WithValue(ctx, instanceKey{}, tc.in)
	}
	return ctx
}

// serveLocked starts serving l on side of in. The serve goroutine ends when
// the listener is closed (the host goes down) or the server is (Close).
func (s *Sim) serveLocked(in *instance, sd side, l net.Listener) {
	tl := &trackedListener{Listener: l, sim: s, in: in}
	h := in.hostOrNew()
	h.listeners[sd], h.bound[sd] = tl, in.slot(sd)
	if in.health == HealthDown && h.wake == nil {
		h.wake = make(chan struct{}) // down before Start, in hang mode
	}
	srv := s.srv // read under the lock: a failed Start resets it
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		err := srv.Serve(tl)
		if err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("health listener failed", zap.String("instance", in.id), zap.Error(err))
		}
	}()
}

// openLocked binds whatever listener in lacks: its private address, and
// its public one, moving the public listener when the address changed.
func (s *Sim) openLocked(in *instance) error {
	h := in.hostOrNew()
	for _, sd := range []side{privateSide, publicSide} {
		slot := in.slot(sd)
		if h.listeners[sd] != nil && h.bound[sd] == slot {
			continue
		}
		h.closeListener(sd)
		if slot == noSlot {
			continue
		}
		blocks := s.addrs.private
		if sd == publicSide {
			blocks = s.addrs.public
		}
		l, err := listenLoopback(s.hostPort(ip(blocks, slot)))
		if err != nil {
			return err
		}
		s.serveLocked(in, sd, l)
	}
	return nil
}

func (h *host) closeListener(sd side) {
	if h.listeners[sd] != nil {
		_ = h.listeners[sd].Close()
		h.listeners[sd] = nil
	}
}

// cutConns closes every open connection, as a host going down does; hung
// requests end with them.
func (h *host) cutConns() {
	for c := range h.conns {
		_ = c.Close()
	}
	clear(h.conns)
}

// endHang releases the requests waiting for a hung host.
func (h *host) endHang() {
	if h.wake != nil {
		close(h.wake)
		h.wake = nil
	}
}

// closeNetworkLocked closes every listener, connection and hang.
func (s *Sim) closeNetworkLocked() {
	for _, in := range s.instances {
		if h := in.host; h != nil {
			h.closeListener(privateSide)
			h.closeListener(publicSide)
			h.cutConns()
			h.endHang()
		}
	}
	for _, l := range s.sentinels {
		_ = l.Close()
	}
	s.sentinels = nil
}

// trackedListener registers each accepted connection with its instance
// before the server sees it, atomically with respect to the host going
// down: a connection accepted by a listener that was just closed is dropped
// instead of escaping the reboot.
type trackedListener struct {
	net.Listener
	sim *Sim
	in  *instance
}

// trackedConn is a connection and the instance it reached.
type trackedConn struct {
	net.Conn
	in *instance
}

// Accept returns the next connection that belongs to a live listener.
func (l *trackedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if tc := l.sim.adoptConn(l, c); tc != nil {
			return tc, nil
		}
		_ = c.Close()
	}
}

func (s *Sim) adoptConn(l *trackedListener, c net.Conn) *trackedConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := l.in.host
	if s.closed || h == nil || (h.listeners[privateSide] != l && h.listeners[publicSide] != l) {
		return nil
	}
	tc := &trackedConn{Conn: c, in: l.in}
	h.conns[tc] = struct{}{}
	return tc
}

// forgetClosedConn is the ConnState hook: it drops connections that ended
// from their instance's set.
func (s *Sim) forgetClosedConn(c net.Conn, state http.ConnState) {
	tc, ok := c.(*trackedConn)
	if !ok || (state != http.StateClosed && state != http.StateHijacked) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(tc.in.host.conns, tc)
}

// serveHealth answers GET HealthPath: 200 "ok" when up, 503 "starting"
// while the application starts, 500 "broken" when the host came back
// broken. A down host answers nothing: in hang mode the request waits until
// the host is back (or the client gives up), then the connection is cut.
func (s *Sim) serveHealth(w http.ResponseWriter, r *http.Request) {
	in, _ := r.Context().Value(instanceKey{}).(*instance)
	if in == nil {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	health, wake := in.health, in.host.wake
	s.mu.Unlock()
	if health == HealthDown || health == HealthOff {
		if wake != nil {
			select {
			case <-wake:
			case <-r.Context().Done():
			}
		}
		panic(http.ErrAbortHandler) // cut the connection without a word
	}
	switch {
	case r.URL.Path != s.spec.HealthPath:
		http.NotFound(w, r)
		return
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	status, body := healthAnswer(health)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func healthAnswer(h Health) (int, string) {
	switch h {
	case HealthUp:
		return http.StatusOK, "ok"
	case HealthBroken:
		return http.StatusInternalServerError, "broken"
	default:
		return http.StatusServiceUnavailable, "starting"
	}
}
