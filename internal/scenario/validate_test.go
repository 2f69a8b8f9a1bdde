package scenario

import (
	"fmt"
	"strings"
	"testing"
)

// validBase is the smallest valid scenario; each test case edits it.
// Lines: 1 apiVersion, 2 name, 3 target, 4 region, 5 availability_zones,
// 6 blast_radius, 7 count, 8 action, 9 type, 10 waves, 11 wait_for_healthy.
const validBase = `apiVersion: gameday/v1
name: t
target:
  region: us-east-1
  availability_zones: [us-east-1a]
blast_radius:
  count: 1
action:
  type: reboot
waves:
  wait_for_healthy: false
`

// withProbe replaces the waves block with a probe block whose url is on
// line 12, column 10.
const noWait = "waves:\n  wait_for_healthy: false\n"

func withProbe(url string) string {
	return "verify:\n  instance:\n    url: " + url + "\n"
}

// edit returns validBase with old replaced by new, failing if old is absent.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(validBase, old) {
		t.Fatalf("validBase does not contain %q", old)
	}
	return strings.Replace(validBase, old, new, 1)
}

type validationCase struct {
	name     string
	old, new string
	want     []string
}

func TestValidationErrors(t *testing.T) {
	for _, tt := range append(headerCases(), append(runCases(), probeCases()...)...) {
		t.Run(tt.name, func(t *testing.T) {
			src := edit(t, tt.old, tt.new)
			_, err := Parse("t.yaml", []byte(src))
			if got, want := fmt.Sprint(err), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("got:\n%s\nwant:\n%s\nsource:\n%s", got, want, src)
			}
		})
	}
}

func headerCases() []validationCase {
	return []validationCase{
		{"apiVersion missing", "apiVersion: gameday/v1\n", "",
			[]string{`t.yaml:1:1: apiVersion: required (hint: start the file with "apiVersion: gameday/v1")`}},
		{"apiVersion wrong", "apiVersion: gameday/v1", "apiVersion: v1",
			[]string{`t.yaml:1:13: apiVersion: unsupported version "v1" (hint: this version of gameday reads apiVersion: gameday/v1)`}},
		{"name missing", "name: t\n", "",
			[]string{`t.yaml:1:1: name: required (hint: a short id such as "az-a-reboot")`}},
		{"name with capitals and underscore", "name: t", "name: Web_Reboot",
			[]string{`t.yaml:2:7: name: must be lowercase letters, digits and dashes, starting and ending with a letter or digit; got "Web_Reboot" (hint: try "web-reboot")`}},
		{"name ending in a dash", "name: t", "name: web-",
			[]string{`t.yaml:2:7: name: must be lowercase letters, digits and dashes, starting and ending with a letter or digit; got "web-" (hint: try "web")`}},
		{"name too long", "name: t", "name: " + strings.Repeat("a", 64),
			[]string{`t.yaml:2:7: name: must be at most 63 characters, got 64`}},
		{"region malformed", "region: us-east-1", "region: useast1",
			[]string{`t.yaml:4:11: target.region: expected an AWS region like "us-east-1", got "useast1"`}},
		{"zone malformed", "[us-east-1a]", "[us-east-1]",
			[]string{`t.yaml:5:24: target.availability_zones[0]: expected an availability zone like "us-east-1a", got "us-east-1"`}},
		{"zone ID instead of name", "[us-east-1a]", "[use1-az1]",
			[]string{`t.yaml:5:24: target.availability_zones[0]: expected an availability zone name like "us-east-1a", got the zone ID "use1-az1"`}},
		{"zone in another region", "[us-east-1a]", "[us-east-1a, us-west-2b]",
			[]string{`t.yaml:5:36: target.availability_zones[1]: zone "us-west-2b" is not in region "us-east-1" (hint: did you mean "us-east-1b"?)`}},
		{"zone twice", "[us-east-1a]", "[us-east-1a, us-east-1a]",
			[]string{`t.yaml:5:36: target.availability_zones[1]: zone "us-east-1a" is listed twice`}},
		{"empty tag key", "  region: us-east-1\n", "  region: us-east-1\n  tags: {\"\": x}\n",
			[]string{`t.yaml:5:10: target.tags[""]: tag key cannot be empty`}},
		{"no blast radius choice", "  count: 1", "  max_instances: 3",
			[]string{`t.yaml:6:1: blast_radius: set exactly one of all: true, count, percent or per_az; none is set (hint: e.g. "blast_radius: {percent: 30%}")`}},
		{"no blast radius at all", "blast_radius:\n  count: 1\n", "",
			[]string{`t.yaml:1:1: blast_radius: set exactly one of all: true, count, percent or per_az; none is set (hint: e.g. "blast_radius: {percent: 30%}")`}},
		{"three blast radius choices", "  count: 1", "  count: 1\n  percent: 5\n  all: true",
			[]string{`t.yaml:6:1: blast_radius: set exactly one of all: true, count, percent or per_az; got all: true, count and percent`}},
		{"count zero", "  count: 1", "  count: 0",
			[]string{`t.yaml:7:10: blast_radius.count: must be at least 1, got 0`}},
		{"max_instances zero", "  count: 1", "  count: 1\n  max_instances: 0",
			[]string{`t.yaml:8:18: blast_radius.max_instances: must be at least 1, got 0`}},
		{"count above max_instances", "  count: 1", "  count: 5\n  max_instances: 2",
			[]string{`t.yaml:7:10: blast_radius.count: count 5 is more than max_instances 2`}},
		{"action type missing", "action:\n  type: reboot\n", "action: {}\n",
			[]string{`t.yaml:8:1: action.type: required (hint: use type: reboot, stop-start, force-stop-start or stop)`}},
		{"action missing", "action:\n  type: reboot\n", "",
			[]string{`t.yaml:1:1: action.type: required (hint: use type: reboot, stop-start, force-stop-start or stop)`}},
		{"terminate", "type: reboot", "type: terminate",
			[]string{`t.yaml:9:9: action.type: gameday never terminates instances (hint: use type: reboot)`}},
		{"stop without allow_leave_stopped", "type: reboot", "type: stop",
			[]string{`t.yaml:9:9: action.type: type stop leaves every selected instance stopped when the run ends; it needs allow_leave_stopped: true (hint: set allow_leave_stopped: true if that is what you mean, or use stop-start to start them again)`}},
		{"allow_leave_stopped with stop-start", "type: reboot", "type: stop-start\n  allow_leave_stopped: true",
			[]string{`t.yaml:10:3: action.allow_leave_stopped: only applies to type stop, not stop-start`}},
		{"stopped_for with stop", "type: reboot", "type: stop\n  allow_leave_stopped: true\n  stopped_for: 0s",
			[]string{`t.yaml:11:3: action.stopped_for: only applies to stop-start and force-stop-start, not stop`}},
		{"unknown action", "type: reboot", "type: Reboot",
			[]string{`t.yaml:9:9: action.type: unknown action "Reboot" (hint: did you mean "reboot"?)`}},
	}
}

