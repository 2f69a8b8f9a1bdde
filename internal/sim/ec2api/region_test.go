package ec2api_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"gameday/internal/sim"
	"gameday/internal/sim/ec2api"
)

func TestARequestSignedForAnotherRegionIsRefused(t *testing.T) {
	e := newEnv(t, false)
	cfg := awsConfig()
	cfg.Region = "eu-west-1"
	client := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String(e.server.URL()) })
	_, err := client.DescribeInstances(ctx(t), &ec2.DescribeInstancesInput{})
	wantAPIError(t, err, "AuthFailure", "")
	if err == nil || !strings.Contains(err.Error(), "not 'eu-west-1'") {
		t.Errorf("error %v does not name the region", err)
	}
}

func TestTheFleetFileAPISectionIsApplied(t *testing.T) {
	spec, err := sim.ParseFleet("f.yaml", []byte(`groups: [{name: web, count: 2}]
api:
  rate_limits: false
  faults: {server_error_rate: 1}
`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(spec, sim.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv, err := ec2api.Start(s, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	client := ec2.NewFromConfig(awsConfig(), func(o *ec2.Options) { o.BaseEndpoint = aws.String(srv.URL()) })
	_, err = client.DescribeInstances(ctx(t), &ec2.DescribeInstancesInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || (apiErr.ErrorCode() != "InternalError" && apiErr.ErrorCode() != "Unavailable") {
		t.Fatalf("with server_error_rate 1: %v, want an injected 5xx", err)
	}
	// rate_limits: false: far more calls than the 50/10 bucket holds pass
	// the limiter (each still meets the injected fault, not a throttle).
	for range 120 {
		_, err := client.DescribeInstances(ctx(t), &ec2.DescribeInstancesInput{})
		if errors.As(err, &apiErr) && apiErr.ErrorCode() == "RequestLimitExceeded" {
			t.Fatal("throttled although the fleet file turns rate limits off")
		}
	}
}
