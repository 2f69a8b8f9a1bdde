package ec2

import (
	"context"
	"errors"
	"strings"
	"testing"

	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"

	"gameday/internal/fleet"
	"gameday/internal/sim"
	"gameday/internal/sim/ec2api"
)

// serviceFleet is appFleet(n) behind one service, "api": a target group
// over every instance.
func serviceFleet(n int) sim.FleetSpec {
	spec := appFleet(n)
	spec.Services = []sim.ServiceSpec{{Name: "api", Members: map[string]string{"app": "api"}}}
	return spec
}

func TestTargetGroupResolvesNamesAndARNsOnce(t *testing.T) {
	e := newSimEnv(t, serviceFleet(3))
	p := e.provider(Options{})
	want, _ := e.sim.Service("api")
	byName, err := p.TargetGroup(t.Context(), "api")
	if err != nil {
		t.Fatal(err)
	}
	if byName.ARN != want.TargetGroupARN || byName.Name != "api" || byName.TargetType != "instance" || byName.Port == 0 {
		t.Errorf("by name: %+v, want %s, instance targets, a port", byName, want.TargetGroupARN)
	}
	byARN, err := p.TargetGroup(t.Context(), want.TargetGroupARN)
	if err != nil || byARN != byName {
		t.Errorf("by ARN: %+v, %v; want %+v", byARN, err, byName)
	}
	for range 3 {
		if _, err := p.TargetGroup(t.Context(), "api"); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.calls(ec2api.ActionDescribeTargetGroups)); n != 2 {
		t.Errorf("%d DescribeTargetGroups calls, want 2 (one per spelling, then cached)", n)
	}
	if !IsTargetGroupARN(want.TargetGroupARN) || IsTargetGroupARN("api") || IsTargetGroupARN(want.LoadBalancerARN) {
		t.Error("IsTargetGroupARN misjudges a target group ARN, a name or a load balancer ARN")
	}
}

func TestTargetHealthReportsEveryRegisteredTarget(t *testing.T) {
	e := newSimEnv(t, serviceFleet(3))
	p := e.provider(Options{})
	ids := e.ids()
	if _, err := e.sim.StopInstances(ids[:1], false); err != nil {
		t.Fatal(err)
	}
	e.waitForState(ids[:1], fleet.StateStopped)
	arn := func() string { v, _ := e.sim.Service("api"); return v.TargetGroupARN }()
	for _, group := range []string{"api", arn} {
		targets, err := p.TargetHealth(t.Context(), group)
		if err != nil {
			t.Fatal(err)
		}
		states := map[string]TargetHealth{}
		for _, th := range targets {
			states[th.InstanceID] = th
		}
		if len(targets) != 3 || states[ids[1]].State != "healthy" || states[ids[1]].Port == 0 {
			t.Errorf("%s: %+v, want 3 targets, %s healthy on a port", group, targets, ids[1])
		}
		if s := states[ids[0]]; s.State != "unused" || s.Reason != "Target.InvalidState" || s.Description == "" {
			t.Errorf("%s: stopped target %+v, want unused, Target.InvalidState, described", group, s)
		}
	}
	if n := len(e.calls(ec2api.ActionDescribeTargetHealth)); n != 2 {
		t.Errorf("%d DescribeTargetHealth calls, want 2", n)
	}
}

func TestTargetHealthOfAnUnknownGroupSaysWhatToCheck(t *testing.T) {
	e := newSimEnv(t, serviceFleet(1))
	p := e.provider(Options{})
	for _, group := range []string{"nope", "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nope/0123456789abcdef"} {
		_, err := p.TargetHealth(t.Context(), group)
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Code != "TargetGroupNotFound" || !strings.Contains(apiErr.Hint, "verify.target_groups") {
			t.Errorf("TargetHealth(%s) = %v, want TargetGroupNotFound with a hint naming verify.target_groups", group, err)
		}
	}
}

// deniedELB answers every call with AccessDenied, as ELB does without the
// IAM permission.
type deniedELB struct{}

func (deniedELB) DescribeTargetGroups(context.Context, *elbv2.DescribeTargetGroupsInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetGroupsOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "User is not authorized to perform: elasticloadbalancing:DescribeTargetGroups"}
}

func (deniedELB) DescribeTargetHealth(context.Context, *elbv2.DescribeTargetHealthInput, ...func(*elbv2.Options)) (*elbv2.DescribeTargetHealthOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "User is not authorized to perform: elasticloadbalancing:DescribeTargetHealth"}
}

func TestTargetHealthDeniedNamesThePermission(t *testing.T) {
	p := NewWithClients(nil, nil, "us-east-1", Options{ELB: deniedELB{}})
	arn := "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/0123456789abcdef"
	for _, tt := range []struct{ group, permission string }{
		{arn, "elasticloadbalancing:DescribeTargetHealth"},
		{"api", "elasticloadbalancing:DescribeTargetGroups"}, // a name is resolved first
	} {
		_, err := p.TargetHealth(t.Context(), tt.group)
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Code != "AccessDenied" || !strings.Contains(apiErr.Hint, tt.permission) {
			t.Errorf("TargetHealth(%s) = %v, want AccessDenied with a hint naming %s", tt.group, err, tt.permission)
		}
	}
	if _, err := NewWithClients(nil, nil, "us-east-1", Options{}).TargetHealth(t.Context(), arn); !errors.Is(err, ErrNoELB) {
		t.Errorf("without an ELB client: %v, want ErrNoELB", err)
	}
}
