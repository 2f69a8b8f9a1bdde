package fis

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// The FIS template shape, written down independently of the Go types: field
// names from CreateExperimentTemplate (as `aws fis create-experiment-template
// --generate-cli-skeleton input` lists them), value ranges from the FIS user
// guide (actions reference, targets) and the API model (lengths, the five
// resourceArns of a target).
var (
	topLevelKeys  = []string{"clientToken", "description", "stopConditions", "targets", "actions", "roleArn", "tags", "logConfiguration", "experimentOptions", "experimentReportConfiguration"}
	requiredKeys  = []string{"description", "targets", "actions", "stopConditions", "roleArn"}
	targetKeys    = []string{"resourceType", "resourceArns", "resourceTags", "filters", "selectionMode", "parameters"}
	actionKeys    = []string{"actionId", "description", "parameters", "targets", "startAfter"}
	filterKeys    = []string{"path", "values"}
	stopKeys      = []string{"source", "value"}
	optionsKeys   = []string{"accountTargeting", "emptyTargetResolutionMode"}
	logConfigKeys = []string{"cloudWatchLogsConfiguration", "s3Configuration", "logSchemaVersion"}

	// actionParams: the parameters each action this export may use takes.
	actionParams = map[string][]string{
		ActionReboot: {},
		ActionStop:   {ParamStartAfter, "completeIfInstancesTerminated"},
		ActionWait:   {ParamDuration},
	}
	// actionTargets: the target key an action names, "" for none.
	actionTargets = map[string]string{ActionReboot: TargetKeyInstances, ActionStop: TargetKeyInstances, ActionWait: ""}

	selectionModeRE = regexp.MustCompile(`^(ALL|COUNT\([1-9][0-9]*\)|PERCENT\(([1-9][0-9]?|100)\))$`)
	nameRE          = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	shapeRoleRE     = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}|ACCOUNT_ID):role/\S+$`)
	shapeAlarmRE    = regexp.MustCompile(`^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:[0-9]{12}:alarm:\S+$`)
	instanceARNRE   = regexp.MustCompile(`^arn:aws[a-z-]*:ec2:[a-z0-9-]+:([0-9]{12}|ACCOUNT_ID):instance/i-([0-9a-f]{8}|[0-9a-f]{17})$`)
	azRE            = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$`)
	noSpaceRE       = regexp.MustCompile(`^\S+$`)
)

// shapeProblems checks one template JSON against the shape above and
// returns every problem found.
func shapeProblems(data []byte) []string {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return []string{"not a JSON object: " + err.Error()}
	}
	c := &shapeChecker{}
	c.keys("template", doc, topLevelKeys, requiredKeys...)
	if d, ok := c.str("description", doc["description"]); ok {
		c.length("description", d, 1, MaxDescriptionLength)
	}
	if r, ok := c.str("roleArn", doc["roleArn"]); ok && !shapeRoleRE.MatchString(r) {
		c.add("roleArn %q is not an IAM role ARN", r)
	}
	c.stopConditions(doc["stopConditions"])
	targets := c.object("targets", doc["targets"])
	actions := c.object("actions", doc["actions"])
	if len(actions) == 0 {
		c.add("actions: at least one action is required")
	}
	used := map[string]bool{}
	for name, v := range targets {
		c.target(name, v)
	}
	for name, v := range actions {
		c.action(name, v, targets, actions, used)
	}
	for name := range targets {
		if !used[name] {
			c.add("target %s: no action uses it", name)
		}
	}
	c.cycles(actions)
	if tags, ok := doc["tags"]; ok {
		m := c.object("tags", tags)
		if len(m) > 50 {
			c.add("tags: %d, at most 50", len(m))
		}
		for k, v := range m {
			c.length("tag key", k, 1, 128)
			if s, ok := c.str("tag "+k, v); ok {
				c.length("tag "+k, s, 0, 256)
			}
		}
	}
	if o, ok := doc["experimentOptions"]; ok {
		m := c.object("experimentOptions", o)
		c.keys("experimentOptions", m, optionsKeys)
		c.enum("experimentOptions.accountTargeting", m["accountTargeting"], "single-account", "multi-account")
		c.enum("experimentOptions.emptyTargetResolutionMode", m["emptyTargetResolutionMode"], "fail", "skip")
	}
	if l, ok := doc["logConfiguration"]; ok {
		m := c.object("logConfiguration", l)
		c.keys("logConfiguration", m, logConfigKeys, "logSchemaVersion")
		if v, ok := m["logSchemaVersion"].(float64); !ok || v != float64(int(v)) || v < 1 {
			c.add("logConfiguration.logSchemaVersion %v: want a positive integer", m["logSchemaVersion"])
		}
	}
	sort.Strings(c.problems)
	return c.problems
}

