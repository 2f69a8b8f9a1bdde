package plan

import (
	"fmt"
	"strconv"
	"testing"

	"gameday/internal/fleet"
	"gameday/internal/scenario"
)

// benchScenario is the planning scenario of `make bench` (issue 8): half of
// app=web rebooted in 10 waves without a health gate, 60% of each zone
// kept running, so that the capacity floor excludes instances as the
// selection walks the fleet.
const benchScenario = `apiVersion: gameday/v1
name: plan-bench
target: {region: us-east-1, tags: {app: web}}
blast_radius:
  percent: 50
  min_healthy_remaining: {per_az: "60%"}
action: {type: reboot}
waves: {count: 10, wait_for_healthy: false}
`

// benchFleet is n instances over three zones, 80% opted in, as
// `make bench` lists them from the simulator.
func benchFleet(n int) []fleet.Instance {
	out := make([]fleet.Instance, n)
	for i := range out {
		tags := map[string]string{"app": "web", "Name": "web-" + strconv.Itoa(i)}
		if i < n*4/5 {
			tags["gameday"] = "opt-in"
		}
		out[i] = fleet.Instance{ID: fmt.Sprintf("i-%017x", uint64(i)*0x9e3779b97f4a7c15>>8), Region: "us-east-1",
			AZ: "us-east-1" + string(rune('a'+i%3)), State: fleet.StateRunning, InstanceType: "t3.micro",
			PrivateIP: fmt.Sprintf("127.16.%d.%d", i/254%254, i%254+1), Tags: tags}
	}
	return out
}

// BenchmarkBuild plans 1,000, 10,000 and 100,000 instances: the time per
// instance should stay flat (planning is linear, but for sorting).
func BenchmarkBuild(b *testing.B) {
	scn, err := scenario.Parse("bench.yaml", []byte(benchScenario))
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1_000, 10_000, 100_000} {
		instances := benchFleet(n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Build(Input{Scenario: scn, Instances: [][]fleet.Instance{instances}, Seed: 1}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/instance")
		})
	}
}
