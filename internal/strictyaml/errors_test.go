package strictyaml

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestDecodeErrors covers each kind of problem with its exact message and
// position. Sources start with a newline, so line 1 is empty.
func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"unknown field with guess", "\nname: a\nenabeld: true\n",
			[]string{`t.yaml:3:1: enabeld: unknown field (hint: did you mean "enabled"?)`}},
		{"unknown field by case", "\nNAME: a\n",
			[]string{`t.yaml:2:1: NAME: unknown field (hint: did you mean "name"?)`}},
		{"unknown nested field lists valid ones", "\ntarget:\n  az: [a]\n",
			[]string{`t.yaml:3:3: target.az: unknown field (hint: valid fields: region, tags, availability_zones)`}},
		{"duplicate key", "\nname: a\nname: b\n",
			[]string{`t.yaml:3:1: name: duplicate key; first defined at line 2, column 1`}},
		{"duplicate map key", "\ntarget:\n  tags: {a: x, a: y}\n",
			[]string{`t.yaml:3:16: target.tags.a: duplicate key; first defined at line 3, column 10`}},
		{"mapping expected", "\ntarget: [a]\n",
			[]string{`t.yaml:2:9: target: expected a mapping, got a list`}},
		{"list expected", "\ntarget:\n  availability_zones: us-east-1a\n",
			[]string{`t.yaml:3:23: target.availability_zones: expected a list, got "us-east-1a"`}},
		{"string rejects mapping", "\nname: {a: b}\n",
			[]string{`t.yaml:2:7: name: expected a string, got a mapping`}},
		{"string rejects list", "\ntarget:\n  availability_zones: [[a]]\n",
			[]string{`t.yaml:3:24: target.availability_zones[0]: expected a string, got a list`}},
		{"string rejects null", "\nname:\n",
			[]string{`t.yaml:2:6: name: expected a string, got null`}},
		{"boolean", "\nenabled: yes\n",
			[]string{`t.yaml:2:10: enabled: expected a boolean (true or false), got "yes"`}},
		{"integer from float", "\nsmall: 2.5\n",
			[]string{`t.yaml:2:8: small: expected an integer, got 2.5`}},
		{"integer from quoted string", "\nsmall: \"2\"\n",
			[]string{`t.yaml:2:8: small: expected an integer, got "2"`}},
		{"integer range", "\nsmall: 300\n",
			[]string{`t.yaml:2:8: small: expected an integer between -128 and 127, got 300`}},
		{"unsigned range", "\nsize: 70000\n",
			[]string{`t.yaml:2:7: size: expected an integer between 0 and 65535, got 70000`}},
		{"unsigned negative", "\nseed: -1\n",
			[]string{`t.yaml:2:7: seed: expected a non-negative integer, got -1`}},
		{"float not finite", "\nratio: .nan\n",
			[]string{`t.yaml:2:8: ratio: expected a finite number, got .nan`}},
		{"float from bool", "\nratio: true\n",
			[]string{`t.yaml:2:8: ratio: expected a number, got true`}},
		{"map value type", "\nlimits: {cpu: many}\n",
			[]string{`t.yaml:2:15: limits.cpu: expected an integer, got "many"`}},
		{"map key not a string", "\nlimits: {[a]: 1}\n",
			[]string{`t.yaml:2:10: limits: expected a string key, got a list`}},
		{"quoted path for odd keys", "\nlimits: {\"a.b\": x}\n",
			[]string{`t.yaml:2:17: limits["a.b"]: expected an integer, got "x"`}},
		{"list item in struct", "\nitems:\n  - name: a\n    count: x\n  - nmae: b\n",
			[]string{
				`t.yaml:4:12: items[0].count: expected an integer, got "x"`,
				`t.yaml:5:5: items[1].nmae: unknown field (hint: did you mean "name"?)`,
			}},
		{"custom decoder with hint", "\nlevel: medium\n",
			[]string{`t.yaml:2:8: level: expected low or high, got "medium" (hint: levels are low and high)`}},
		{"custom decoder behind pointer", "\nmaybe_level: 3\n",
			[]string{`t.yaml:2:14: maybe_level: expected low or high, got 3 (hint: levels are low and high)`}},
		{"skipped field is unknown", "\nskipped: x\nhidden: y\n",
			[]string{
				`t.yaml:2:1: skipped: unknown field (hint: valid fields: name, enabled, small, size, seed, ratio, target, items, level, maybe_level, limits, nested, untag, any)`,
				`t.yaml:3:1: hidden: unknown field (hint: valid fields: name, enabled, small, size, seed, ratio, target, items, level, maybe_level, limits, nested, untag, any)`,
			}},
		{"unsupported tag", "\nname: !secret x\n",
			[]string{`t.yaml:2:7: name: unsupported YAML tag !secret (hint: remove the tag)`}},
		{"null root", "\n~\n",
			[]string{`t.yaml:2:1: (document): the document is empty; expected a mapping`}},
		{"only a document marker", "---\n",
			[]string{`t.yaml:2:1: (document): the document is empty; expected a mapping`}},
		{"list root", "\n- a\n",
			[]string{`t.yaml:2:1: (document): expected a mapping, got a list`}},
		{"empty file", "\n# only a comment\n",
			[]string{`t.yaml:1:1: (document): the file is empty; expected a YAML document`}},
		{"two documents", "\nname: a\n---\nname: b\n",
			[]string{`t.yaml:3:1: (document): found a second YAML document; a file holds exactly one (hint: remove the "---" separator or split the file)`}},
		{"syntax error", "\nname: a\ntarget:\n  region: x: y\n",
			[]string{`t.yaml:4:12: (document): invalid YAML: mapping values are not allowed in this context (hint: put a value that contains ": " in quotes)`}},
		{"syntax error in flow", "\nname: a\ntarget: {region: x\n",
			[]string{`t.yaml:3:10: (document): invalid YAML: did not find expected ',' or '}'`}},
		{"bad indentation", "\ntarget:\n  region: x\n tags: {}\n",
			[]string{`t.yaml:4:2: (document): invalid YAML: did not find expected key (hint: check the indentation of this line)`}},
		{"tab indentation", "\ntarget:\n\tregion: x\n",
			[]string{`t.yaml:3:1: (document): invalid YAML: found character that cannot start any token (hint: indent with spaces; YAML does not allow tabs there)`}},
		{"unknown anchor", "\nname: *nope\n",
			[]string{`t.yaml:2:11: (document): invalid YAML: unknown anchor 'nope' referenced`}},
		{"wrong type through an alias is placed at the alias", "\nnested: &a {x: [*a]}\n",
			[]string{`t.yaml:2:17: nested.x[0]: expected an integer, got a mapping`}},
		{"custom decoder through an alias", "\nname: &n x\nlevel: *n\n",
			[]string{`t.yaml:3:8: level: expected low or high, got "x" (hint: levels are low and high)`}},
		{"self-merging mapping", "\ntarget: &t {<<: *t}\n",
			[]string{`t.yaml:2:17: target: merge key << refers to a mapping that contains it`}},
		{"merge of a scalar", "\ntarget: {<<: x}\n",
			[]string{`t.yaml:2:14: target: expected a mapping or a list of mappings to merge, got "x"`}},
		{"errors sorted by position", "\nsmall: x\nname: [a]\nenabled: 1\n",
			[]string{
				`t.yaml:2:8: small: expected an integer, got "x"`,
				`t.yaml:3:7: name: expected a string, got a list`,
				`t.yaml:4:10: enabled: expected a boolean (true or false), got 1`,
			}},
		{"one error for a bad anchored value used twice", "\nitems:\n  - &i {count: x}\n  - *i\n",
			[]string{`t.yaml:3:16: items[0].count: expected an integer, got "x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decodeString(t, tt.src)
			if got, want := fmt.Sprint(err), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestDecodeLimits(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	tests := []struct {
		name, src, want string
	}{
		{"too large", "name: " + strings.Repeat("x", MaxInputSize), "t.yaml: (document): input is larger than the 1 MiB limit"},
		{"too deep", "nested: {x: " + deep + "}", "t.yaml:1:75: (document): nested deeper than 64 levels"},
		{"billion laughs", laughs(), "aliases expand to too many values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f struct {
				Name   string           `yaml:"name"`
				Nested map[string][]int `yaml:"nested"`
				Trees  map[string]tree  `yaml:"trees"`
			}
			_, err := Decode("t.yaml", []byte(tt.src), &f)
			if got := fmt.Sprint(err); !strings.Contains(got, tt.want) {
				t.Errorf("got:\n%.500s\nwant it to contain:\n%s", got, tt.want)
			}
		})
	}
}

// laughs builds a small document whose aliases expand to 10^9 values.
func laughs() string {
	var b strings.Builder
	b.WriteString("trees:\n  l0: &l0 [[], [], [], [], [], [], [], [], [], []]\n")
	for i := 1; i < 10; i++ {
		p := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "  l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(p+", ", 10), ", "))
	}
	return b.String()
}

// tree is a recursive type, which only aliases can fill without end.
type tree []tree

type forest struct {
	Trees map[string]tree `yaml:"trees"`
}

func TestDecodeRecursiveAlias(t *testing.T) {
	var f forest
	_, err := Decode("t.yaml", []byte("trees:\n  t: &t [[], *t]\n"), &f)
	want := "t.yaml:2:14: trees.t[1][1]: alias *t refers to a value that contains it"
	if got := fmt.Sprint(err); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestTooManyErrorsStops(t *testing.T) {
	src := "limits:\n" + strings.Repeat("", 0)
	for i := range 150 {
		src += fmt.Sprintf("  k%d: x\n", i)
	}
	_, _, err := decodeString(t, src)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %T, want Errors", err)
	}
	if len(errs) != maxErrors+1 {
		t.Errorf("got %d errors, want %d", len(errs), maxErrors+1)
	}
	if last := errs[len(errs)-1]; last.Msg != "too many errors; stopped here" {
		t.Errorf("last error: got %q", last.Msg)
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{Source: "a.yaml", Line: 3, Column: 5, Path: "x.y", Msg: "bad", Hint: "fix it"}, "a.yaml:3:5: x.y: bad (hint: fix it)"},
		{Error{Source: "a.yaml", Line: 3, Msg: "bad"}, "a.yaml:3: (document): bad"},
		{Error{Source: "a.yaml", Msg: "bad"}, "a.yaml: (document): bad"},
		{Error{Msg: "bad"}, "bad"},
		{Error{Path: "x", Msg: "bad"}, "x: bad"},
		{Error{Line: 2, Column: 1, Msg: "bad"}, "2:1: (document): bad"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestErrorsErrAndUnwrap(t *testing.T) {
	if err := Errors(nil).Err(); err != nil {
		t.Errorf("empty Errors.Err() = %v, want nil", err)
	}
	first := &Error{Msg: "x"}
	var err error = Errors{first, {Msg: "y"}}
	var got *Error
	if !errors.As(err, &got) || got != first {
		t.Errorf("errors.As found %v, want the first *Error", got)
	}
}

func TestErrorsNear(t *testing.T) {
	es := Errors{{Path: "waves.count"}, {Path: "target.tags.app"}}
	for path, want := range map[string]bool{
		"waves.count": true, "waves": true, "target.tags.app": true, "target": true,
		"waves.interval": false, "target.tags.env": false, "wave": false, "phases[0].waves.count": false,
	} {
		if got := es.Near(path); got != want {
			t.Errorf("Near(%q) = %v, want %v", path, got, want)
		}
	}
	if !(Errors{{Path: ""}}).Near("anything.at.all") {
		t.Error("a problem of the whole document must be near every path")
	}
}
