package ec2

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// IAM actions behind the ELB calls, named in errors.
const (
	iamDescribeTargetGroups = "elasticloadbalancing:DescribeTargetGroups"
	iamDescribeTargetHealth = "elasticloadbalancing:DescribeTargetHealth"
)

// TargetGroup is an ELBv2 target group as DescribeTargetGroups reports it.
type TargetGroup struct {
	ARN  string
	Name string
	// TargetType is instance, ip, lambda or alb. Only instance targets name
	// EC2 instances.
	TargetType string
	Port       int32
}

// TargetHealth is one registered target as DescribeTargetHealth reports
// it. An instance registered on two ports appears twice.
type TargetHealth struct {
	// InstanceID is the target's id: an instance id for instance target
	// groups.
	InstanceID string
	Port       int32
	// State is initial, healthy, unhealthy, unhealthy.draining, unused,
	// draining or unavailable.
	State       string
	Reason      string
	Description string
}

// IsTargetGroupARN reports whether s looks like an ELBv2 target group ARN
// (arn:PARTITION:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID)
// rather than a name.
func IsTargetGroupARN(s string) bool {
	return strings.HasPrefix(s, "arn:") && strings.Contains(s, ":elasticloadbalancing:") && strings.Contains(s, ":targetgroup/")
}

// ErrNoELB is returned by the target group calls of a provider built
// without an ELBv2 client.
var ErrNoELB = errors.New("ec2: this provider has no ELBv2 client (Options.ELB)")

// TargetGroup resolves a target group named by its ARN or, in this
// provider's region, by its name, with DescribeTargetGroups. Results are
// cached: a target group's ARN, name and type never change.
func (p *Provider) TargetGroup(ctx context.Context, nameOrARN string) (TargetGroup, error) {
	if v, ok := p.groups.Load(nameOrARN); ok {
		return v.(TargetGroup), nil
	}
	if p.opts.ELB == nil {
		return TargetGroup{}, ErrNoELB
	}
	in := &elbv2.DescribeTargetGroupsInput{}
	if IsTargetGroupARN(nameOrARN) {
		in.TargetGroupArns = []string{nameOrARN}
	} else {
		in.Names = []string{nameOrARN}
	}
	out, err := p.opts.ELB.DescribeTargetGroups(ctx, in)
	op := fmt.Sprintf("describe target group %s in %s", nameOrARN, p.region)
	if err != nil {
		return TargetGroup{}, classifyELB(op, iamDescribeTargetGroups, err)
	}
	if len(out.TargetGroups) != 1 {
		return TargetGroup{}, &APIError{Op: op, Action: iamDescribeTargetGroups, Code: "TargetGroupNotFound",
			Message: fmt.Sprintf("%d target groups answered, want exactly 1", len(out.TargetGroups)),
			Hint:    targetGroupNotFoundHint}
	}
	g := out.TargetGroups[0]
	tg := TargetGroup{ARN: aws.ToString(g.TargetGroupArn), Name: aws.ToString(g.TargetGroupName),
		TargetType: string(g.TargetType), Port: aws.ToInt32(g.Port)}
	p.groups.Store(nameOrARN, tg)
	return tg, nil
}

// TargetHealth reads the health of every target registered in a target
// group with DescribeTargetHealth. targetGroup is an ARN or, in this
// provider's region, a name (resolved once with DescribeTargetGroups).
// ELB calls are not paced on the EC2 limiter: ELB throttles by its own
// rules, and a run makes one call per target group and interval; the
// SDK's standard retries cover its throttling.
func (p *Provider) TargetHealth(ctx context.Context, targetGroup string) ([]TargetHealth, error) {
	if p.opts.ELB == nil {
		return nil, ErrNoELB
	}
	arn := targetGroup
	if !IsTargetGroupARN(targetGroup) {
		tg, err := p.TargetGroup(ctx, targetGroup)
		if err != nil {
			return nil, err
		}
		arn = tg.ARN
	}
	out, err := p.opts.ELB.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
	if err != nil {
		return nil, classifyELB(fmt.Sprintf("describe target health of %s in %s", targetGroup, p.region), iamDescribeTargetHealth, err)
	}
	targets := make([]TargetHealth, 0, len(out.TargetHealthDescriptions))
	for _, d := range out.TargetHealthDescriptions {
		var t TargetHealth
		if d.Target != nil {
			t.InstanceID, t.Port = aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port)
		}
		if h := d.TargetHealth; h != nil {
			t.State, t.Reason, t.Description = string(h.State), string(h.Reason), aws.ToString(h.Description)
		}
		targets = append(targets, t)
	}
	return targets, nil
}

const targetGroupNotFoundHint = "no such target group in this account and region; check verify.target_groups " +
	"(a name is looked up in the run's region; an ARN names its own)"

// classifyELB is classify with hints for ELB's own error codes.
func classifyELB(op, action string, err error) error {
	classified := classify(op, action, err)
	var e *APIError
	if errors.As(classified, &e) {
		switch e.Code {
		case "TargetGroupNotFound":
			e.Hint = targetGroupNotFoundHint
		case "ValidationError":
			e.Hint = "ELB refused the request as malformed; check the target group name or ARN in verify.target_groups"
		}
	}
	return classified
}
