package strictyaml

import (
	"errors"
	"testing"
)

// fuzzDoc exercises every kind Decode supports, a custom decoder and a
// recursive type that only aliases can fill deeply.
type fuzzDoc struct {
	testDoc `yaml:"doc"`
	Trees   map[string]tree `yaml:"trees"`
}

func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		positionsSrc,
		"name: a\nitems: [{name: b, count: 1}]\nlevel: low\nlimits: {a: 1}\n",
		"{\"doc\": {\"name\": \"x\", \"small\": 300}}",
		"trees: {t: &t [[], *t]}\n",
		"base: &b {name: x}\ndoc: {<<: *b, ratio: .inf}\n",
		"a: b: c\n",
		"---\na: 1\n---\nb: 2\n",
		"doc: !tag {x: [}\n",
		laughs(),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc fuzzDoc
		pos, err := Decode("f.yaml", data, &doc)
		if err == nil {
			if _, _, ok := pos.At(""); !ok {
				t.Fatal("no error, but the root has no position")
			}
			return
		}
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("got %T %v, want non-empty Errors", err, err)
		}
		for _, e := range errs {
			if e.Source != "f.yaml" || e.Msg == "" || e.Line < 0 || e.Column < 0 {
				t.Fatalf("malformed error %+v", *e)
			}
		}
	})
}
