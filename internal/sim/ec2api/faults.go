package ec2api

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"gameday/internal/sim"
)

// Faults is what the simulator injects into API calls, for tests of how
// clients cope. Each call draws once, in arrival order, from a generator
// seeded with Seed, so a sequential client sees the same faults on every
// run. The outcomes are exclusive; their rates must add up to at most 1:
//
//   - ServerErrorRate: HTTP 500 InternalError or 503 Unavailable (even odds),
//     without acting.
//   - ThrottleRate: HTTP 503 RequestLimitExceeded, without acting, whatever
//     the buckets hold.
//   - ResetRate: the TCP connection is reset (SO_LINGER 0), without acting:
//     the client sees "connection reset by peer".
//   - ResetAfterRate: the call is served (it acts, and is audited as a
//     success), then the connection is reset instead of answering. Real
//     networks lose responses so; a client that retries it acts twice,
//     which is what this rate exists to test. Default 0.
//
// Independently, LatencyRate of the calls first wait a duration drawn
// uniformly from [LatencyMin, LatencyMax].
//
// Faults apply to every call the endpoint serves (EC2, STS, ELB): they
// model the network and the service front end, not one API.
type Faults struct {
	ServerErrorRate float64
	ThrottleRate    float64
	ResetRate       float64
	ResetAfterRate  float64
	LatencyRate     float64
	LatencyMin      time.Duration
	LatencyMax      time.Duration
	Seed            uint64
}

// Audit error codes of injected faults that EC2 has no code for. Latency
// and a lost response add a record of their own beside the call's record;
// a reset before acting is the call's only record. Injected 500 and 503
// answers are audited with the EC2 code sent.
const (
	AuditInjectedLatency      = "Injected.Latency"
	AuditInjectedReset        = "Injected.ConnectionReset"
	AuditInjectedResponseLost = "Injected.ResponseLost"
)

// Validate checks rates are in [0, 1], the exclusive ones add up to at most
// 1, and latency has a range. Names are the fleet file's.
func (f Faults) Validate() error {
	rates := []struct {
		name string
		rate float64
	}{
		{"server_error_rate", f.ServerErrorRate}, {"throttle_rate", f.ThrottleRate},
		{"reset_rate", f.ResetRate}, {"reset_after_rate", f.ResetAfterRate}, {"latency_rate", f.LatencyRate},
	}
	for _, r := range rates {
		if math.IsNaN(r.rate) || r.rate < 0 || r.rate > 1 {
			return fmt.Errorf("ec2api: faults: %s %v is not between 0 and 1", r.name, r.rate)
		}
	}
	if sum := f.exclusiveRate(); sum > 1+1e-9 {
		return fmt.Errorf("ec2api: faults: server_error_rate, throttle_rate, reset_rate and reset_after_rate add up to %v, more than 1", sum)
	}
	if f.LatencyMin < 0 || f.LatencyMax < f.LatencyMin {
		return fmt.Errorf("ec2api: faults: latency range [%v, %v] is not a range of non-negative durations", f.LatencyMin, f.LatencyMax)
	}
	if f.LatencyRate > 0 && f.LatencyMax == 0 {
		return fmt.Errorf("ec2api: faults: latency_rate %v needs a latency max above 0", f.LatencyRate)
	}
	return nil
}

func (f Faults) exclusiveRate() float64 {
	return f.ServerErrorRate + f.ThrottleRate + f.ResetRate + f.ResetAfterRate
}

// SetFaults replaces the faults injected from the next call on, and restarts
// the seeded sequence. The zero Faults injects nothing (the default).
func (s *Server) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if f.exclusiveRate() == 0 && f.LatencyRate == 0 {
		s.faults.state.Store(nil)
		return nil
	}
	s.faults.state.Store(&faultState{cfg: f, rng: rand.New(rand.NewPCG(f.Seed, 0x6761_6d65_6461_79))})
	return nil
}

// fault is the outcome drawn for one call.
type fault int

const (
	faultNone fault = iota
	faultInternalError
	faultUnavailable
	faultThrottle
	faultReset
	faultResetAfter
)

func (f fault) String() string {
	return [...]string{"none", "internal-error", "unavailable", "throttle", "reset", "reset-after"}[f]
}

// fate is what happens to one call.
type fate struct {
	delayed bool
	delay   time.Duration
	outcome fault
}

