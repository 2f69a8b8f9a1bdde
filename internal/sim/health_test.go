package sim

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"gameday/internal/fleet"
)

// fastFleet reboots in 50-150 ms down plus 50-150 ms starting.
func fastFleet() FleetSpec {
	fast := Range{50 * time.Millisecond, 150 * time.Millisecond}
	return FleetSpec{Groups: []GroupSpec{{
		Name: "web", Count: 4, AvailabilityZones: []string{"us-east-1a", "us-east-1b"},
		Tags: map[string]string{"gameday": "opt-in"},
		Boot: BootSpec{Down: fast, Starting: fast},
	}}}
}

func startListening(t *testing.T, spec FleetSpec) *Sim {
	t.Helper()
	s, err := New(spec, Options{Seed: 3, Listeners: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// probe GETs url on a fresh connection: the status, or -1 when the
// connection is refused or cut.
func probe(t *testing.T, url string) int {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func waitForStatus(t *testing.T, url string, want int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		got := probe(t, url)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: status %d, still not %d after 3s", url, got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestHealthEndpoint(t *testing.T) {
	t.Parallel()
	s := startListening(t, fastFleet())
	v := s.Describe()[0]
	var b, c, d int
	if _, err := fmt.Sscanf(v.PrivateIP, "127.%d.%d.%d", &b, &c, &d); err != nil || b < firstBlock || b >= endBlock {
		t.Fatalf("private ip %q: want 127.B.C.D with B in [%d,%d)", v.PrivateIP, firstBlock, endBlock)
	}
	if want := "ip-" + strings.ReplaceAll(v.PrivateIP, ".", "-") + ".ec2.internal"; v.PrivateDNSName != want {
		t.Errorf("private dns %q, want %q", v.PrivateDNSName, want)
	}
	url := s.HealthURL(v.ID)
	if want := "http://" + v.PrivateIP + ":8080/healthz"; url != want {
		t.Fatalf("HealthURL = %q, want %q", url, want)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok" {
		t.Errorf("GET health: %d %q, want 200 \"ok\"", resp.StatusCode, body)
	}
	if got := probe(t, strings.TrimSuffix(url, "/healthz")+"/other"); got != http.StatusNotFound {
		t.Errorf("GET /other: %d, want 404", got)
	}
}

func TestRebootCycleOverSockets(t *testing.T) {
	t.Parallel()
	s := startListening(t, fastFleet())
	id, other := s.Instances()[0].ID, s.Instances()[1].ID
	url := s.HealthURL(id)
	if err := s.Reboot([]string{id}); err != nil {
		t.Fatal(err)
	}
	if got := probe(t, url); got != -1 {
		t.Fatalf("right after reboot: status %d, want connection refused", got)
	}
	if got := probe(t, s.HealthURL(other)); got != http.StatusOK {
		t.Errorf("untouched instance: status %d, want 200", got)
	}
	waitForStatus(t, url, http.StatusServiceUnavailable)
	waitForStatus(t, url, http.StatusOK)
}

func TestRebootCutsOpenConnections(t *testing.T) {
	t.Parallel()
	s := startListening(t, fastFleet())
	id := s.Instances()[0].ID
	addr := strings.TrimPrefix(strings.TrimSuffix(s.HealthURL(id), "/healthz"), "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	get := func() (*http.Response, error) {
		if _, err := fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr); err != nil {
			return nil, err
		}
		return http.ReadResponse(r, nil)
	}
	resp, err := get()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("keep-alive GET: %v %v", resp, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)

	if err := s.Reboot([]string{id}); err != nil {
		t.Fatal(err)
	}
	// The idle connection must be cut by the reboot itself, not only when
	// the client next writes on it.
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err = r.ReadByte()
	var netErr net.Error
	if err == nil || (errors.As(err, &netErr) && netErr.Timeout()) {
		t.Fatalf("read on an idle connection open across a reboot: err %v, want it cut", err)
	}
}

func TestSimulatorsClaimDistinctBlocks(t *testing.T) {
	a := startListening(t, fastFleet())
	taken := a.addrs.private[0]
	// b is made to try a's block first: the sentinel must push it on.
	b, err := New(fastFleet(), Options{Seed: 3, Listeners: true})
	if err != nil {
		t.Fatal(err)
	}
	b.blockOrder = func() []int { return []int{taken, taken + 1, taken - 1} }
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.addrs.private[0] == taken {
		t.Fatalf("both simulators use 127.%d.0.0/16", taken)
	}
	for _, s := range []*Sim{a, b} {
		for _, in := range s.Instances() {
			if got := probe(t, s.HealthURL(in.ID)); got != http.StatusOK {
				t.Errorf("%s: status %d, want 200", s.HealthURL(in.ID), got)
			}
		}
	}
}

func TestAPIOnlyBindsNothing(t *testing.T) {
	s, err := New(fastFleet(), Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in := s.Instances()[0]
	if in.PrivateIP == "" {
		t.Fatal("API-only simulator assigned no private ip")
	}
	if got := probe(t, s.HealthURL(in.ID)); got != -1 {
		t.Fatalf("API-only simulator answered health with %d", got)
	}
}

func TestCloseReleasesListeners(t *testing.T) {
	t.Parallel()
	s, err := New(fastFleet(), Options{Seed: 3, Listeners: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	url := s.HealthURL(s.Instances()[0].ID)
	_ = s.Reboot(fleet.IDs(s.Instances())[:1]) // a pending timer must not reopen anything
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Start(); err == nil {
		t.Error("Start after Close succeeded")
	}
	time.Sleep(200 * time.Millisecond)
	if got := probe(t, url); got != -1 {
		t.Fatalf("after Close: status %d, want connection refused", got)
	}
}

func TestReopenFailureKeepsInstanceDown(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zap.ErrorLevel)
	s, err := New(fastFleet(), Options{Seed: 3, Listeners: true, Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id := s.Instances()[0].ID
	if err := s.Reboot([]string{id}); err != nil {
		t.Fatal(err)
	}
	// Something else grabs the address while the host is down.
	squatter, err := net.Listen("tcp4", strings.TrimSuffix(strings.TrimPrefix(s.HealthURL(id), "http://"), "/healthz"))
	if err != nil {
		t.Fatal(err)
	}
	defer squatter.Close()
	deadline := time.Now().Add(3 * time.Second)
	for logs.FilterMessage("reopen health listener; instance stays down").Len() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no error logged for the failed reopen")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(400 * time.Millisecond) // longer than any starting phase
	if h, _ := s.HealthOf(id); h != HealthDown {
		t.Fatalf("health %q after a failed reopen, want down", h)
	}
}

// probeErr GETs url with a short timeout and tells how it failed:
// "refused", "timeout", another error, or "" when it got an answer.
func probeErr(url string) string {
	client := &http.Client{Timeout: 150 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	var netErr net.Error
	switch {
	case err == nil:
		resp.Body.Close()
		return ""
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	}
	return err.Error()
}

func hangFleet() FleetSpec {
	spec := fastFleet()
	spec.Groups[0].Boot.Unreachable = UnreachableHang
	spec.Groups[0].Boot.Down = Range{300 * time.Millisecond, 300 * time.Millisecond}
	return spec
}

func TestHangModeTimesOutInsteadOfRefusing(t *testing.T) {
	t.Parallel()
	s := startListening(t, hangFleet())
	id := s.Instances()[0].ID
	url := s.HealthURL(id)
	if err := s.Reboot([]string{id}); err != nil {
		t.Fatal(err)
	}
	if got := probeErr(url); got != "timeout" {
		t.Fatalf("probe of a hung host: %q, want a timeout", got)
	}
	waitForStatus(t, url, http.StatusOK)
	if _, err := s.StopInstances([]string{id}, true); err != nil {
		t.Fatal(err)
	}
	// A stopped host has no listener at all, hang mode or not.
	deadline := time.Now().Add(3 * time.Second)
	for probeErr(url) != "refused" {
		if time.Now().After(deadline) {
			t.Fatalf("stopped host: %q, want refused", probeErr(url))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBrokenHostAnswers500(t *testing.T) {
	t.Parallel()
	spec := fastFleet()
	spec.Groups[0].Boot.BrokenProbability = 1
	s := startListening(t, spec)
	id := s.Instances()[0].ID
	_ = s.Reboot([]string{id})
	waitForStatus(t, s.HealthURL(id), http.StatusInternalServerError)
}

func TestPublicIPAnswersAndMovesOnStart(t *testing.T) {
	t.Parallel()
	spec := fastFleet()
	spec.Groups[0].PublicIP = true
	s := startListening(t, spec)
	id := s.Instances()[0].ID
	before := view(t, s, id)
	publicURL := func(v InstanceView) string { return "http://" + v.PublicIP + ":8080/healthz" }
	if !strings.HasPrefix(before.PublicIP, "127.") || probe(t, publicURL(before)) != http.StatusOK {
		t.Fatalf("public address %q does not answer", before.PublicIP)
	}
	mustStop(t, s, id)
	waitForStatus(t, publicURL(before), -1)
	if _, err := s.StartInstances([]string{id}); err != nil {
		t.Fatal(err)
	}
	after := view(t, s, id)
	if after.PublicIP == before.PublicIP || after.PrivateIP != before.PrivateIP {
		t.Fatalf("public %s -> %s, private %s -> %s", before.PublicIP, after.PublicIP, before.PrivateIP, after.PrivateIP)
	}
	waitForStatus(t, publicURL(after), http.StatusOK)
	waitForStatus(t, s.HealthURL(id), http.StatusOK)
	if got := probe(t, publicURL(before)); got != -1 {
		t.Errorf("the released public address answers %d", got)
	}
}

func TestRebootBeforeStart(t *testing.T) {
	t.Parallel()
	s, err := New(fastFleet(), Options{Seed: 3, Listeners: true})
	if err != nil {
		t.Fatal(err)
	}
	id := s.Instances()[0].ID
	if err := s.Reboot([]string{id}); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	waitForStatus(t, s.HealthURL(id), http.StatusOK)
}