const needsHealth = "add verify.instance (an http url or a tcp address) or verify.ec2_status_checks: true; or set waves.wait_for_healthy: false"

func runCases() []validationCase {
	return []validationCase{
		{"too many waves", "  wait_for_healthy: false", "  wait_for_healthy: false\n  count: 1001",
			[]string{`t.yaml:12:10: waves.count: must be between 1 and 1000, got 1001`}},
		{"zero waves is not defaulted", "  wait_for_healthy: false", "  wait_for_healthy: false\n  count: 0",
			[]string{`t.yaml:12:10: waves.count: must be between 1 and 1000, got 0`}},
		{"negative interval", "  wait_for_healthy: false", "  wait_for_healthy: false\n  interval: -1s",
			[]string{`t.yaml:12:13: waves.interval: must not be negative, got -1s`}},
		{"zero gate timeout", "  wait_for_healthy: false", "  wait_for_healthy: false\n  gate_timeout: 0s",
			[]string{`t.yaml:12:17: waves.gate_timeout: must be more than 0, got 0s`}},
		{"waiting needs a probe", "  wait_for_healthy: false", "  count: 2",
			[]string{`t.yaml:1:1: verify.instance: per-instance health is needed when waves.wait_for_healthy is true, which is the default (hint: ` + needsHealth + `)`}},
		{"waiting needs a probe, verify written", noWait, "verify: {}\n",
			[]string{`t.yaml:10:1: verify.instance: per-instance health is needed when waves.wait_for_healthy is true, which is the default (hint: ` + needsHealth + `)`}},
		{"waiting written needs a probe", noWait, "waves: {wait_for_healthy: true}\n",
			[]string{`t.yaml:1:1: verify.instance: per-instance health is needed when waves.wait_for_healthy is true (hint: ` + needsHealth + `)`}},
		{"zero recovery objective", noWait, noWait + "verify: {instance: {url: 'http://{{.PrivateIP}}/'}}\nobjectives: {recover_all_within: 0s}\n",
			[]string{`t.yaml:13:34: objectives.recover_all_within: must be more than 0, got 0s`}},
		{"recovery objective needs a probe", noWait, noWait + "objectives:\n  recover_all_within: 5m\n",
			[]string{`t.yaml:13:3: objectives.recover_all_within: needs per-instance health to observe recovery (hint: add verify.instance or set verify.ec2_status_checks: true)`}},
		{"empty require_tag", noWait, noWait + "guardrails:\n  require_tag: {}\n",
			[]string{`t.yaml:13:16: guardrails.require_tag: require_tag cannot be empty; gameday only touches opted-in instances (hint: leave it out for the default {gameday: opt-in}, or name your own tag)`}},
		{"empty require_tag key", noWait, noWait + "guardrails:\n  require_tag: {\"\": x}\n",
			[]string{`t.yaml:13:17: guardrails.require_tag[""]: tag key cannot be empty`}},
		{"negative seed", "name: t", "name: t\nseed: -1",
			[]string{`t.yaml:3:7: seed: expected a non-negative integer, got -1`}},
	}
}

