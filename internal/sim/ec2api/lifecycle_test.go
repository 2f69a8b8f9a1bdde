package ec2api_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"gameday/internal/sim"
)

// Waiter delays for tests over sockets: the SDK's defaults are 15-120 s.
func fastStopped(o *ec2.InstanceStoppedWaiterOptions) {
	o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
}

func fastRunning(o *ec2.InstanceRunningWaiterOptions) {
	o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
}

func fastStatusOk(o *ec2.InstanceStatusOkWaiterOptions) {
	o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
}

// describeOne returns the instance id as DescribeInstances shows it.
func (e *env) describeOne(t *testing.T, id string) types.Instance {
	t.Helper()
	out, err := e.ec2.DescribeInstances(ctx(t), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Reservations[0].Instances[0]
}

func wantChange(t *testing.T, got []types.InstanceStateChange, id string, prev, cur int32) {
	t.Helper()
	if len(got) != 1 || aws.ToString(got[0].InstanceId) != id ||
		aws.ToInt32(got[0].PreviousState.Code) != prev || aws.ToInt32(got[0].CurrentState.Code) != cur {
		t.Fatalf("state change %+v, want %s %d -> %d", got, id, prev, cur)
	}
}

func TestStopStartWithWaiters(t *testing.T) {
	t.Parallel()
	spec := withBoot(fastBoot())
	spec.Groups[0].PublicIP = true
	e := newEnvWith(t, spec, true)
	id := e.idsOfGroup("web")[0]
	before := e.describeOne(t, id)
	in := []string{id}

	stop, err := e.ec2.StopInstances(ctx(t), &ec2.StopInstancesInput{InstanceIds: in})
	if err != nil {
		t.Fatal(err)
	}
	wantChange(t, stop.StoppingInstances, id, 16, 64)
	if err := ec2.NewInstanceStoppedWaiter(e.ec2, fastStopped).Wait(ctx(t), &ec2.DescribeInstancesInput{InstanceIds: in}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	stopped := e.describeOne(t, id)
	reason := aws.ToString(stopped.StateTransitionReason)
	if stopped.StateReason == nil || aws.ToString(stopped.StateReason.Code) != "Client.UserInitiatedShutdown" ||
		aws.ToString(stopped.StateReason.Message) != "Client.UserInitiatedShutdown: User initiated shutdown" ||
		!strings.HasPrefix(reason, "User initiated (") || !strings.HasSuffix(reason, " GMT)") {
		t.Errorf("stopped: reason %q, state reason %+v", reason, stopped.StateReason)
	}
	if stopped.PublicIpAddress != nil || aws.ToString(stopped.PrivateIpAddress) != aws.ToString(before.PrivateIpAddress) {
		t.Errorf("stopped: public %v private %v, want none and %s", stopped.PublicIpAddress, aws.ToString(stopped.PrivateIpAddress), aws.ToString(before.PrivateIpAddress))
	}
	if got := probe(e.sim.HealthURL(id)); got != -1 {
		t.Errorf("stopped instance answers health with %d", got)
	}
	e.wantStatusListed(t, id, false)

	start, err := e.ec2.StartInstances(ctx(t), &ec2.StartInstancesInput{InstanceIds: in})
	if err != nil {
		t.Fatal(err)
	}
	wantChange(t, start.StartingInstances, id, 80, 0)
	if err := ec2.NewInstanceRunningWaiter(e.ec2, fastRunning).Wait(ctx(t), &ec2.DescribeInstancesInput{InstanceIds: in}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := ec2.NewInstanceStatusOkWaiter(e.ec2, fastStatusOk).Wait(ctx(t), &ec2.DescribeInstanceStatusInput{InstanceIds: in}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	after := e.describeOne(t, id)
	newPublic := aws.ToString(after.PublicIpAddress)
	if newPublic == "" || newPublic == aws.ToString(before.PublicIpAddress) || aws.ToString(after.PrivateIpAddress) != aws.ToString(before.PrivateIpAddress) {
		t.Errorf("public %s -> %s (want a new one), private %s -> %s (want kept)", aws.ToString(before.PublicIpAddress), newPublic,
			aws.ToString(before.PrivateIpAddress), aws.ToString(after.PrivateIpAddress))
	}
	if after.StateReason != nil || aws.ToString(after.StateTransitionReason) != "" {
		t.Errorf("running instance keeps stop reasons: %+v %q", after.StateReason, aws.ToString(after.StateTransitionReason))
	}
	for _, url := range []string{e.sim.HealthURL(id), "http://" + newPublic + ":8080/healthz"} {
		if got := probe(url); got != http.StatusOK {
			t.Errorf("%s: %d, want 200", url, got)
		}
	}
	if n := e.sim.CallCounts(sim.ActionStopInstances)[id] + e.sim.CallCounts(sim.ActionStartInstances)[id]; n != 2 {
		t.Errorf("audited %d stop/start calls of %s, want 2", n, id)
	}
}

// wantStatusListed checks DescribeInstanceStatus lists a non-running id
// only with IncludeAllInstances, and then as not-applicable.
func (e *env) wantStatusListed(t *testing.T, id string, listedByDefault bool) {
	t.Helper()
	out, err := e.ec2.DescribeInstanceStatus(ctx(t), &ec2.DescribeInstanceStatusInput{InstanceIds: []string{id}})
	if err != nil || (len(out.InstanceStatuses) == 1) != listedByDefault {
		t.Errorf("DescribeInstanceStatus without IncludeAllInstances: %v, %d statuses", err, len(out.InstanceStatuses))
	}
	instance, system, _ := e.statusOf(t, id)
	if instance != types.SummaryStatusNotApplicable || system != types.SummaryStatusNotApplicable {
		t.Errorf("status of a stopped instance: %s/%s, want not-applicable", instance, system)
	}
}

// stateFleet has timings long enough to catch every state, for synctest.
func stateFleet() sim.FleetSpec {
	return withBoot(sim.BootSpec{
		Pending:  sim.Range{Min: 10 * time.Second, Max: 10 * time.Second},
		Stopping: sim.Range{Min: 5 * time.Second, Max: 60 * time.Second},
		Down:     sim.Range{Min: 30 * time.Second, Max: 30 * time.Second},
		Starting: sim.Range{Min: 5 * time.Second, Max: 5 * time.Second},
	})
}

func TestStateRulesThroughSDK(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newInProcessEnv(t, stateFleet())
		web := e.idsOfGroup("web")
		running, stopped, pending := web[0], web[1], web[2]
		e.stop(t, false, stopped, pending)
		time.Sleep(time.Minute)
		if _, err := e.ec2.StartInstances(ctx(t), &ec2.StartInstancesInput{InstanceIds: []string{pending}}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name          string
			call          func() error
			code, message string
		}{
			{"start running", func() error { return e.start(running) },
				"IncorrectInstanceState", "The instance '" + running + "' is not in a state from which it can be started."},
			{"start pending", func() error { return e.start(pending) },
				"IncorrectInstanceState", "The instance '" + pending + "' is not in a state from which it can be started."},
			{"stop pending", func() error { return e.stopErr(false, running, pending) },
				"IncorrectInstanceState", "Instance '" + pending + "' cannot be stopped as it has never reached the 'running' state."},
			{"reboot stopped", func() error { return e.rebootErr(stopped) },
				"IncorrectInstanceState", "The instance '" + stopped + "' is not in a state from which it can be rebooted."},
			{"hibernate", func() error {
				_, err := e.ec2.StopInstances(ctx(t), &ec2.StopInstancesInput{InstanceIds: []string{running}, Hibernate: aws.Bool(true)})
				return err
			}, "UnsupportedHibernationConfiguration", "The instance can't be hibernated because it was not configured at launch for hibernation: " + running},
			{"unknown id", func() error { return e.start("i-0123456789abcdef0") },
				"InvalidInstanceID.NotFound", "The instance ID 'i-0123456789abcdef0' does not exist"},
		}
		for _, tt := range tests { // t.Run is not allowed inside a bubble
			if code, msg := apiErrorOf(tt.call()); code != tt.code || msg != tt.message {
				t.Errorf("%s: error %s %q\nwant %s %q", tt.name, code, msg, tt.code, tt.message)
			}
		}
		if got := e.describeOne(t, running).State.Name; got != types.InstanceStateNameRunning {
			t.Errorf("after refused calls %s is %s, want running", running, got)
		}
		// Stopping a stopped instance answers stopped -> stopped, like EC2.
		out, err := e.ec2.StopInstances(ctx(t), &ec2.StopInstancesInput{InstanceIds: []string{stopped}})
		if err != nil {
			t.Fatal(err)
		}
		wantChange(t, out.StoppingInstances, stopped, 80, 80)
	})
}

func (e *env) stop(t *testing.T, force bool, ids ...string) {
	t.Helper()
	if err := e.stopErr(force, ids...); err != nil {
		t.Fatal(err)
	}
}

func (e *env) stopErr(force bool, ids ...string) error {
	_, err := e.ec2.StopInstances(ctxBackground(), &ec2.StopInstancesInput{InstanceIds: ids, Force: aws.Bool(force)})
	return err
}

func (e *env) start(ids ...string) error {
	_, err := e.ec2.StartInstances(ctxBackground(), &ec2.StartInstancesInput{InstanceIds: ids})
	return err
}

func (e *env) rebootErr(ids ...string) error {
	_, err := e.ec2.RebootInstances(ctxBackground(), &ec2.RebootInstancesInput{InstanceIds: ids})
	return err
}

func TestForceStopIsShorter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newInProcessEnv(t, stateFleet())
		web := e.idsOfGroup("web")
		e.stop(t, true, web[0])
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if got := e.describeOne(t, web[0]).State.Name; got != types.InstanceStateNameStopped {
			t.Errorf("5 s after a forced stop: %s, want stopped", got)
		}
		// Without Force the same instance model takes 5-60 s: at least one
		// of the web hosts is still stopping after 5 s.
		e.stop(t, false, web[1:]...)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		out, err := e.ec2.DescribeInstances(ctx(t), &ec2.DescribeInstancesInput{Filters: []types.Filter{filter("instance-state-name", "stopping")}})
		if err != nil || len(out.Reservations) == 0 {
			t.Errorf("no clean stop outlasts a forced one: %v", err)
		}
	})
}

