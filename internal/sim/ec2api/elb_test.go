package ec2api_test

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"gameday/internal/sim"
)

// elbFleet is testFleet with two services: storefront over the 8 opted-in
// web hosts and workers over the 4 workers. A reboot keeps a host down for
// 5 s and a stop 300 ms, so that a test sees either phase without racing
// it.
func elbFleet() sim.FleetSpec {
	r := sim.Range{Min: 50 * time.Millisecond, Max: 100 * time.Millisecond}
	spec := withBoot(sim.BootSpec{Down: sim.Range{Min: 5 * time.Second, Max: 5 * time.Second}, Starting: r,
		Stopping: sim.Range{Min: 300 * time.Millisecond, Max: 300 * time.Millisecond}, Pending: r})
	spec.Services = []sim.ServiceSpec{
		{Name: "storefront", Members: map[string]string{"app": "web", "gameday": "opt-in"}},
		{Name: "workers", Members: map[string]string{"app": "worker"}},
	}
	return spec
}

// newELBEnv serves elbFleet and returns an ELBv2 SDK client pointed at the
// same endpoint as the env's EC2 client.
func newELBEnv(t *testing.T, listeners bool) (*env, *elb.Client) {
	t.Helper()
	e := newEnvWith(t, elbFleet(), listeners)
	client := elb.NewFromConfig(awsConfig(), func(o *elb.Options) { o.BaseEndpoint = aws.String(e.server.URL()) })
	return e, client
}

func service(t *testing.T, e *env, name string) sim.ServiceView {
	t.Helper()
	v, ok := e.sim.Service(name)
	if !ok {
		t.Fatalf("no service %s", name)
	}
	return v
}

func TestDescribeTargetGroups(t *testing.T) {
	e, client := newELBEnv(t, false)
	storefront := service(t, e, "storefront")
	out, err := client.DescribeTargetGroups(ctx(t), &elb.DescribeTargetGroupsInput{Names: []string{"storefront"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TargetGroups) != 1 {
		t.Fatalf("%d target groups, want 1", len(out.TargetGroups))
	}
	tg := out.TargetGroups[0]
	checks := []struct{ name, got, want string }{
		{"arn", aws.ToString(tg.TargetGroupArn), storefront.TargetGroupARN},
		{"name", aws.ToString(tg.TargetGroupName), "storefront"},
		{"protocol", string(tg.Protocol), "HTTP"},
		{"target type", string(tg.TargetType), "instance"},
		{"health check path", aws.ToString(tg.HealthCheckPath), "/healthz"},
		{"health check port", aws.ToString(tg.HealthCheckPort), "traffic-port"},
		{"matcher", aws.ToString(tg.Matcher.HttpCode), "200"},
		{"vpc", aws.ToString(tg.VpcId), e.sim.Describe()[0].VpcID},
		{"load balancer", slices.Concat(tg.LoadBalancerArns, []string{""})[0], storefront.LoadBalancerARN},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
	if aws.ToInt32(tg.Port) != 8080 || aws.ToInt32(tg.HealthyThresholdCount) != 5 || aws.ToInt32(tg.UnhealthyThresholdCount) != 2 {
		t.Errorf("port %d, thresholds %d/%d; want 8080, 5/2", aws.ToInt32(tg.Port), aws.ToInt32(tg.HealthyThresholdCount), aws.ToInt32(tg.UnhealthyThresholdCount))
	}

	byARN, err := client.DescribeTargetGroups(ctx(t), &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{storefront.TargetGroupARN}})
	if err != nil || len(byARN.TargetGroups) != 1 || aws.ToString(byARN.TargetGroups[0].TargetGroupName) != "storefront" {
		t.Errorf("by ARN: %+v, %v", byARN, err)
	}
	_, err = client.DescribeTargetGroups(ctx(t), &elb.DescribeTargetGroupsInput{Names: []string{"storefront", "nope"}})
	wantTargetGroupNotFound(t, err)
}

func TestDescribeTargetGroupsPages(t *testing.T) {
	_, client := newELBEnv(t, false)
	pages := elb.NewDescribeTargetGroupsPaginator(client, &elb.DescribeTargetGroupsInput{PageSize: aws.Int32(1)})
	var names []string
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if len(page.TargetGroups) != 1 {
			t.Fatalf("page of %d target groups, want 1", len(page.TargetGroups))
		}
		names = append(names, aws.ToString(page.TargetGroups[0].TargetGroupName))
	}
	if !slices.Equal(names, []string{"storefront", "workers"}) {
		t.Errorf("paged through %v, want storefront then workers", names)
	}
}

// targetStates describes storefront's targets: state and reason per id.
func targetStates(t *testing.T, client *elb.Client, arn string) map[string]elbtypes.TargetHealth {
	t.Helper()
	out, err := client.DescribeTargetHealth(ctx(t), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]elbtypes.TargetHealth{}
	for _, d := range out.TargetHealthDescriptions {
		if aws.ToInt32(d.Target.Port) != 8080 || aws.ToString(d.HealthCheckPort) != "8080" {
			t.Errorf("%s: port %d, health check port %q", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port), aws.ToString(d.HealthCheckPort))
		}
		states[aws.ToString(d.Target.Id)] = *d.TargetHealth
	}
	return states
}

func wantTargetState(t *testing.T, got elbtypes.TargetHealth, state elbtypes.TargetHealthStateEnum, reason, description string) {
	t.Helper()
	if got.State != state || string(got.Reason) != reason || aws.ToString(got.Description) != description {
		t.Errorf("target health %s %s %q, want %s %s %q", got.State, got.Reason, aws.ToString(got.Description), state, reason, description)
	}
}

