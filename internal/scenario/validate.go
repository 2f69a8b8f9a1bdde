package scenario

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gameday/internal/strictyaml"
)

// Validate checks a scenario built in code, after ApplyDefaults. Parse
// validates on its own; errors from Validate carry no line numbers.
func (s *Scenario) Validate() error {
	errs := validate(s, strictyaml.Positions{}).errs
	for _, e := range errs {
		e.Source = s.Source
	}
	return errs.Err()
}

// validator collects every problem of a scenario, placed with pos.
type validator struct {
	pos  strictyaml.Positions
	errs strictyaml.Errors
	// judgedBy lists, for a problem found by comparing settings, the other
	// settings it was judged by: when one of those failed to decode, its
	// zero value proves nothing, and Parse drops the problem.
	judgedBy map[*strictyaml.Error][]string
}

// atKey reports a problem with a setting being there or missing, placed at
// its key (or, when missing, at the nearest parent that is written).
func (v *validator) atKey(path, msg, hint string) *strictyaml.Error {
	e := v.pos.NewError(path, msg, hint)
	v.errs = append(v.errs, e)
	return e
}

// atValue reports a problem with what was written for a setting.
func (v *validator) atValue(path, msg, hint string) *strictyaml.Error {
	e := v.pos.NewValueError(path, msg, hint)
	v.errs = append(v.errs, e)
	return e
}

// judged records the other settings a problem was judged by.
func (v *validator) judged(e *strictyaml.Error, paths ...string) {
	if v.judgedBy == nil {
		v.judgedBy = map[*strictyaml.Error][]string{}
	}
	v.judgedBy[e] = append(v.judgedBy[e], paths...)
}

// written reports whether path appears in the file. It is false for a
// scenario built in code, whose zero values then count as not given.
func (v *validator) written(path string) bool { return v.pos.Has(path) }

func validate(s *Scenario, pos strictyaml.Positions) *validator {
	v := &validator{pos: pos}
	v.header(s)
	top := scope{targetPath: "target", target: s.Target}
	v.target(top)
	v.blastRadius("blast_radius", s.BlastRadius, top)
	v.action("action", s.Action)
	v.waves("waves", s.Waves)
	v.schedule(s.Schedule)
	v.phases(s)
	v.steps(s)
	v.stopGates(s)
	v.verify(s)
	v.objectives(s)
	v.guardrails(s)
	return v
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
	v.name("name", s.Name, `a short id such as "az-a-reboot"`)
}

// name checks the name of a scenario or of a phase.
func (v *validator) name(path, name, example string) {
	switch {
	case name == "":
		v.atKey(path, "required", example)
	case len(name) > maxNameLength:
		v.atValue(path, fmt.Sprintf("must be at most %d characters, got %d", maxNameLength, len(name)), "")
	case !namePattern.MatchString(name):
		v.atValue(path, fmt.Sprintf("must be lowercase letters, digits and dashes, starting and ending with a letter or digit; got %q", name), slugHint(name))
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

// joinAnd joins words as a sentence does: "a, b and c".
func joinAnd(words []string) string {
	return joinWith(words, "and")
}

// joinOr joins alternatives: "a, b or c".
func joinOr(words []string) string {
	return joinWith(words, "or")
}

func joinWith(words []string, last string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " " + last + " " + words[len(words)-1]
}

// oneOf checks that value is one of valid, with a did-you-mean hint when it
// is not. what names the kind of value in the message ("order").
func (v *validator) oneOf(path, what, value string, valid []string) bool {
	if slices.Contains(valid, value) {
		return true
	}
	v.atValue(path, fmt.Sprintf("unknown %s %q", what, value), choiceHint(value, valid))
	return false
}

// choiceHint guesses what was meant among valid, or lists them all.
func choiceHint(value string, valid []string) string {
	if guess, ok := strictyaml.Suggest(value, valid); ok {
		return fmt.Sprintf("did you mean %q?", guess)
	}
	return "use " + joinOr(valid)
}

func (v *validator) notNegative(path string, d time.Duration) {
	if d < 0 {
		v.atValue(path, fmt.Sprintf("must not be negative, got %s", d), "")
	}
}

func (v *validator) positive(path string, d time.Duration) {
	if d <= 0 {
		v.atValue(path, fmt.Sprintf("must be more than 0, got %s", d), "")
	}
}

// notEmpty reports a list that is written but empty, which would
// otherwise silently mean the same as leaving it out.
func notEmpty[T any](v *validator, path string, list []T, what string) {
	if list != nil && len(list) == 0 {
		v.atValue(path, fmt.Sprintf("list at least one %s, or leave %s out", what, lastSegment(path)), "")
	}
}

// lastSegment is the field name at the end of a path.
func lastSegment(path string) string {
	return path[strings.LastIndex(path, ".")+1:]
}

// duplicates reports items of list that were already listed.
func (v *validator) duplicates(path string, list []string, what string) {
	seen := map[string]bool{}
	for i, item := range list {
		if seen[item] {
			v.atValue(strictyaml.JoinIndex(path, i), fmt.Sprintf("%s %q is listed twice", what, item), "")
		}
		seen[item] = true
	}
}

// sortedKeys returns the keys of m in order, so that errors come out in a
// stable order before they are sorted by position.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
