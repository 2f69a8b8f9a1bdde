package sim

import "time"

// DemoFleet is the fleet `gameday demo` runs against: 60 instances in
// us-east-1, spread round-robin over us-east-1a, us-east-1b and us-east-1c.
//
//	group       count  tags                        Name tags
//	web         36     app=web, gameday=opt-in     web-01 .. web-36
//	worker      12     app=worker, gameday=opt-in  worker-01 .. worker-12
//	web-legacy  12     app=web (NOT opted in)      web-legacy-01 .. web-legacy-12
//
// web-legacy matches a target of app=web but lacks the opt-in tag, so a run
// that honours the opt-in guard must never reboot it; tests check this with
// Sim.RebootCounts. Timings are short so a three-wave demo ends in about
// 20 s: a reboot keeps a host down for 1.5-4 s, then it answers 503 for
// 0.5-1.5 s, then 200. Health checks answer on http://PRIVATE-IP:8080/healthz.
func DemoFleet() FleetSpec {
	azs := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	boot := BootSpec{
		Down:     Range{Min: 1500 * time.Millisecond, Max: 4 * time.Second},
		Starting: Range{Min: 500 * time.Millisecond, Max: 1500 * time.Millisecond},
	}
	group := func(name string, count int, tags map[string]string) GroupSpec {
		return GroupSpec{
			Name:              name,
			Count:             count,
			AvailabilityZones: azs,
			InstanceType:      "t3.micro",
			Tags:              tags,
			Boot:              boot,
		}
	}
	return FleetSpec{
		Region:     DefaultRegion,
		AccountID:  DefaultAccountID,
		HealthPort: DefaultHealthPort,
		HealthPath: DefaultHealthPath,
		Groups: []GroupSpec{
			group("web", 36, map[string]string{"app": "web", "gameday": "opt-in"}),
			group("worker", 12, map[string]string{"app": "worker", "gameday": "opt-in"}),
			group("web-legacy", 12, map[string]string{"app": "web"}),
		},
	}
}