// faultState is one seeded sequence of draws.
type faultState struct {
	cfg Faults
	mu  sync.Mutex
	rng *rand.Rand
}

// draw decides one call's fate. It always consumes four numbers, so that
// the k-th call's fate depends only on the seed, the rates and k.
func (st *faultState) draw() fate {
	st.mu.Lock()
	latency, span, outcome, kind := st.rng.Float64(), st.rng.Float64(), st.rng.Float64(), st.rng.Float64()
	st.mu.Unlock()
	f := st.cfg
	var d fate
	if latency < f.LatencyRate {
		d.delayed = true
		d.delay = f.LatencyMin + time.Duration(span*float64(f.LatencyMax-f.LatencyMin))
	}
	for _, o := range []struct {
		rate  float64
		fault fault
	}{{f.ServerErrorRate, faultInternalError}, {f.ThrottleRate, faultThrottle}, {f.ResetRate, faultReset}, {f.ResetAfterRate, faultResetAfter}} {
		if outcome < o.rate {
			d.outcome = o.fault
			if o.fault == faultInternalError && kind >= 0.5 {
				d.outcome = faultUnavailable
			}
			return d
		}
		outcome -= o.rate
	}
	return d
}

// faultInjector injects Faults in front of the rate limits and the handler.
type faultInjector struct {
	next  http.Handler
	sim   *sim.Sim
	log   *zap.Logger
	state atomic.Pointer[faultState] // nil: no faults
}

func newFaultInjector(next http.Handler, s *sim.Sim, logger *zap.Logger) *faultInjector {
	return &faultInjector{next: next, sim: s, log: logger}
}

func (fi *faultInjector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st := fi.state.Load()
	if st == nil {
		fi.next.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	d := st.draw()
	if !d.delayed && d.outcome == faultNone {
		fi.next.ServeHTTP(w, r)
		return
	}
	req := peekRequest(r)
	fi.log.Debug("injecting fault", zap.String("action", req.action), zap.Stringer("fault", d.outcome), zap.Duration("latency", d.delay))
	if d.delayed && !fi.delay(r, req, d.delay, start) {
		return
	}
	switch d.outcome {
	case faultNone:
		fi.next.ServeHTTP(w, r)
	case faultInternalError:
		reject(w, fi.sim, req, &apiError{Status: http.StatusInternalServerError, Code: "InternalError", Message: "An internal error has occurred"}, start)
	case faultUnavailable:
		reject(w, fi.sim, req, &apiError{Status: http.StatusServiceUnavailable, Code: "Unavailable", Message: "The server is overloaded and can't handle the request."}, start)
	case faultThrottle:
		reject(w, fi.sim, req, errRequestLimitExceeded(), start)
	case faultReset:
		fi.sim.RecordAudit(req.auditRecord(start, AuditInjectedReset, newRequestID()))
		fi.reset(w)
	case faultResetAfter:
		fi.actThenReset(w, r, req, start)
	}
}

// delay audits and waits out injected latency; false when the client left
// (or the server closed) meanwhile, and the call must go no further.
func (fi *faultInjector) delay(r *http.Request, req apiRequest, d time.Duration, start time.Time) bool {
	fi.sim.RecordAudit(req.auditRecord(start, AuditInjectedLatency, newRequestID()))
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// actThenReset serves the call into a buffer, then drops the answer. The
// lost-response record carries the handler's request id, to pair the two.
func (fi *faultInjector) actThenReset(w http.ResponseWriter, r *http.Request, req apiRequest, start time.Time) {
	lost := &discardedResponse{header: http.Header{}}
	fi.next.ServeHTTP(lost, r)
	fi.sim.RecordAudit(req.auditRecord(start, AuditInjectedResponseLost, lost.header.Get("X-Amzn-Requestid")))
	fi.reset(w)
}

// reset closes the client's connection with a TCP RST (SO_LINGER 0), so
// the client reads "connection reset by peer" rather than a clean EOF.
func (fi *faultInjector) reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not a hijackable connection (HTTP/2, a test recorder): abort,
		// which closes the connection or stream without an answer.
		fi.log.Debug("cannot hijack for a reset; aborting instead", zap.Error(err))
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// discardedResponse is a ResponseWriter whose answer is never sent.
type discardedResponse struct {
	header http.Header
}

func (d *discardedResponse) Header() http.Header         { return d.header }
func (d *discardedResponse) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardedResponse) WriteHeader(int)             {}
