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
	"strings"
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

// HTTPProbe configures an HTTPProber.
type HTTPProbe struct {
	Timeout      time.Duration
	ExpectStatus int
	// BodyContains, when set, must appear in the first 64 KiB of the body.
	BodyContains string
	// MaxLatency, when set, fails an answer slower than this.
	MaxLatency time.Duration
	// LoopbackOnly refuses connections outside 127.0.0.0/8.
	LoopbackOnly bool
}

// HTTPProber checks that a GET answers as an HTTPProbe expects.
type HTTPProber struct {
	client *http.Client
	cfg    HTTPProbe
}

// errNotLoopback refuses a connection outside 127.0.0.0/8 in loopback-only
// mode (simulator runs), so a scenario can never send probes elsewhere.
var errNotLoopback = errors.New("refused by gameday: probes of a simulated fleet may only reach loopback addresses")

// NewHTTPProber builds a prober. Connections are reused between probes of
// the same host (one idle connection each); a host that reboots closes them,
// which the next probe sees as a failure, as it should.
func NewHTTPProber(cfg HTTPProbe) *HTTPProber {
	dialer := newDialer(cfg.Timeout, cfg.LoopbackOnly)
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
	return &HTTPProber{client: client, cfg: cfg}
}

// newDialer dials with a timeout and, in loopback-only mode, refuses any
// address outside 127.0.0.0/8 before a packet leaves.
func newDialer(timeout time.Duration, loopbackOnly bool) *net.Dialer {
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
	return dialer
}

// Probe implements Prober.
func (p *HTTPProber) Probe(ctx context.Context, url string) Result {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Result{Detail: "bad URL: " + err.Error()}
	}
	req.Header.Set("User-Agent", "gameday-probe/"+version.Version)
	resp, err := p.client.Do(req)
	if err != nil {
		return Result{Detail: describeProbeError(err, p.cfg.Timeout), Latency: time.Since(start)}
	}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	res := Result{Healthy: true, Detail: fmt.Sprintf("HTTP %d", resp.StatusCode), Latency: time.Since(start)}
	switch {
	case resp.StatusCode != p.cfg.ExpectStatus:
		res.Healthy = false
	case readErr != nil:
		res.Healthy, res.Detail = false, res.Detail+", body cut short: "+describeProbeError(readErr, p.cfg.Timeout)
	case p.cfg.BodyContains != "" && !strings.Contains(string(body), p.cfg.BodyContains):
		res.Healthy, res.Detail = false, fmt.Sprintf("%s, body lacks %q", res.Detail, p.cfg.BodyContains)
	case p.cfg.MaxLatency > 0 && res.Latency > p.cfg.MaxLatency:
		res.Healthy, res.Detail = false, fmt.Sprintf("%s, slow: %s > %s", res.Detail, res.Latency.Round(time.Millisecond), p.cfg.MaxLatency)
	}
	return res
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
