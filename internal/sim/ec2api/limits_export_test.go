package ec2api

import (
	"net/http"
	"time"

	"go.uber.org/zap"

	"gameday/internal/sim"
)

// SetRateLimitClock restarts the server's buckets, full, on a hand-moved
// clock, so burst tests do not depend on how fast the machine is.
func (s *Server) SetRateLimitClock(now func() time.Time) {
	s.limits.setClock(now)
}

// WithRateLimits wraps next in the rate-limit middleware on the clock now:
// a throttled call never reaches next, so classification and pricing can
// be tested over any handler, such as a stub that needs no real instances.
func WithRateLimits(next http.Handler, s *sim.Sim, now func() time.Time) http.Handler {
	m := newRateLimits(next, s, zap.NewNop())
	m.setClock(now)
	return m
}
