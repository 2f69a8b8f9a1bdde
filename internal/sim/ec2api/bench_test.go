package ec2api_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"gameday/internal/sim"
)

// BenchmarkDescribeInstancesPage100000 measures one DescribeInstances page
// of 1,000 over a 100,000-instance API-only fleet, through the SDK over
// loopback, from the middle of the fleet: unfiltered, with a filter most
// instances pass, and with one none passes (a scan of the whole fleet).
func BenchmarkDescribeInstancesPage100000(b *testing.B) {
	optIn := 80_000
	azs := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	e := newEnvWith(b, sim.FleetSpec{Groups: []sim.GroupSpec{
		{Name: "web", Count: optIn, AvailabilityZones: azs, Tags: map[string]string{"app": "web", "gameday": "opt-in"}},
		{Name: "legacy", Count: 100_000 - optIn, AvailabilityZones: azs, Tags: map[string]string{"app": "web"}},
	}}, false)
	token := middleToken(b, e)
	cases := []struct {
		name    string
		filters []types.Filter
		token   *string
	}{
		{"unfiltered", nil, token},
		{"opt-in-80pct", []types.Filter{filter("tag:gameday", "opt-in")}, token},
		{"sparse-full-scan", []types.Filter{filter("instance-type", "m5.large")}, nil},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			in := &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000), NextToken: c.token, Filters: c.filters}
			for b.Loop() {
				if _, err := e.ec2.DescribeInstances(ctx(b), in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// middleToken pages halfway through the fleet and returns the token there.
func middleToken(b *testing.B, e *env) *string {
	in := &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000)}
	for range 50 {
		out, err := e.ec2.DescribeInstances(ctx(b), in)
		if err != nil {
			b.Fatal(err)
		}
		in.NextToken = out.NextToken
	}
	return in.NextToken
}
