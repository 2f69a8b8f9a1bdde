package scenario

import (
	"fmt"
	"regexp"
	"strings"

	"gameday/internal/strictyaml"
)

// Validate checks a scenario built in code, after ApplyDefaults. Parse
// validates on its own; errors from Validate carry no line numbers.
func (s *Scenario) Validate() error {
	errs := validate(s, strictyaml.Positions{})
	for _, e := range errs {
		e.Source = s.Source
	}
	return errs.Err()
}

// validator collects every problem of a scenario, placed with pos.
type validator struct {
	pos  strictyaml.Positions
	errs strictyaml.Errors
}

// atKey reports a problem with a setting being there or missing, placed at
// its key (or, when missing, at the nearest parent that is written).
func (v *validator) atKey(path, msg, hint string) {
	v.errs = append(v.errs, v.pos.NewError(path, msg, hint))
}

// atValue reports a problem with what was written for a setting.
func (v *validator) atValue(path, msg, hint string) {
	v.errs = append(v.errs, v.pos.NewValueError(path, msg, hint))
}

func validate(s *Scenario, pos strictyaml.Positions) strictyaml.Errors {
	v := &validator{pos: pos}
	v.header(s)
	v.target(s.Target)
	v.blastRadius(s.BlastRadius)
	v.action(s.Action)
	v.waves(s.Waves)
	v.verify(s)
	v.objectives(s)
	v.guardrails(s.Guardrails)
	return v.errs
}

const maxNameLength = 63

// A name becomes part of run IDs, file names and instance tags, so it is
// held to the rules of a DNS label.
var namePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

func (v *validator) header(s *Scenario) {
	switch s.APIVersion {
	case APIVersion:
	case "":
		v.atKey("apiVersion", "required", fmt.Sprintf(`start the file with "apiVersion: %s"`, APIVersion))
	default:
		v.atValue("apiVersion", fmt.Sprintf("unsupported version %q", s.APIVersion),
			fmt.Sprintf("this version of gameday reads apiVersion: %s", APIVersion))
	}
	switch {
	case s.Name == "":
		v.atKey("name", "required", `a short id such as "az-a-reboot"`)
	case len(s.Name) > maxNameLength:
		v.atValue("name", fmt.Sprintf("must be at most %d characters, got %d", maxNameLength, len(s.Name)), "")
	case !namePattern.MatchString(s.Name):
		v.atValue("name", fmt.Sprintf("must be lowercase letters, digits and dashes, starting and ending with a letter or digit; got %q", s.Name), slugHint(s.Name))
	}
}

// slugHint proposes a valid name made from an invalid one.
func slugHint(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	slug := b.String()
	if slug == "" || len(slug) > maxNameLength {
		return ""
	}
	return fmt.Sprintf("try %q", slug)
}

var (
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	// zonePattern matches zone names: a region and a letter (us-east-1a), or
	// a Local Zone (us-west-2-lax-1a). The first group is the region.
	zonePattern   = regexp.MustCompile(`^([a-z]{2}(?:-[a-z]+)+-\d+)(?:-[a-z]+-\d+)?[a-z]$`)
	zoneIDPattern = regexp.MustCompile(`^[a-z]{3,4}\d+-az\d+$`)
)

func (v *validator) target(t Target) {
	if t.Region != "" && !regionPattern.MatchString(t.Region) {
		v.atValue("target.region", fmt.Sprintf(`expected an AWS region like "us-east-1", got %q`, t.Region), "")
	}
	seen := map[string]bool{}
	for i, zone := range t.AvailabilityZones {
		path := strictyaml.JoinIndex("target.availability_zones", i)
		if seen[zone] {
			v.atValue(path, fmt.Sprintf("zone %q is listed twice", zone), "")
		}
		seen[zone] = true
		v.zone(path, zone, t.Region)
	}
	v.tagKeys("target.tags", t.Tags)
}

func (v *validator) zone(path, zone, region string) {
	m := zonePattern.FindStringSubmatch(zone)
	switch {
	case m == nil && zoneIDPattern.MatchString(zone):
		v.atValue(path, fmt.Sprintf(`expected an availability zone name like "us-east-1a", got the zone ID %q`, zone), "")
	case m == nil:
		v.atValue(path, fmt.Sprintf(`expected an availability zone like "us-east-1a", got %q`, zone), "")
	case region != "" && regionPattern.MatchString(region) && m[1] != region:
		v.atValue(path, fmt.Sprintf("zone %q is not in region %q", zone, region),
			fmt.Sprintf("did you mean %q?", region+strings.TrimPrefix(zone, m[1])))
	}
}

func (v *validator) tagKeys(path string, tags map[string]string) {
	if _, ok := tags[""]; ok {
		v.atKey(strictyaml.JoinKey(path, ""), "tag key cannot be empty", "")
	}
}

func (v *validator) blastRadius(b BlastRadius) {
	var given []string
	if b.All {
		given = append(given, "all: true")
	}
	if b.Count != nil {
		given = append(given, "count")
	}
	if b.Percent != nil {
		given = append(given, "percent")
	}
	const choose = "set exactly one of all: true, count or percent"
	switch len(given) {
	case 0:
		v.atKey("blast_radius", choose+"; none is set", `e.g. "blast_radius: {percent: 30%}"`)
	case 1:
	default:
		v.atKey("blast_radius", fmt.Sprintf("%s; got %s", choose, joinAnd(given)), "")
	}
	if b.Count != nil && *b.Count < 1 {
		v.atValue("blast_radius.count", fmt.Sprintf("must be at least 1, got %d", *b.Count), "")
	}
	if b.MaxInstances != nil && *b.MaxInstances < 1 {
		v.atValue("blast_radius.max_instances", fmt.Sprintf("must be at least 1, got %d", *b.MaxInstances), "")
	}
	if b.Count != nil && b.MaxInstances != nil && *b.Count > *b.MaxInstances && *b.MaxInstances >= 1 {
		v.atValue("blast_radius.count", fmt.Sprintf("count %d is more than max_instances %d", *b.Count, *b.MaxInstances), "")
	}
}

// joinAnd joins words as a sentence does: "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

func (v *validator) action(a Action) {
	switch a.Type {
	case ActionReboot:
	case "":
		v.atKey("action.type", "required", fmt.Sprintf("use type: %s", ActionReboot))
	case "terminate":
		v.atValue("action.type", "gameday never terminates instances", fmt.Sprintf("use type: %s", ActionReboot))
	case "stop", "stop-start", "force-stop-start":
		v.atValue("action.type", fmt.Sprintf("%q is not supported yet in this version (only %s)", a.Type, ActionReboot), "")
	default:
		v.atValue("action.type", fmt.Sprintf("unknown action %q", a.Type), fmt.Sprintf("the only valid value is %q", ActionReboot))
	}
}