type shapeChecker struct{ problems []string }

func (c *shapeChecker) add(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

func (c *shapeChecker) keys(where string, m map[string]any, allowed []string, required ...string) {
	for k := range m {
		if !slices.Contains(allowed, k) {
			c.add("%s: unknown field %q", where, k)
		}
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			c.add("%s: missing required field %q", where, k)
		}
	}
}

func (c *shapeChecker) str(where string, v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		c.add("%s: want a string, got %T", where, v)
	}
	return s, ok
}

func (c *shapeChecker) object(where string, v any) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		c.add("%s: want an object, got %T", where, v)
	}
	return m
}

func (c *shapeChecker) list(where string, v any) []any {
	l, ok := v.([]any)
	if !ok {
		c.add("%s: want a list, got %T", where, v)
	}
	return l
}

func (c *shapeChecker) length(where, s string, lo, hi int) {
	if len(s) < lo || len(s) > hi {
		c.add("%s: length %d, want %d to %d", where, len(s), lo, hi)
	}
}

func (c *shapeChecker) enum(where string, v any, allowed ...string) {
	if s, ok := c.str(where, v); ok && !slices.Contains(allowed, s) {
		c.add("%s %q: want one of %v", where, s, allowed)
	}
}

func (c *shapeChecker) name(kind, name string) {
	if !nameRE.MatchString(name) {
		c.add("%s name %q: want 1 to 64 letters, digits, - or _", kind, name)
	}
}

func (c *shapeChecker) stopConditions(v any) {
	list := c.list("stopConditions", v)
	if len(list) == 0 {
		c.add("stopConditions: at least one is required (source none for no condition)")
	}
	for i, item := range list {
		where := fmt.Sprintf("stopConditions[%d]", i)
		m := c.object(where, item)
		c.keys(where, m, stopKeys, "source")
		switch m["source"] {
		case StopSourceNone:
			if _, ok := m["value"]; ok {
				c.add("%s: source none takes no value", where)
			}
			if len(list) > 1 {
				c.add("%s: source none together with other stop conditions", where)
			}
		case StopSourceAlarm:
			if s, ok := c.str(where+".value", m["value"]); ok {
				c.length(where+".value", s, 20, 2048)
				if !shapeAlarmRE.MatchString(s) {
					c.add("%s.value %q is not a CloudWatch alarm ARN", where, s)
				}
			}
		default:
			c.add("%s.source %v: want none or aws:cloudwatch:alarm", where, m["source"])
		}
	}
}

func (c *shapeChecker) target(name string, v any) {
	where := "target " + name
	c.name("target", name)
	m := c.object(where, v)
	c.keys(where, m, targetKeys, "resourceType", "selectionMode")
	if m["resourceType"] != ResourceTypeInstance {
		c.add("%s: resourceType %v, want %s", where, m["resourceType"], ResourceTypeInstance)
	}
	mode, _ := c.str(where+".selectionMode", m["selectionMode"])
	if !selectionModeRE.MatchString(mode) {
		c.add("%s: selectionMode %q does not match %s", where, mode, selectionModeRE)
	}
	_, hasARNs := m["resourceArns"]
	_, hasTags := m["resourceTags"]
	if hasARNs == hasTags {
		c.add("%s: give exactly one of resourceArns and resourceTags", where)
	}
	if hasARNs {
		arns := c.list(where+".resourceArns", m["resourceArns"])
		if len(arns) < 1 || len(arns) > MaxResourcesPerTarget {
			c.add("%s: %d resourceArns, want 1 to %d", where, len(arns), MaxResourcesPerTarget)
		}
		for _, a := range arns {
			if s, ok := c.str(where+".resourceArns[]", a); ok && !instanceARNRE.MatchString(s) {
				c.add("%s: %q is not an EC2 instance ARN", where, s)
			}
		}
		if _, ok := m["filters"]; ok {
			c.add("%s: resourceArns cannot be combined with filters", where)
		}
	}
	if hasTags {
		tags := c.object(where+".resourceTags", m["resourceTags"])
		if len(tags) < 1 || len(tags) > 50 {
			c.add("%s: %d resourceTags, want 1 to 50", where, len(tags))
		}
		for k, tv := range tags {
			c.length(where+" tag key", k, 1, 128)
			if s, ok := c.str(where+" tag "+k, tv); ok {
				c.length(where+" tag "+k, s, 0, 256)
			}
		}
	}
	for i, f := range c.list(where+".filters", orEmpty(m["filters"])) {
		fw := fmt.Sprintf("%s.filters[%d]", where, i)
		fm := c.object(fw, f)
		c.keys(fw, fm, filterKeys, filterKeys...)
		path, _ := c.str(fw+".path", fm["path"])
		c.length(fw+".path", path, 1, 256)
		values := c.list(fw+".values", fm["values"])
		if len(values) == 0 {
			c.add("%s: no values", fw)
		}
		for _, v := range values {
			s, ok := c.str(fw+".values[]", v)
			if !ok {
				continue
			}
			c.length(fw+".values[]", s, 1, 128)
			if !noSpaceRE.MatchString(s) {
				c.add("%s: value %q has white space", fw, s)
			}
			switch path {
			case FilterAZ:
				if !azRE.MatchString(s) {
					c.add("%s: %q is not an availability zone name", fw, s)
				}
			case FilterState:
				if !slices.Contains([]string{"pending", "running", "shutting-down", "terminated", "stopping", "stopped"}, s) {
					c.add("%s: %q is not an instance state", fw, s)
				}
			}
		}
	}
}