func probeCases() []validationCase {
	const url = `t.yaml:12:10: verify.instance.url: `
	return []validationCase{
		{"url missing", noWait, "verify:\n  instance: {interval: 1s}\n",
			[]string{`t.yaml:11:3: verify.instance.url: required (hint: e.g. "http://{{.PrivateIP}}:8080/healthz")`}},
		{"zero interval, negative timeout", noWait, withProbe("http://{{.PrivateIP}}/") + "    interval: 0s\n    timeout: -1s\n",
			[]string{
				`t.yaml:13:15: verify.instance.interval: must be more than 0, got 0s`,
				`t.yaml:14:14: verify.instance.timeout: must be more than 0, got -1s`,
			}},
		{"status out of range", noWait, withProbe("http://{{.PrivateIP}}/") + "    expect_status: 99\n",
			[]string{`t.yaml:13:20: verify.instance.expect_status: must be between 100 and 599, got 99`}},
		{"zero status is not defaulted", noWait, withProbe("http://{{.PrivateIP}}/") + "    expect_status: 0\n",
			[]string{`t.yaml:13:20: verify.instance.expect_status: must be between 100 and 599, got 0`}},
		{"unknown field with guess", noWait, withProbe(`"http://{{.privateip}}/"`),
			[]string{url + `unknown field .privateip in URL template (hint: did you mean .PrivateIP?)`}},
		{"unknown field through $", noWait, withProbe(`"http://{{$.Host}}/"`),
			[]string{url + `unknown field .Host in URL template (hint: fields are .InstanceID, .PrivateIP, .PublicIP, .AZ, .Region, .Tags; read a tag with {{index .Tags "Name"}})`}},
		{"unknown function", noWait, withProbe(`"http://{{env .PrivateIP}}/"`),
			[]string{url + `invalid URL template: function "env" not defined`}},
		{"range", noWait, withProbe(`"http://x/{{range 9}}a{{end}}"`),
			[]string{url + `URL template cannot use {{range}}`}},
		{"template call", noWait, withProbe(`"http://x/{{template \"t\"}}"`),
			[]string{url + `URL template cannot use {{template}}`}},
		{"define", noWait, withProbe(`"{{define \"t\"}}x{{end}}http://x/"`),
			[]string{url + `URL template cannot define templates`}},
		{"huge output", noWait, withProbe(`"http://x/{{printf \"%03000d\" 1}}"`),
			[]string{url + `rendered URL is longer than 2048 characters`}},
		{"not http", noWait, withProbe(`"tcp://{{.PrivateIP}}:22"`),
			[]string{url + `rendered URL "tcp://10.0.0.1:22" is not http or https (hint: start the URL with "http://" or "https://")`}},
		{"no host", noWait, withProbe(`"http:///healthz?ip={{.PrivateIP}}"`),
			[]string{url + `rendered URL "http:///healthz?ip=10.0.0.1" has no host (hint: e.g. "http://{{.PrivateIP}}:8080/healthz")`}},
		{"relative", noWait, withProbe(`"/healthz"`),
			[]string{url + `rendered URL "/healthz" is not http or https (hint: start the URL with "http://" or "https://")`}},
		{"missing key inside with", noWait, withProbe(`"http://{{.Tags.app}}/{{with .Tags}}{{.Name}}{{end}}"`),
			[]string{url + `cannot render URL template at <.Name>: map has no entry for key "Name"`}},
	}
}

// TestValidEdits lists edits that must stay valid: the rules are not
// stricter than they mean to be.
func TestValidEdits(t *testing.T) {
	tests := []struct{ name, old, new string }{
		{"no region", "  region: us-east-1\n", ""},
		{"local zone", "[us-east-1a]", "[us-east-1-bos-1a]"},
		{"all false beside count", "  count: 1", "  count: 1\n  all: false"},
		{"count within max_instances", "  count: 1", "  count: 2\n  max_instances: 2"},
		{"tag by field", noWait, withProbe(`"http://{{.Tags.Name}}.internal/"`)},
		{"tag by index", noWait, withProbe(`"https://{{index .Tags \"kubernetes.io/name\"}}:8443/"`)},
		{"with and else", noWait, withProbe(`"http://{{with .PublicIP}}{{.}}{{else}}{{$.PrivateIP}}{{end}}/"`)},
		{"if and pipes", noWait, withProbe(`"http://{{if .PublicIP}}{{.PublicIP}}{{end}}x/?az={{.AZ | urlquery}}&r={{$.Region}}&id={{.InstanceID}}"`)},
		{"zero interval", "  wait_for_healthy: false", "  wait_for_healthy: false\n  interval: 0"},
		{"seed", "name: t", "name: t\nseed: 42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse("t.yaml", []byte(edit(t, tt.old, tt.new))); err != nil {
				t.Errorf("unexpected errors:\n%v", err)
			}
		})
	}
}
