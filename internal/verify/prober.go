// Package verify observes health while a run goes: it probes every target on
// an interval, keeps a timeline of transitions per instance, works out when
// each acted-on instance went down and came back, and gates waves on that.
package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"gameday/internal/version"
)

// Result is the outcome of one probe.
type Result struct {
	Healthy bool
	// Detail is short and human: "HTTP 200", "connection refused", "timeout after 1s".
	Detail  string
	Latency time.Duration
}

// Prober runs one health check against one URL.
type Prober interface {
	Probe(ctx context.Context, url string) Result
}

// HTTPProber checks that a GET answers with the expected status.
type HTTPProber struct {
	client       *http.Client
	timeout      time.Duration
	expectStatus int
}

// errNotLoopback refuses a connection outside 127.0.0.0/8 in loopback-only
// mode (simulator runs), so a scenario can never send probes elsewhere.
var errNotLoopback = errors.New("refused by gameday: probes of a simulated fleet may only reach loopback addresses")

// NewHTTPProber builds a prober. Connections are reused between probes of
// the same host (one idle connection each); a host that reboots closes them,
// which the next probe sees as a failure, as it should.
func NewHTTPProber(timeout time.Duration, expectStatus int, loopbackOnly bool) *HTTPProber {
	dialer := &net.Dialer{Timeout: timeout}
	if loopbackOnly {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
				return errNotLoopback
			}
			return nil
		}
	}
	transport := &http.Transport{
		// Never through a proxy: a probe must reach the instance itself.
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	client := &http.Client{
		Transport: transport,
		// A redirect is an answer in itself; following it would probe another host.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &HTTPProber{client: client, timeout: timeout, expectStatus: expectStatus}
}

// Probe implements Prober.
func (p *HTTPProber) Probe(ctx context.Context, url string) Result {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Result{Detail: "bad URL: " + err.Error()}
	}
	req.Header.Set("User-Agent", "gameday-probe/"+version.Version)
	resp, err := p.client.Do(req)
	if err != nil {
		return Result{Detail: describeProbeError(err, p.timeout), Latency: time.Since(start)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return Result{
		Healthy: resp.StatusCode == p.expectStatus,
		Detail:  fmt.Sprintf("HTTP %d", resp.StatusCode),
		Latency: time.Since(start),
	}
}

// CloseIdleConnections releases pooled connections.
func (p *HTTPProber) CloseIdleConnections() { p.client.CloseIdleConnections() }

func describeProbeError(err error, timeout time.Duration) string {
	switch {
	case errors.Is(err, errNotLoopback):
		return errNotLoopback.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Sprintf("timeout after %s", timeout)
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return fmt.Sprintf("timeout after %s", timeout)
	}
	return err.Error()
}