func TestDescribeTargetHealthFollowsRebootAndStop(t *testing.T) {
	e, client := newELBEnv(t, true)
	storefront := service(t, e, "storefront")
	before := targetStates(t, client, storefront.TargetGroupARN)
	if len(before) != 8 {
		t.Fatalf("%d targets, want the 8 opted-in web hosts", len(before))
	}
	for id, th := range before {
		wantTargetState(t, th, elbtypes.TargetHealthStateEnumHealthy, "", "")
		if !slices.Contains(storefront.Members, id) {
			t.Errorf("%s is a target but not a member", id)
		}
	}
	rebooted, stopped := storefront.Members[0], storefront.Members[1]
	if _, err := e.ec2.RebootInstances(ctx(t), &ec2.RebootInstancesInput{InstanceIds: []string{rebooted}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ec2.StopInstances(ctx(t), &ec2.StopInstancesInput{InstanceIds: []string{stopped}}); err != nil {
		t.Fatal(err)
	}
	// While stopping it is unused too ("Target is in an invalid state").
	wantTargetState(t, targetStates(t, client, storefront.TargetGroupARN)[stopped],
		elbtypes.TargetHealthStateEnumUnused, "Target.InvalidState", "Target is in an invalid state")
	waitFor(t, "the instance to stop", func() bool {
		health, _ := e.sim.HealthOf(stopped)
		return health == sim.HealthOff
	})
	now := targetStates(t, client, storefront.TargetGroupARN)
	wantTargetState(t, now[rebooted], elbtypes.TargetHealthStateEnumUnhealthy, "Target.FailedHealthChecks", "Health checks failed")
	wantTargetState(t, now[stopped], elbtypes.TargetHealthStateEnumUnused, "Target.InvalidState", "Target is in the stopped state")
	wantTargetState(t, now[storefront.Members[2]], elbtypes.TargetHealthStateEnumHealthy, "", "")
}

func TestDescribeTargetHealthOfNamedTargets(t *testing.T) {
	e, client := newELBEnv(t, false)
	storefront, workers := service(t, e, "storefront"), service(t, e, "workers")
	out, err := client.DescribeTargetHealth(ctx(t), &elb.DescribeTargetHealthInput{
		TargetGroupArn: aws.String(storefront.TargetGroupARN),
		Targets: []elbtypes.TargetDescription{
			{Id: aws.String(workers.Members[0])},
			{Id: aws.String(storefront.Members[3]), Port: aws.Int32(8080)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.TargetHealthDescriptions); n != 2 {
		t.Fatalf("%d descriptions, want 2", n)
	}
	wantTargetState(t, *out.TargetHealthDescriptions[0].TargetHealth, elbtypes.TargetHealthStateEnumUnused,
		"Target.NotRegistered", "Target is not registered to the target group")
	wantTargetState(t, *out.TargetHealthDescriptions[1].TargetHealth, elbtypes.TargetHealthStateEnumHealthy, "", "")

	_, err = client.DescribeTargetHealth(ctx(t), &elb.DescribeTargetHealthInput{
		TargetGroupArn: aws.String(storefront.TargetGroupARN),
		Targets:        []elbtypes.TargetDescription{{Id: aws.String("i-0123456789abcdef0")}},
	})
	var invalid *elbtypes.InvalidTargetException
	if !errors.As(err, &invalid) {
		t.Errorf("unknown instance as a target: %v, want InvalidTarget", err)
	}
}

func TestDescribeTargetHealthOfUnknownGroup(t *testing.T) {
	e, client := newELBEnv(t, false)
	arn := "arn:aws:elasticloadbalancing:us-east-1:" + testAccount + ":targetgroup/nope/0123456789abcdef"
	_, err := client.DescribeTargetHealth(ctx(t), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
	wantTargetGroupNotFound(t, err)
	audit := e.sim.Audit()
	last := audit[len(audit)-1]
	if last.Action != "DescribeTargetHealth" || last.ErrorCode != "TargetGroupNotFound" || last.RequestID == "" {
		t.Errorf("audit record %+v, want the failed DescribeTargetHealth", last)
	}
}

func wantTargetGroupNotFound(t *testing.T, err error) {
	t.Helper()
	var notFound *elbtypes.TargetGroupNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("error %v (%T), want TargetGroupNotFound", err, err)
	}
	wantAPIError(t, err, "TargetGroupNotFound", "One or more target groups not found")
	var resp *awshttp.ResponseError
	if !errors.As(err, &resp) || resp.HTTPStatusCode() != http.StatusBadRequest {
		t.Errorf("HTTP status of %v, want 400", err)
	}
}

func TestDescribeLoadBalancers(t *testing.T) {
	e, client := newELBEnv(t, true)
	storefront := service(t, e, "storefront")
	out, err := client.DescribeLoadBalancers(ctx(t), &elb.DescribeLoadBalancersInput{Names: []string{"storefront"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.LoadBalancers) != 1 {
		t.Fatalf("%d load balancers, want 1", len(out.LoadBalancers))
	}
	lb := out.LoadBalancers[0]
	if aws.ToString(lb.LoadBalancerArn) != storefront.LoadBalancerARN || aws.ToString(lb.DNSName) != storefront.Host ||
		lb.Type != elbtypes.LoadBalancerTypeEnumApplication || len(lb.AvailabilityZones) != 3 || lb.CreatedTime == nil {
		t.Errorf("load balancer %+v, want storefront's at %s in 3 zones", lb, storefront.Host)
	}
	_, err = client.DescribeLoadBalancers(ctx(t), &elb.DescribeLoadBalancersInput{Names: []string{"nope"}})
	var notFound *elbtypes.LoadBalancerNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("unknown load balancer: %v, want LoadBalancerNotFound", err)
	}
}
