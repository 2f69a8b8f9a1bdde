package scenario

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gameday/internal/strictyaml"
)

var (
	// targetGroupARNPattern is an ELBv2 target group ARN:
	// arn:PARTITION:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID.
	// The first group is the region.
	targetGroupARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:elasticloadbalancing:([a-z]{2}(?:-[a-z]+)+-\d+):\d{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]+$`)
	// targetGroupNamePattern is ELB's rule for names: at most 32
	// alphanumeric characters or hyphens, not starting or ending with one.
	targetGroupNamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$`)
)

const targetGroupExample = "e.g. arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef, or the name web"

// targetGroups checks verify.target_groups: each entry a target group ARN
// or, looked up in the run's region, a name; an ARN in a region the
// scenario does not act in is refused, as gameday reads its target health
// with the clients of the regions it acts in.
func (v *validator) targetGroups(s *Scenario) {
	const path = "verify.target_groups"
	groups := s.Verify.TargetGroups
	notEmpty(v, path, groups, "target group")
	v.duplicates(path, groups, "target group")
	regions := scenarioRegions(s)
	for i, g := range groups {
		item := strictyaml.JoinIndex(path, i)
		switch {
		case g == "":
			v.atValue(item, "must not be empty", targetGroupExample)
		case strings.HasPrefix(g, "arn:"):
			m := targetGroupARNPattern.FindStringSubmatch(g)
			switch {
			case m == nil && strings.Contains(g, ":loadbalancer/"):
				v.atValue(item, fmt.Sprintf("%q is a load balancer ARN, not a target group's", g),
					"list the ARNs of its target groups: aws elbv2 describe-target-groups --load-balancer-arn ARN")
			case m == nil:
				v.atValue(item, fmt.Sprintf("%q is not an ELB target group ARN", g),
					"want arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID")
			case len(regions) > 0 && !slices.Contains(regions, m[1]):
				e := v.atValue(item, fmt.Sprintf("target group is in %s, but the scenario acts in %s", m[1], joinAnd(regions)),
					"target health is read in the regions the scenario acts in; name a target group of one of them")
				v.judged(e, "target.region", "target.regions", "phases")
			}
		case !targetGroupNamePattern.MatchString(g):
			v.atValue(item, fmt.Sprintf("%q is neither a target group ARN nor a target group name (at most 32 letters, digits and hyphens)", g),
				targetGroupExample)
		}
	}
}

// scenarioRegions lists the regions every step's target names, without
// repeats (empty: the CLI decides).
func scenarioRegions(s *Scenario) []string {
	var out []string
	for _, st := range s.Steps() {
		for _, r := range st.Target.RegionList() {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}
