package cli

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gameday/internal/ec2"
	"gameday/internal/fleet"
	"gameday/internal/sim"
	"gameday/internal/sim/ec2api"
)

const snapshotSourceAccount = "246813579024"

// snapshotSource is the fleet the snapshot tests copy. Its zone lists are in
// the order a twin writes them (fuller zones first, then by name), so that
// its groups can be compared field by field.
func snapshotSourceFleet() sim.FleetSpec {
	tags := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	return sim.FleetSpec{
		AccountID: snapshotSourceAccount,
		Groups: []sim.GroupSpec{
			{Name: "web", Count: 9, AvailabilityZones: []string{"us-east-1a", "us-east-1b", "us-east-1c"}, InstanceType: "t3.medium",
				Tags: tags("app", "web", "gameday", "opt-in")},
			{Name: "api", Count: 5, AvailabilityZones: []string{"us-east-1b", "us-east-1a"}, InstanceType: "t3.medium",
				Tags: tags("app", "api", "gameday", "opt-in", "team", "blue")},
			{Name: "worker", Count: 4, AvailabilityZones: []string{"us-east-1a", "us-east-1c"}, InstanceType: "m5.large",
				Tags: tags("app", "worker", "gameday", "opt-in", "team", "blue")},
			{Name: "web-legacy", Count: 3, AvailabilityZones: []string{"us-east-1a"}, InstanceType: "t3.medium", Tags: tags("app", "web")},
			{Name: "bastion", Count: 1, AvailabilityZones: []string{"us-east-1b"}, PublicIP: true, Tags: tags("app", "bastion")},
		},
	}
}

