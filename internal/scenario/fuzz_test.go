package scenario

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gameday/internal/strictyaml"
)

// FuzzParse checks that Parse never panics, and that whatever it accepts is
// valid, resolves into steps that say what to do, has a probe target that
// renders and marshals to JSON.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		seeds, _ := filepath.Glob(filepath.Join(scenarioData, dir, "*"))
		for _, path := range seeds {
			if data, err := os.ReadFile(path); err == nil && filepath.Ext(path) != ".golden" {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f.yaml", data)
		if err != nil {
			var errs strictyaml.Errors
			if s != nil || !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("got %v, %T %v; want nil and non-empty strictyaml.Errors", s, err, err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("Parse accepted a scenario that Validate rejects: %v", err)
		}
		checkAccepted(t, s)
	})
}

// checkAccepted holds the promises an accepted scenario makes to plan and
// execute.
func checkAccepted(t *testing.T, s *Scenario) {
	t.Helper()
	for _, st := range s.Steps() {
		if len(st.BlastRadius.choices()) != 1 || st.Action.Type == "" {
			t.Fatalf("step %s: blast radius %v, action %q; want one choice and a type", st.Name, st.BlastRadius.choices(), st.Action.Type)
		}
	}
	if p := s.Verify.Instance; p != nil && p.Type == ProbeHTTP {
		if _, err := p.RenderURL(otherInstance(t, urlTemplate, p.URL)); err != nil {
			t.Fatalf("accepted URL %q does not render: %v", p.URL, err)
		}
	}
	if p := s.Verify.Instance; p != nil && p.Type == ProbeTCP {
		if _, err := p.RenderAddress(otherInstance(t, addressTemplate, p.Address)); err != nil {
			t.Fatalf("accepted address %q does not render: %v", p.Address, err)
		}
	}
	if _, err := json.Marshal(s); err != nil {
		t.Fatalf("accepted scenario does not marshal to JSON: %v", err)
	}
}

// otherInstance is an instance unlike validation's sample, with the tags
// the template reads.
func otherInstance(t *testing.T, kind templateKind, text string) URLFields {
	_, keys, err := parseTemplate(kind, text)
	if err != nil {
		t.Fatalf("accepted %s %q does not parse: %v", kind.title, text, err)
	}
	tags := map[string]string{}
	for _, k := range keys {
		tags[k] = "other"
	}
	return URLFields{InstanceID: "i-1", PrivateIP: "127.0.0.2", PublicIP: "127.0.0.3", AZ: "eu-west-1b", Region: "eu-west-1", Tags: tags}
}