func orEmpty(v any) any {
	if v == nil {
		return []any{}
	}
	return v
}

func (c *shapeChecker) action(name string, v any, targets, actions map[string]any, used map[string]bool) {
	where := "action " + name
	c.name("action", name)
	m := c.object(where, v)
	c.keys(where, m, actionKeys, "actionId")
	id, _ := c.str(where+".actionId", m["actionId"])
	allowed, known := actionParams[id]
	if !known {
		c.add("%s: actionId %q is not one this export uses", where, id)
	}
	if d, ok := m["description"]; ok {
		if s, ok := c.str(where+".description", d); ok {
			c.length(where+".description", s, 1, MaxDescriptionLength)
		}
	}
	params := map[string]any{}
	if p, ok := m["parameters"]; ok {
		params = c.object(where+".parameters", p)
	}
	for k, pv := range params {
		if known && !slices.Contains(allowed, k) {
			c.add("%s: parameter %q is not a parameter of %s", where, k, id)
		}
		s, ok := c.str(where+".parameters."+k, pv)
		if !ok {
			continue
		}
		switch k {
		case ParamDuration, ParamStartAfter:
			d, err := ParseDuration(s)
			if err != nil {
				c.add("%s: %s: %v", where, k, err)
			} else if d < MinDuration || d > MaxDuration {
				c.add("%s: %s %s is outside PT1M..PT12H", where, k, s)
			}
		case "completeIfInstancesTerminated":
			if s != "true" && s != "false" {
				c.add("%s: %s %q: want true or false", where, k, s)
			}
		}
	}
	if id == ActionWait {
		if _, ok := params[ParamDuration]; !ok {
			c.add("%s: aws:fis:wait needs a duration", where)
		}
	}
	actionTargetMap := map[string]any{}
	if t, ok := m["targets"]; ok {
		actionTargetMap = c.object(where+".targets", t)
	}
	wantKey := actionTargets[id]
	switch {
	case wantKey == "" && len(actionTargetMap) > 0:
		c.add("%s: %s takes no targets", where, id)
	case wantKey != "" && (len(actionTargetMap) != 1 || actionTargetMap[wantKey] == nil):
		c.add("%s: %s needs exactly one target under %q", where, id, wantKey)
	}
	for k, tv := range actionTargetMap {
		tn, ok := c.str(where+".targets."+k, tv)
		if !ok {
			continue
		}
		if _, exists := targets[tn]; !exists {
			c.add("%s: target %q does not exist", where, tn)
		}
		used[tn] = true
	}
	if sa, ok := m["startAfter"]; ok {
		list := c.list(where+".startAfter", sa)
		if len(list) == 0 {
			c.add("%s: empty startAfter", where)
		}
		for _, dep := range list {
			dn, ok := c.str(where+".startAfter[]", dep)
			if !ok {
				continue
			}
			if _, exists := actions[dn]; !exists {
				c.add("%s: startAfter %q is not an action", where, dn)
			}
			if dn == name {
				c.add("%s: starts after itself", where)
			}
		}
	}
}

// cycles reports startAfter loops, which FIS rejects.
func (c *shapeChecker) cycles(actions map[string]any) {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var visit func(string) bool
	visit = func(name string) bool {
		switch state[name] {
		case active:
			return true
		case done:
			return false
		}
		state[name] = active
		m, _ := actions[name].(map[string]any)
		deps, _ := m["startAfter"].([]any)
		for _, d := range deps {
			if dn, ok := d.(string); ok && actions[dn] != nil && visit(dn) {
				return true
			}
		}
		state[name] = done
		return false
	}
	names := make([]string, 0, len(actions))
	for n := range actions {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if state[n] == unseen && visit(n) {
			c.add("actions: startAfter has a cycle through %s", n)
			return
		}
	}
}

