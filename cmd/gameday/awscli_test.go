package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gameday/internal/fleet"
	"gameday/internal/sim"
)

// These tests drive `gameday sim serve` with the AWS CLI v2 of Debian's
// awscli package, as a user pointing the CLI at the simulator would: every
// output and error is the CLI's own parsing of the simulator's answers.
// Each test gets its own simulator, so tests run in parallel and every
// audit log holds one test's calls only.

// awsCLI is Debian's AWS CLI v2. A plain "aws" on PATH may be another
// install (an AWS CLI v1 shim has been seen), so the path is fixed.
const awsCLI = "/usr/bin/aws"

// cliExitServiceError is the AWS CLI v2's exit code for any service error,
// a DryRun success included.
const cliExitServiceError = 254

const awsCLISeed = 11

// awsCLIFleet has 28 instances with sub-second timings: 12 web hosts in
// each of us-east-1a and b, and 4 workers over us-east-1a and c.
func awsCLIFleet() sim.FleetSpec {
	fast := sim.BootSpec{
		Pending: sim.Range{Min: 100 * time.Millisecond, Max: 300 * time.Millisecond}, Stopping: sim.Range{Min: 100 * time.Millisecond, Max: 300 * time.Millisecond},
		Down: sim.Range{Min: 100 * time.Millisecond, Max: 200 * time.Millisecond}, Starting: sim.Range{Min: 50 * time.Millisecond, Max: 100 * time.Millisecond},
	}
	return sim.FleetSpec{Groups: []sim.GroupSpec{
		{Name: "web", Count: 24, AvailabilityZones: []string{"us-east-1a", "us-east-1b"}, InstanceType: "t3.small",
			Tags: map[string]string{"app": "web", "gameday": "opt-in"}, Boot: fast},
		{Name: "worker", Count: 4, AvailabilityZones: []string{"us-east-1a", "us-east-1c"}, InstanceType: "m5.large",
			Tags: map[string]string{"app": "worker", "gameday": "opt-in"}, Boot: fast},
	}}
}

type awsEnv struct {
	url, audit, home string
	// instances is the fleet as built from the same file and seed, without
	// the API: the expected answers.
	instances []fleet.Instance
}

