package sim

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fastServiceFleet is serviceFleet with reboots of 300 ms and no latency,
// for tests over sockets.
func fastServiceFleet() FleetSpec {
	return serviceFleet(func(spec *FleetSpec) {
		for i := range spec.Groups {
			spec.Groups[i].Boot = BootSpec{Down: fixed(300 * time.Millisecond), Starting: fixed(100 * time.Millisecond)}
		}
		spec.Services[0].Latency = Range{}
	})
}

// getService GETs url on a fresh connection: the status and body, or -1
// when nothing answers.
func getService(url string) (int, serviceAnswer) {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	if err != nil {
		return -1, serviceAnswer{}
	}
	defer resp.Body.Close()
	var body serviceAnswer
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func waitForService(t *testing.T, url string, want int) serviceAnswer {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		got, body := getService(url)
		if got == want {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: status %d, still not %d after 3s", url, got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestServiceListeners(t *testing.T) {
	s := startListening(t, fastServiceFleet())
	storefront, _ := s.Service("storefront")
	if !storefront.Listening || !strings.HasPrefix(storefront.URL, fmt.Sprintf("http://127.%d.255.1:8080/", s.addrs.private[0])) {
		t.Fatalf("storefront listening %v at %q", storefront.Listening, storefront.URL)
	}
	body := waitForService(t, storefront.URL, http.StatusOK)
	if body.Service != "storefront" || body.Status != ServiceOK || body.HealthyMembers != 6 || body.Members != 6 {
		t.Errorf("body %+v", body)
	}
	if got, _ := getService(strings.TrimSuffix(storefront.URL, "/") + "/other"); got != http.StatusNotFound {
		t.Errorf("another path: %d, want 404", got)
	}
	reboot(t, s, storefront.Members[:4]...)
	if body := waitForService(t, storefront.URL, http.StatusServiceUnavailable); body.Status != ServiceDown {
		t.Errorf("body while 4 of 6 are rebooting: %+v", body)
	}
	waitForService(t, storefront.URL, http.StatusOK)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := getService(storefront.URL); got != -1 {
		t.Errorf("after Close: %d, want nothing listening", got)
	}
}

func TestServiceAddressInUseMovesToAnotherBlock(t *testing.T) {
	probeSim := startListening(t, fastServiceFleet())
	block := probeSim.addrs.private[0]
	if err := probeSim.Close(); err != nil {
		t.Fatal(err)
	}
	// Someone else holds db's address in block, and nothing else of it.
	held, err := listenLoopback(net.JoinHostPort(serviceIP(block, 1), "8080"))
	if err != nil {
		t.Skipf("cannot hold %s: %v", serviceIP(block, 1), err)
	}
	defer held.Close()
	s, err := New(fastServiceFleet(), Options{Seed: 3, Listeners: true})
	if err != nil {
		t.Fatal(err)
	}
	s.blockOrder = func() []int { return []int{block, block + 1, block - 1} }
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.addrs.private[0] == block {
		t.Fatalf("Start kept block %d although a service address in it was taken", block)
	}
	db, _ := s.Service("db")
	waitForService(t, db.URL, http.StatusOK)
}

func TestAPIOnlyServesNoService(t *testing.T) {
	s := startAPIOnly(t, fastServiceFleet())
	v, _ := s.Service("storefront")
	if v.Listening || v.URL == "" {
		t.Fatalf("API-only: listening %v, URL %q; want an assigned URL nobody serves", v.Listening, v.URL)
	}
	if got, _ := getService(v.URL); got != -1 {
		t.Errorf("API-only simulator answered its service URL with %d", got)
	}
}