// checkShape fails t with every shape problem of a generated template.
func checkShape(t *testing.T, data []byte) {
	t.Helper()
	for _, p := range shapeProblems(data) {
		t.Errorf("FIS template shape: %s", p)
	}
}

// TestShapeCheckerCatchesMistakes keeps the shape test honest: each
// mistake below, made to a valid template, must be reported.
func TestFISShapeCheckerCatchesMistakes(t *testing.T) {
	t.Parallel()
	valid := `{
  "description": "d",
  "stopConditions": [{"source": "none"}],
  "targets": {"wave-1": {"resourceType": "aws:ec2:instance", "resourceTags": {"app": "web"},
    "filters": [{"path": "State.Name", "values": ["running"]}], "selectionMode": "COUNT(3)"}},
  "actions": {
    "wave-1": {"actionId": "aws:ec2:reboot-instances", "targets": {"Instances": "wave-1"}},
    "wait-after-wave-1": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT2M"}, "startAfter": ["wave-1"]}
  },
  "roleArn": "arn:aws:iam::ACCOUNT_ID:role/REPLACE_ME"
}`
	if p := shapeProblems([]byte(valid)); len(p) > 0 {
		t.Fatalf("valid template reported: %v", p)
	}
	tests := []struct{ name, from, to, want string }{
		{"misspelled field", `"roleArn"`, `"roleARN"`, `unknown field "roleARN"`},
		{"missing description", `"description": "d",`, ``, `missing required field "description"`},
		{"bad selection mode", `COUNT(3)`, `COUNT(0)`, "selectionMode"},
		{"percent above 100", `COUNT(3)`, `PERCENT(101)`, "selectionMode"},
		{"unknown action", `aws:ec2:reboot-instances`, `aws:ec2:terminate-instances`, "not one this export uses"},
		{"parameter of another action", `"duration": "PT2M"`, `"duration": "PT2M", "startInstancesAfterDuration": "PT2M"`, "is not a parameter of aws:fis:wait"},
		{"wait too long", `PT2M`, `PT13H`, "outside PT1M..PT12H"},
		{"wait too short", `PT2M`, `PT30S`, "outside PT1M..PT12H"},
		{"not ISO 8601", `PT2M`, `2m`, "ISO 8601"},
		{"dangling startAfter", `"startAfter": ["wave-1"]`, `"startAfter": ["wave-9"]`, `startAfter "wave-9" is not an action`},
		{"cycle", `"targets": {"Instances": "wave-1"}}`, `"targets": {"Instances": "wave-1"}, "startAfter": ["wait-after-wave-1"]}`, "cycle"},
		{"missing target", `{"Instances": "wave-1"}`, `{"Instances": "wave-2"}`, `target "wave-2" does not exist`},
		{"long name", `"wait-after-wave-1": {`, `"` + strings.Repeat("w", 65) + `": {`, "want 1 to 64"},
		{"tags and ARNs", `"resourceTags": {"app": "web"},`, `"resourceTags": {"app": "web"}, "resourceArns": ["arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"],`, "exactly one of resourceArns and resourceTags"},
		{"tag value too long", `{"app": "web"}`, `{"app": "` + strings.Repeat("w", 257) + `"}`, "length 257"},
		{"bad state", `["running"]`, `["up"]`, "not an instance state"},
		{"stop condition without value", `{"source": "none"}`, `{"source": "aws:cloudwatch:alarm"}`, "want a string"},
		{"role", `arn:aws:iam::ACCOUNT_ID:role/REPLACE_ME`, `REPLACE_ME`, "not an IAM role ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			broken := strings.Replace(valid, tt.from, tt.to, 1)
			if broken == valid {
				t.Fatalf("replacement %q not found", tt.from)
			}
			got := strings.Join(shapeProblems([]byte(broken)), "\n")
			if !strings.Contains(got, tt.want) {
				t.Errorf("problems %q, want one containing %q", got, tt.want)
			}
		})
	}
}

func TestFISDurations(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "PT0S"}, {time.Minute, "PT1M"}, {90 * time.Second, "PT1M30S"}, {2*time.Minute + 500*time.Millisecond, "PT2M1S"},
		{12 * time.Hour, "PT12H"}, {time.Hour + 30*time.Minute, "PT1H30M"}, {25 * time.Hour, "PT25H"},
	} {
		got := FormatDuration(tt.d)
		if got != tt.want {
			t.Errorf("FormatDuration(%s) = %s, want %s", tt.d, got, tt.want)
		}
		back, err := ParseDuration(got)
		if err != nil || back != tt.d.Round(time.Second) && back != tt.d.Truncate(time.Second)+time.Second {
			t.Errorf("ParseDuration(%s) = %s, %v", got, back, err)
		}
	}
	for _, bad := range []string{"", "PT", "P1D", "2m", "PT1.5M", "pt1m"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
}
