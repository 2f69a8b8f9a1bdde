package scenario

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

const (
	webTG   = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
	apiTG   = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/fedcba9876543210"
	euTG    = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef"
	albARN  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/0123456789abcdef"
	tgLines = "verify:\n  target_groups:\n" // the list's items start on line 14
)

func TestTargetGroupsParse(t *testing.T) {
	src := edit(t, noWait, "waves: {count: 2}\n"+tgLines+"    - "+webTG+"\n    - api\n")
	s, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Verify.TargetGroups, []string{webTG, "api"}) || !s.Verify.HasInstanceHealth() {
		t.Errorf("target groups %v, health %v; want both, as per-instance health that gates the waves",
			s.Verify.TargetGroups, s.Verify.HasInstanceHealth())
	}
	// Per-instance health: recovery objectives are accepted too.
	src = edit(t, noWait, noWait+"verify: {target_groups: [web]}\nobjectives: {recover_all_within: 5m, min_score: 90}\n")
	if _, err := Parse("t.yaml", []byte(src)); err != nil {
		t.Errorf("recovery objectives on target health: %v", err)
	}
}

func TestTargetGroupsValidation(t *testing.T) {
	const arnHint = "want arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID"
	for _, tt := range []struct {
		name, items string
		want        []string
	}{
		{"empty list", "", nil}, // replaced below: `target_groups: []`
		{"empty entry", `    - ""` + "\n",
			[]string{`t.yaml:14:7: verify.target_groups[0]: must not be empty (hint: ` + targetGroupExample + `)`}},
		{"load balancer ARN", "    - " + albARN + "\n",
			[]string{fmt.Sprintf(`t.yaml:14:7: verify.target_groups[0]: %q is a load balancer ARN, not a target group's (hint: list the ARNs of its target groups: aws elbv2 describe-target-groups --load-balancer-arn ARN)`, albARN)}},
		{"malformed ARN", "    - arn:aws:elasticloadbalancing:us-east-1:123:targetgroup/web\n",
			[]string{`t.yaml:14:7: verify.target_groups[0]: "arn:aws:elasticloadbalancing:us-east-1:123:targetgroup/web" is not an ELB target group ARN (hint: ` + arnHint + `)`}},
		{"bad name", "    - web_servers\n",
			[]string{`t.yaml:14:7: verify.target_groups[0]: "web_servers" is neither a target group ARN nor a target group name (at most 32 letters, digits and hyphens) (hint: ` + targetGroupExample + `)`}},
		{"other region", "    - " + apiTG + "\n    - " + euTG + "\n",
			[]string{`t.yaml:15:7: verify.target_groups[1]: target group is in eu-west-1, but the scenario acts in us-east-1 (hint: target health is read in the regions the scenario acts in; name a target group of one of them)`}},
		{"twice", "    - " + webTG + "\n    - " + webTG + "\n",
			[]string{fmt.Sprintf(`t.yaml:15:7: verify.target_groups[1]: target group %q is listed twice`, webTG)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			block := tgLines + tt.items
			if tt.items == "" {
				block = "verify:\n  target_groups: []\n"
				tt.want = []string{`t.yaml:13:18: verify.target_groups: list at least one target group, or leave target_groups out`}
			}
			src := edit(t, noWait, noWait+block)
			_, err := Parse("t.yaml", []byte(src))
			if got, want := fmt.Sprint(err), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("got:\n%s\nwant:\n%s\nsource:\n%s", got, want, src)
			}
		})
	}
}

// TestTargetGroupsWithoutARegion: with no region in the file, any
// region's ARN is accepted (the CLI picks the region).
func TestTargetGroupsWithoutARegion(t *testing.T) {
	src := strings.Replace(edit(t, noWait, noWait+"verify: {target_groups: ["+euTG+"]}\n"),
		"  region: us-east-1\n  availability_zones: [us-east-1a]\n", "  tags: {app: web}\n", 1)
	if _, err := Parse("t.yaml", []byte(src)); err != nil {
		t.Errorf("Parse: %v", err)
	}
}

func TestTargetGroupsSchema(t *testing.T) {
	sch := compileSchema(t)
	for _, tt := range []struct {
		groups string
		ok     bool
	}{
		{"[" + webTG + ", api]", true},
		{"[]", false},
		{"[web_servers]", false},
		{"[" + albARN + "]", false},
		{"[web, web]", false},
	} {
		src := edit(t, noWait, noWait+"verify: {target_groups: "+tt.groups+"}\n")
		err := sch.Validate(yamlInstance(t, []byte(src)))
		if (err == nil) != tt.ok {
			t.Errorf("schema on target_groups %s: %v, want ok=%v", tt.groups, err, tt.ok)
		}
	}
}
