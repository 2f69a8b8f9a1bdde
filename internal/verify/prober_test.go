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

	p := NewHTTPProber(100*time.Millisecond, http.StatusOK, true)
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
