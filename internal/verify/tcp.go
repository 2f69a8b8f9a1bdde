package verify

import (
	"context"
	"fmt"
	"net"
	"time"
)

// TCPProber checks that a TCP connection opens, for services without an
// HTTP health endpoint (databases, caches).
type TCPProber struct {
	dialer     *net.Dialer
	timeout    time.Duration
	maxLatency time.Duration
}

// NewTCPProber builds a prober; maxLatency 0 means no latency limit.
func NewTCPProber(timeout, maxLatency time.Duration, loopbackOnly bool) *TCPProber {
	return &TCPProber{dialer: newDialer(timeout, loopbackOnly), timeout: timeout, maxLatency: maxLatency}
}

// Probe implements Prober; address is host:port.
func (p *TCPProber) Probe(ctx context.Context, address string) Result {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	start := time.Now()
	conn, err := p.dialer.DialContext(ctx, "tcp", address)
	latency := time.Since(start)
	if err != nil {
		return Result{Detail: describeProbeError(err, p.timeout), Latency: latency}
	}
	_ = conn.Close()
	if p.maxLatency > 0 && latency > p.maxLatency {
		return Result{Detail: fmt.Sprintf("connected, slow: %s > %s", latency.Round(time.Millisecond), p.maxLatency), Latency: latency}
	}
	return Result{Healthy: true, Detail: "connected", Latency: latency}
}