// newAWSEnv writes the fleet file, serves it with `gameday sim serve` and
// computes the expected instances from the same file and seed.
func newAWSEnv(t *testing.T) *awsEnv {
	t.Helper()
	if _, err := os.Stat(awsCLI); err != nil {
		t.Skipf("the AWS CLI tests need Debian's AWS CLI v2 at %s (apt-get install -y awscli; .ci/run installs it): %v", awsCLI, err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "fleet.yaml")
	var file bytes.Buffer
	if err := sim.WriteFleet(&file, awsCLIFleet(), "AWS CLI test fleet"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	e := &awsEnv{audit: filepath.Join(dir, "audit.jsonl"), home: filepath.Join(dir, "home")}
	if err := os.Mkdir(e.home, 0o755); err != nil {
		t.Fatal(err)
	}
	_, e.url = startSimServe(t, "--fleet", path, "--seed", strconv.Itoa(awsCLISeed), "--no-listeners", "--audit-log", e.audit)
	e.instances = expectedInstances(t, path)
	return e
}

func expectedInstances(t *testing.T, path string) []fleet.Instance {
	t.Helper()
	spec, err := sim.LoadFleet(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(spec, sim.Options{Seed: awsCLISeed})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return s.Instances()
}

// ids lists, sorted, the ids of the expected instances that keep accepts.
func (e *awsEnv) ids(keep func(fleet.Instance) bool) []string {
	var out []string
	for _, in := range e.instances {
		if keep(in) {
			out = append(out, in.ID)
		}
	}
	return out
}

func (e *awsEnv) idOf(t *testing.T, name string) string {
	t.Helper()
	ids := e.ids(func(in fleet.Instance) bool { return in.Tags["Name"] == name })
	if len(ids) != 1 {
		t.Fatalf("%d instances named %s, want 1", len(ids), name)
	}
	return ids[0]
}

type cliRun struct {
	stdout, stderr string
	code           int
}

// aws runs one AWS CLI command against the simulator with dummy
// credentials and an empty HOME: nothing of the user's configuration
// (profiles, credentials, a pager, the region) leaks in.
func (e *awsEnv) aws(t *testing.T, args ...string) cliRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, awsCLI, append(args, "--endpoint-url", e.url, "--output", "json")...)
	cmd.Env = []string{
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1", "AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true", "HOME=" + e.home, "PATH=/usr/bin:/bin", "LANG=C.UTF-8",
	}
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	run := cliRun{stdout: out.String(), stderr: errOut.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		run.code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("aws %v: %v", args, err)
	}
	return run
}

// awsOK runs a command that must succeed and decodes its JSON output into
// out (unless out is nil).
func (e *awsEnv) awsOK(t *testing.T, out any, args ...string) {
	t.Helper()
	run := e.aws(t, args...)
	if run.code != 0 {
		t.Fatalf("aws %v: exit %d\n%s", args, run.code, run.stderr)
	}
	if out == nil {
		if strings.TrimSpace(run.stdout) != "" {
			t.Errorf("aws %v printed %q, want nothing", args, run.stdout)
		}
		return
	}
	if err := json.Unmarshal([]byte(run.stdout), out); err != nil {
		t.Fatalf("aws %v: output is not the JSON expected: %v\n%s", args, err, run.stdout)
	}
}

// awsFails runs a command that must fail with the EC2 error code and a
// message containing message.
func (e *awsEnv) awsFails(t *testing.T, code, message string, args ...string) {
	t.Helper()
	run := e.aws(t, args...)
	if run.code != cliExitServiceError {
		t.Errorf("aws %v: exit %d, want %d\nstdout %s\nstderr %s", args, run.code, cliExitServiceError, run.stdout, run.stderr)
	}
	if !strings.Contains(run.stderr, "("+code+")") || !strings.Contains(run.stderr, message) {
		t.Errorf("aws %v: stderr %q, want the error (%s) with %q", args, run.stderr, code, message)
	}
}

// auditRecords reads the simulator's audit log.
func (e *awsEnv) auditRecords(t *testing.T) []sim.AuditRecord { return readAudit(t, e.audit) }

func (e *awsEnv) auditOf(t *testing.T, action string) []sim.AuditRecord {
	t.Helper()
	return slices.DeleteFunc(e.auditRecords(t), func(rec sim.AuditRecord) bool { return rec.Action != action })
}

func sorted(ids []string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

type stateChange struct {
	InstanceID    string
	CurrentState  struct{ Code int }
	PreviousState struct{ Code int }
}

func TestAWSCLIDescribeInstancesFiltersAndPaginates(t *testing.T) {
	t.Parallel()
	e := newAWSEnv(t)
	var ids []string
	e.awsOK(t, &ids, "ec2", "describe-instances",
		"--filters", "Name=tag:app,Values=web", "Name=availability-zone,Values=us-east-1a",
		"--page-size", "5", "--query", "Reservations[].Instances[].InstanceId")
	want := e.ids(func(in fleet.Instance) bool { return in.Tags["app"] == "web" && in.AZ == "us-east-1a" })
	if len(want) != 12 || !slices.Equal(sorted(ids), want) {
		t.Errorf("ids %v\nwant the 12 web hosts in us-east-1a %v", sorted(ids), want)
	}
	// The CLI follows NextToken itself: 12 matches in pages of 5 are 3 calls.
	calls := e.auditOf(t, sim.ActionDescribeInstances)
	if len(calls) != 3 {
		t.Errorf("%d DescribeInstances calls audited, want 3 pages of at most 5: %+v", len(calls), calls)
	}
	for _, rec := range calls {
		if rec.ErrorCode != "" {
			t.Errorf("page call failed: %+v", rec)
		}
	}
}

func TestAWSCLIStopStatusStart(t *testing.T) {
	t.Parallel()
	e := newAWSEnv(t)
	id := e.idOf(t, "worker-01")
	var stopped struct{ StoppingInstances []stateChange }
	e.awsOK(t, &stopped, "ec2", "stop-instances", "--instance-ids", id)
	wantChange(t, stopped.StoppingInstances, id, 64, 16) // stopping, was running

	waitForState(t, e, id, "stopped", "stopping")

	var status struct {
		InstanceStatuses []struct {
			InstanceID       string `json:"InstanceId"`
			AvailabilityZone string
			InstanceState    struct{ Name string }
		}
	}
	e.awsOK(t, &status, "ec2", "describe-instance-status", "--instance-ids", id)
	if len(status.InstanceStatuses) != 0 {
		t.Errorf("describe-instance-status lists the stopped instance without --include-all-instances: %+v", status)
	}
	e.awsOK(t, &status, "ec2", "describe-instance-status", "--instance-ids", id, "--include-all-instances")
	if s := status.InstanceStatuses; len(s) != 1 || s[0].InstanceID != id || s[0].InstanceState.Name != "stopped" || s[0].AvailabilityZone != "us-east-1a" {
		t.Errorf("with --include-all-instances: %+v, want %s stopped in us-east-1a", s, id)
	}

	var started struct{ StartingInstances []stateChange }
	e.awsOK(t, &started, "ec2", "start-instances", "--instance-ids", id)
	wantChange(t, started.StartingInstances, id, 0, 80) // pending, was stopped
	waitForState(t, e, id, "running", "pending")
}

func wantChange(t *testing.T, changes []stateChange, id string, current, previous int) {
	t.Helper()
	if len(changes) != 1 || changes[0].InstanceID != id || changes[0].CurrentState.Code != current || changes[0].PreviousState.Code != previous {
		t.Errorf("state changes %+v, want %s from %d to %d", changes, id, previous, current)
	}
}

// waitForState polls describe-instances until id is in state want; on the
// way it may only be in passing.
func waitForState(t *testing.T, e *awsEnv, id, want, passing string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var state string
		e.awsOK(t, &state, "ec2", "describe-instances", "--instance-ids", id, "--query", "Reservations[0].Instances[0].State.Name")
		switch {
		case state == want:
			return
		case state != passing:
			t.Fatalf("%s is %q, want %s (or %s on the way)", id, state, want, passing)
		case time.Now().After(deadline):
			t.Fatalf("%s still %s after 30s, want %s", id, state, want)
		}
	}
}

func TestAWSCLIRebootAfterADryRunThatDoesNothing(t *testing.T) {
	t.Parallel()
	e := newAWSEnv(t)
	ids := []string{e.idOf(t, "web-01"), e.idOf(t, "web-02")}
	e.awsFails(t, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.",
		append([]string{"ec2", "reboot-instances", "--dry-run", "--instance-ids"}, ids...)...)
	audit := e.auditOf(t, sim.ActionRebootInstances)
	if len(audit) != 1 || !audit[0].DryRun || audit[0].ErrorCode != "DryRunOperation" {
		t.Fatalf("after the DryRun the audit log holds %+v, want only the DryRun, which does nothing", audit)
	}

	e.awsOK(t, nil, append([]string{"ec2", "reboot-instances", "--instance-ids"}, ids...)...)
	audit = e.auditOf(t, sim.ActionRebootInstances)
	if len(audit) != 2 || audit[1].DryRun || audit[1].ErrorCode != "" || !slices.Equal(audit[1].InstanceIDs, ids) {
		t.Errorf("audit %+v, want the DryRun, then the reboot of %v", audit, ids)
	}
}

func TestAWSCLICreateTagsThenDescribeByTag(t *testing.T) {
	t.Parallel()
	e := newAWSEnv(t)
	ids := sorted([]string{e.idOf(t, "web-03"), e.idOf(t, "worker-02")})
	e.awsOK(t, nil, append([]string{"ec2", "create-tags", "--tags", "Key=team,Value=blue", "--resources"}, ids...)...)
	var got []string
	e.awsOK(t, &got, "ec2", "describe-instances", "--filters", "Name=tag:team,Values=blue",
		"--query", "Reservations[].Instances[].InstanceId")
	if !slices.Equal(sorted(got), ids) {
		t.Errorf("instances tagged team=blue: %v, want %v", got, ids)
	}
}

func TestAWSCLIErrors(t *testing.T) {
	t.Parallel()
	e := newAWSEnv(t)
	running := e.idOf(t, "web-04")
	tests := []struct {
		name, code, message string
		args                []string
	}{
		{"malformed id", "InvalidInstanceID.Malformed", `Invalid id: "i-nope"`,
			[]string{"ec2", "reboot-instances", "--instance-ids", "i-nope"}},
		{"unknown id", "InvalidInstanceID.NotFound", "The instance ID 'i-0123456789abcdef0' does not exist",
			[]string{"ec2", "stop-instances", "--instance-ids", "i-0123456789abcdef0"}},
		{"start of a running instance", "IncorrectInstanceState", "The instance '" + running + "' is not in a state from which it can be started.",
			[]string{"ec2", "start-instances", "--instance-ids", running}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e.awsFails(t, tt.code, tt.message, tt.args...)
		})
	}
	t.Cleanup(func() {
		// After the subtests: every call was refused and none acted.
		for _, rec := range e.auditRecords(t) {
			if rec.ErrorCode == "" {
				t.Errorf("a call succeeded: %+v", rec)
			}
		}
	})
}

func TestAWSCLIDescribeAvailabilityZones(t *testing.T) {
	t.Parallel()
	e := newAWSEnv(t)
	var out struct {
		AvailabilityZones []struct{ ZoneName, ZoneId, State, RegionName string }
	}
	e.awsOK(t, &out, "ec2", "describe-availability-zones")
	var got []string
	for _, z := range out.AvailabilityZones {
		got = append(got, z.ZoneName+" "+z.ZoneId+" "+z.State+" "+z.RegionName)
	}
	want := []string{"us-east-1a use1-az1 available us-east-1", "us-east-1b use1-az2 available us-east-1", "us-east-1c use1-az3 available us-east-1"}
	if !slices.Equal(got, want) {
		t.Errorf("zones %v, want %v", got, want)
	}
}
