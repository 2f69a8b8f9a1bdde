package sim

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"
)

// serviceAnswer is the JSON body every service answers with.
type serviceAnswer struct {
	Service        string        `json:"service"`
	Status         ServiceStatus `json:"status"`
	HealthyMembers int           `json:"healthy_members"`
	Members        int           `json:"members"`
	MinHealthy     int           `json:"min_healthy"`
	Primary        string        `json:"primary,omitempty"`
	Reason         string        `json:"reason"`
}

// serviceHandler answers GET (or HEAD) of the service's path: 200 while it
// is ok or degraded, after its latency; 503 at once while it is down, as a
// load balancer with too few healthy targets (or a backend that lost its
// database) answers before doing any work.
func (s *Sim) serviceHandler(sv *service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path != sv.spec.Path:
			http.NotFound(w, r)
			return
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h, answer := s.serviceAnswer(sv)
		if h.status != ServiceDown && !waitOrGone(r, h.latency) {
			return
		}
		status := http.StatusOK
		if h.status == ServiceDown {
			status = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(answer)
	})
}

// serviceAnswer evaluates sv as of the request's arrival.
func (s *Sim) serviceAnswer(sv *service) (serviceHealth, serviceAnswer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.evalLocked(sv)
	answer := serviceAnswer{Service: sv.spec.Name, Status: h.status, HealthyMembers: sv.healthy,
		Members: len(sv.members), MinHealthy: sv.threshold, Reason: h.reason}
	if p := sv.failover.primary; p != nil {
		answer.Primary = p.id
	}
	return h, answer
}

// waitOrGone waits d, or until the client leaves (false).
func waitOrGone(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// bindServicesLocked binds every service's address in block. It is part of
// claiming the block, so that an address in use moves Start on to the next
// block; on failure it closes what it bound.
func (s *Sim) bindServicesLocked(block int) ([]net.Listener, error) {
	var bound []net.Listener
	for _, sv := range s.services {
		l, err := listenLoopback(net.JoinHostPort(serviceIP(block, sv.index), strconv.Itoa(sv.spec.Port)))
		if err != nil {
			closeAll(bound)
			return nil, err
		}
		bound = append(bound, l)
	}
	return bound, nil
}

func closeAll(listeners []net.Listener) {
	for _, l := range listeners {
		_ = l.Close()
	}
}

// serveServicesLocked serves each service on its listener (in service
// order), one small server each: a fleet has at most MaxServices.
func (s *Sim) serveServicesLocked(listeners []net.Listener) {
	for i, sv := range s.services {
		srv := &http.Server{
			Handler:           s.serviceHandler(sv),
			ReadHeaderTimeout: 5 * time.Second,
			ErrorLog:          zap.NewStdLog(s.log.Named("service")),
		}
		sv.srv = srv
		l := listeners[i]
		s.serving.Add(1)
		go func() {
			defer s.serving.Done()
			err := srv.Serve(l)
			if err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("service listener failed", zap.String("service", sv.spec.Name), zap.Error(err))
			}
		}()
		s.log.Debug("service listening", zap.String("service", sv.spec.Name), zap.String("address", l.Addr().String()))
	}
}

// detachServiceServersLocked hands over the services' servers for closing
// outside the lock (their handlers take it).
func (s *Sim) detachServiceServersLocked() []*http.Server {
	var servers []*http.Server
	for _, sv := range s.services {
		if sv.srv != nil {
			servers = append(servers, sv.srv)
			sv.srv = nil
		}
	}
	return servers
}
