package verify

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestHTTPProber(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(300 * time.Millisecond)
		}
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "http://192.0.2.1/", http.StatusFound)
			return
		}
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedURL := "http://" + closed.Addr().String() + "/healthz"
	closed.Close()

	p := NewHTTPProber(HTTPProbe{Timeout: 100 * time.Millisecond, ExpectStatus: http.StatusOK, LoopbackOnly: true})
	defer p.CloseIdleConnections()
	tests := []struct {
		name        string
		url         string
		status      int
		wantHealthy bool
		wantDetail  string
	}{
		{"ok", srv.URL + "/healthz", 200, true, "HTTP 200"},
		{"starting", srv.URL + "/healthz", 503, false, "HTTP 503"},
		{"refused", refusedURL, 200, false, "connection refused"},
		{"timeout", srv.URL + "/slow", 200, false, "timeout after 100ms"},
		{"redirect not followed", srv.URL + "/redirect", 200, false, "HTTP 302"},
		// TEST-NET-1: the dial is refused before any packet leaves.
		{"not loopback", "http://192.0.2.1:8080/healthz", 200, false, "refused by gameday"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status.Store(int32(tt.status))
			got := p.Probe(t.Context(), tt.url)
			if got.Healthy != tt.wantHealthy || !strings.Contains(got.Detail, tt.wantDetail) {
				t.Errorf("Probe(%s) = %+v, want healthy=%v detail containing %q", tt.url, got, tt.wantHealthy, tt.wantDetail)
			}
		})
	}
}

func TestHTTPProberChecksBodyAndLatency(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(80 * time.Millisecond)
		}
		_, _ = w.Write([]byte(`{"status":"degraded"}`))
	}))
	defer srv.Close()
	p := NewHTTPProber(HTTPProbe{Timeout: time.Second, ExpectStatus: 200, BodyContains: `"status":"ok"`})
	if got := p.Probe(t.Context(), srv.URL+"/"); got.Healthy || !strings.Contains(got.Detail, "body lacks") {
		t.Errorf("body check: %+v, want unhealthy for a missing substring", got)
	}
	p = NewHTTPProber(HTTPProbe{Timeout: time.Second, ExpectStatus: 200, MaxLatency: 20 * time.Millisecond})
	if got := p.Probe(t.Context(), srv.URL+"/slow"); got.Healthy || !strings.Contains(got.Detail, "slow") {
		t.Errorf("latency check: %+v, want unhealthy when slower than max_latency", got)
	}
	if got := p.Probe(t.Context(), srv.URL+"/"); !got.Healthy {
		t.Errorf("fast answer: %+v, want healthy", got)
	}
}

func TestTCPProber(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := l.Addr().String()
	p := NewTCPProber(200*time.Millisecond, 0, true)
	if got := p.Probe(t.Context(), open); !got.Healthy || got.Detail != "connected" {
		t.Errorf("open port: %+v", got)
	}
	l.Close()
	if got := p.Probe(t.Context(), open); got.Healthy || got.Detail != "connection refused" {
		t.Errorf("closed port: %+v, want refused", got)
	}
	if got := p.Probe(t.Context(), "192.0.2.1:5432"); got.Healthy || !strings.Contains(got.Detail, "refused by gameday") {
		t.Errorf("non-loopback: %+v, want refused before dialing", got)
	}
}