// serveSnapshotSource serves the source fleet API-only, with one worker
// stopped: a snapshot lists stopped instances too.
func serveSnapshotSource(t *testing.T) (*sim.Sim, string) {
	t.Helper()
	s, err := sim.New(snapshotSourceFleet(), sim.Options{Seed: 21})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	srv, err := ec2api.Start(s, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	worker := idsNamed(s, "worker-01")
	if _, err := s.StopInstances(worker, false); err != nil {
		t.Fatal(err)
	}
	return s, srv.URL()
}

func idsNamed(s *sim.Sim, names ...string) []string {
	var ids []string
	for _, in := range s.Instances() {
		if slices.Contains(names, in.Tags["Name"]) {
			ids = append(ids, in.ID)
		}
	}
	return ids
}

// snapshot runs `gameday sim snapshot` against url and parses what it wrote.
func snapshot(t *testing.T, url string, args ...string) (sim.FleetSpec, string, cliResult) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "twin.yaml")
	res := runCLI(t, append([]string{"sim", "snapshot", "--region", "us-east-1", "--endpoint-url", url, "--out", out}, args...)...)
	if res.code != ExitMet {
		t.Fatalf("snapshot exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := sim.ParseFleet(out, data)
	if err != nil {
		t.Fatalf("the snapshot does not parse: %v\n%s", err, data)
	}
	return spec, string(data), res
}

func TestSnapshotCopiesTheFleetsShape(t *testing.T) {
	t.Parallel()
	source, url := serveSnapshotSource(t)
	twin, file, res := snapshot(t, url, "--record-account")

	want := snapshotSourceFleet().WithDefaults().Groups
	slices.SortFunc(want, func(a, b sim.GroupSpec) int { return strings.Compare(a.Name, b.Name) })
	for i := range want {
		want[i].Boot = sim.DefaultBoot()
	}
	if !reflect.DeepEqual(twin.Groups, want) {
		t.Errorf("twin groups\n%+v\nwant\n%+v\nfile:\n%s", twin.Groups, want, file)
	}
	if twin.Region != "us-east-1" || twin.AccountID != snapshotSourceAccount {
		t.Errorf("region %s account %s, want us-east-1 and the recorded %s", twin.Region, twin.AccountID, snapshotSourceAccount)
	}
	wantNoIDsOrAddresses(t, source, file)
	for _, want := range []string{"# Twin of a real fleet", "# Read from region us-east-1, endpoint " + url + ", account " + snapshotSourceAccount,
		"# 22 instances in 5 groups; not running when read: 1", "# Serve it: gameday sim serve --fleet "} {
		if !strings.Contains(file, want) {
			t.Errorf("header lacks %q:\n%s", want, file)
		}
	}
	if !strings.Contains(res.stdout, "snapshot: 22 instances in us-east-1 (us-east-1a 10, us-east-1b 7, us-east-1c 5), 5 groups") {
		t.Errorf("summary:\n%s", res.stdout)
	}
	wantOnlyReads(t, source, "GetCallerIdentity")
}

func TestSnapshotAnonymizes(t *testing.T) {
	t.Parallel()
	source, url := serveSnapshotSource(t)
	twin, file, _ := snapshot(t, url, "--anonymize", "--keep-tag", "team")

	// The same shapes, tag values aside, under names that say nothing.
	if got, want := groupShapes(twin.Groups, true), groupShapes(snapshotSourceFleet().WithDefaults().Groups, true); !slices.Equal(got, want) {
		t.Errorf("anonymized shapes\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	replaced := regexp.MustCompile(`^app-[0-9]+$`)
	for i, g := range twin.Groups {
		if want := fmt.Sprintf("group-%02d", i+1); g.Name != want {
			t.Errorf("group %d named %q, want %q", i, g.Name, want)
		}
		if v, ok := g.Tags["gameday"]; ok && v != "opt-in" {
			t.Errorf("group %s: the opt-in tag became %q; it must be kept", g.Name, v)
		}
		if v, ok := g.Tags["team"]; ok && v != "blue" {
			t.Errorf("group %s: --keep-tag team, yet team is %q", g.Name, v)
		}
		if !replaced.MatchString(g.Tags["app"]) {
			t.Errorf("group %s: app %q, want an anonymized app-N", g.Name, g.Tags["app"])
		}
	}
	for _, secret := range []string{"worker", "bastion", "legacy", ": web", ": api", "account " + snapshotSourceAccount, snapshotSourceAccount} {
		if strings.Contains(file, secret) {
			t.Errorf("the anonymized file holds %q:\n%s", secret, file)
		}
	}
	wantNoIDsOrAddresses(t, source, file)
	wantOnlyReads(t, source)

	again, _, _ := snapshot(t, url, "--anonymize", "--keep-tag", "team")
	if !reflect.DeepEqual(again, twin) {
		t.Errorf("a second anonymized snapshot differs: anonymizing must be deterministic")
	}
}

// groupShapes describes groups by what a twin keeps, sorted; without
// values, tag values are left out.
func groupShapes(groups []sim.GroupSpec, withoutValues bool) []string {
	var out []string
	for _, g := range groups {
		tags := maps.Clone(g.Tags)
		for k := range tags {
			if withoutValues && k != "gameday" && k != "team" {
				tags[k] = "*"
			}
		}
		out = append(out, fmt.Sprintf("%d %v %s public=%t %v", g.Count, g.AvailabilityZones, g.InstanceType, g.PublicIP, tags))
	}
	slices.Sort(out)
	return out
}

func wantNoIDsOrAddresses(t *testing.T, source *sim.Sim, file string) {
	t.Helper()
	for _, v := range source.Describe() {
		for _, s := range []string{v.ID, v.PrivateIP, v.PublicIP, v.VpcID, v.SubnetID, v.ReservationID, v.Tags["Name"]} {
			if s != "" && strings.Contains(file, s) {
				t.Errorf("the snapshot holds %q of %s:\n%s", s, v.ID, file)
			}
		}
	}
}

// wantOnlyReads checks the snapshot made only paginated DescribeInstances
// calls (and the extra read-only actions allowed), all served.
func wantOnlyReads(t *testing.T, source *sim.Sim, extra ...string) {
	t.Helper()
	calls := 0
	for _, rec := range source.Audit() {
		calls++
		if rec.Action != sim.ActionDescribeInstances && !slices.Contains(extra, rec.Action) || rec.ErrorCode != "" {
			t.Errorf("snapshot made the call %+v; want only served reads", rec)
		}
	}
	if calls == 0 {
		t.Error("no call audited")
	}
}

func TestSnapshotToStdout(t *testing.T) {
	t.Parallel()
	_, url := serveSnapshotSource(t)
	res := runCLI(t, "sim", "snapshot", "--region", "us-east-1", "--endpoint-url", url, "--out", "-")
	if res.code != ExitMet {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if _, err := sim.ParseFleet("stdout", []byte(res.stdout)); err != nil {
		t.Errorf("stdout is not a fleet file: %v\n%s", err, res.stdout)
	}
	if !strings.Contains(res.stderr, "written to stdout") {
		t.Errorf("the summary belongs on stderr with --out -:\n%s", res.stderr)
	}
}

func TestSnapshotErrors(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	dir := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no --out", []string{"--region", "us-east-1"}, ExitInvalid, "--out is required"},
		{"no region", []string{"--out", filepath.Join(dir, "a.yaml")}, ExitInvalid, "no region: pass --region or export AWS_REGION"},
		{"nothing listening", []string{"--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9", "--out", filepath.Join(dir, "b.yaml")},
			ExitInfrastructure, "nothing listens at the endpoint"},
		{"argument", []string{"extra"}, ExitInvalid, "accepts 0 arg(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, append([]string{"sim", "snapshot"}, tt.args...)...)
			if res.code != tt.code || !strings.Contains(res.stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", res.code, res.stderr, tt.code, tt.stderr)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed snapshots left files: %v", entries)
	}
}

// TestSnapshotHeaderRedactsTheEndpoint: user info or a query in an
// endpoint URL may be a secret.
func TestSnapshotHeaderRedactsTheEndpoint(t *testing.T) {
	opts := &simSnapshotOptions{out: "twin.yaml", now: func() time.Time { return time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC) }}
	session := ec2.Session{Region: "us-east-1", EndpointURL: "https://user:pass@proxy.example.com:8443/ec2?token=abc#x"}
	header := snapshotHeader(opts, session, "", []fleet.Instance{{State: fleet.StateRunning}}, sim.FleetSpec{Groups: make([]sim.GroupSpec, 1)})
	for _, secret := range []string{"user", "pass", "token", "abc"} {
		if strings.Contains(header, secret) {
			t.Errorf("header holds %q:\n%s", secret, header)
		}
	}
	if want := "# Read from region us-east-1, endpoint https://proxy.example.com:8443/ec2 at 2026-11-22T18:00:00Z."; !strings.Contains(header, want[2:]) {
		t.Errorf("header:\n%s", header)
	}
}