// responseStatus is the HTTP status of an API error.
func responseStatus(t *testing.T, err error) int {
	t.Helper()
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v has no HTTP response", err)
	}
	return re.HTTPStatusCode()
}

func TestDryRunAllowedAndDenied(t *testing.T) {
	spec := testFleet()
	spec.API.Deny = []string{sim.ActionStopInstances, sim.ActionCreateTags}
	e := newEnvWith(t, spec, false)
	id := e.idsOfGroup("web")[0]
	ids := []string{id}
	yes := aws.Bool(true)
	calls := []struct {
		name   string
		dryRun bool
		call   func(dry *bool) error
		status int
		code   string
	}{
		{"stop denied", true, func(dry *bool) error {
			_, err := e.ec2.StopInstances(ctx(t), &ec2.StopInstancesInput{InstanceIds: ids, DryRun: dry})
			return err
		}, 403, "UnauthorizedOperation"},
		{"create tags denied", true, func(dry *bool) error {
			_, err := e.ec2.CreateTags(ctx(t), &ec2.CreateTagsInput{Resources: ids, DryRun: dry,
				Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
			return err
		}, 403, "UnauthorizedOperation"},
		{"start allowed", false, func(dry *bool) error {
			_, err := e.ec2.StartInstances(ctx(t), &ec2.StartInstancesInput{InstanceIds: ids, DryRun: dry})
			return err
		}, 412, "DryRunOperation"},
		{"reboot allowed", false, func(dry *bool) error {
			_, err := e.ec2.RebootInstances(ctx(t), &ec2.RebootInstancesInput{InstanceIds: ids, DryRun: dry})
			return err
		}, 412, "DryRunOperation"},
		{"zones allowed", false, func(dry *bool) error {
			_, err := e.ec2.DescribeAvailabilityZones(ctx(t), &ec2.DescribeAvailabilityZonesInput{DryRun: dry})
			return err
		}, 412, "DryRunOperation"},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			err := c.call(yes)
			wantAPIError(t, err, c.code, "")
			if got := responseStatus(t, err); got != c.status {
				t.Errorf("DryRun: HTTP %d, want %d", got, c.status)
			}
			if c.dryRun { // denied: the real call is refused too
				err := c.call(nil)
				wantAPIError(t, err, "UnauthorizedOperation", "You are not authorized to perform this operation.")
			}
		})
	}
	if v := e.describeOne(t, id); v.State.Name != types.InstanceStateNameRunning || len(v.Tags) != 3 {
		t.Errorf("denied and DryRun calls changed %s: %s, %d tags", id, v.State.Name, len(v.Tags))
	}
	if n := len(e.sim.CallCounts(sim.ActionStopInstances)) + len(e.sim.RebootCounts()); n != 0 {
		t.Errorf("%d acting calls audited as successes, want none", n)
	}
}
