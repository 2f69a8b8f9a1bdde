package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gameday/internal/strictyaml"
)

// FuzzParse checks that Parse never panics, and that whatever it accepts is
// valid and has a URL that renders.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*")
	for _, path := range seeds {
		if data, err := os.ReadFile(path); err == nil && filepath.Ext(path) != ".golden" {
			f.Add(data)
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
		if p := s.Verify.Instance; p != nil {
			if _, err := p.RenderURL(otherInstance(t, p.URL)); err != nil {
				t.Fatalf("accepted URL %q does not render: %v", p.URL, err)
			}
		}
	})
}

// otherInstance is an instance unlike validation's sample, with the tags
// the template reads.
func otherInstance(t *testing.T, url string) URLFields {
	_, keys, err := parseURLTemplate(url)
	if err != nil {
		t.Fatalf("accepted URL %q does not parse: %v", url, err)
	}
	tags := map[string]string{}
	for _, k := range keys {
		tags[k] = "other"
	}
	return URLFields{InstanceID: "i-1", PrivateIP: "127.0.0.2", PublicIP: "127.0.0.3", AZ: "eu-west-1b", Region: "eu-west-1", Tags: tags}
}
