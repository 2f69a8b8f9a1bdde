package ec2api_test

import (
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"gameday/internal/sim"
)

// settled waits until every id answers health with 200 or 500 (not down,
// not starting) and returns the status of each.
func (e *env) settled(t *testing.T, ids []string) map[string]int {
	t.Helper()
	got := map[string]int{}
	for _, id := range ids {
		waitFor(t, id+" settled", func() bool {
			got[id] = probe(e.sim.HealthURL(id))
			return got[id] == http.StatusOK || got[id] == http.StatusInternalServerError
		})
	}
	return got
}

// wantHealthMatchesStatus checks a 500 comes with impaired and a 200 with ok.
func (e *env) wantHealthMatchesStatus(t *testing.T, health map[string]int) (broken []string) {
	t.Helper()
	for id, code := range health {
		status, _, _ := e.statusOf(t, id)
		want := types.SummaryStatusOk
		if code == http.StatusInternalServerError {
			want = types.SummaryStatusImpaired
			broken = append(broken, id)
		}
		if status != want {
			t.Errorf("%s answers %d but its instance status is %s, want %s", id, code, status, want)
		}
	}
	return broken
}

func TestBrokenInstanceIsFixedByStopStart(t *testing.T) {
	t.Parallel()
	boot := fastBoot()
	boot.BrokenProbability = 0.5
	e := newEnvWith(t, withBoot(boot), true)
	web := e.idsOfGroup("web")
	if err := e.rebootErr(web...); err != nil {
		t.Fatal(err)
	}
	broken := e.wantHealthMatchesStatus(t, e.settled(t, web))
	if len(broken) == 0 {
		t.Fatal("no reboot broke an instance at probability 0.5; pick another seed")
	}
	// Another reboot does not mend a broken host.
	if err := e.rebootErr(broken...); err != nil {
		t.Fatal(err)
	}
	for id, code := range e.settled(t, broken) {
		if code != http.StatusInternalServerError {
			t.Errorf("%s answered %d after a reboot, want still broken", id, code)
		}
	}
	e.stop(t, false, broken...)
	in := &ec2.DescribeInstancesInput{InstanceIds: broken}
	if err := ec2.NewInstanceStoppedWaiter(e.ec2, fastStopped).Wait(ctx(t), in, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := e.start(broken...); err != nil {
		t.Fatal(err)
	}
	if err := ec2.NewInstanceRunningWaiter(e.ec2, fastRunning).Wait(ctx(t), in, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	stillBroken := e.wantHealthMatchesStatus(t, e.settled(t, broken))
	if len(stillBroken) == len(broken) {
		t.Errorf("stop and start mended none of %d broken instances", len(broken))
	}
}

func TestHungHostTimesOutRatherThanRefusing(t *testing.T) {
	t.Parallel()
	boot := fastBoot()
	boot.Unreachable = sim.UnreachableHang
	boot.Down = sim.Range{Min: 300 * time.Millisecond, Max: 300 * time.Millisecond}
	e := newEnvWith(t, withBoot(boot), true)
	id := e.idsOfGroup("web")[0]
	if err := e.rebootErr(id); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 100 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	_, err := client.Get(e.sim.HealthURL(id))
	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Fatalf("probe of a rebooting host in hang mode: %v, want a timeout", err)
	}
	waitFor(t, "200 once back", func() bool { return probe(e.sim.HealthURL(id)) == http.StatusOK })
}
