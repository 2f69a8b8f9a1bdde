package scenario

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"text/template/parse"

	"gameday/internal/strictyaml"
)

// FuzzURLTemplate renders arbitrary URL and address templates for instances
// with arbitrary field values. A template is rejected with a plain message,
// or renders to an http or https URL with a host (an address to host:port),
// never longer than maxURLLength; it never panics. In a URL, the values
// cannot add a delimiter (":", "/", "@", "?", "#", ...): the scheme, host
// and shape of the URL come from the template's own text. A scenario with
// the template validates only if it renders for other instances too.
func FuzzURLTemplate(f *testing.F) {
	hostile := []string{"evil.com/#", "x@evil.com", "80@evil.com:1/", "javascript:alert(1)//", "a b\r\nc", "\x00\xff", "%2F%40", "[::1]", "é"}
	for i, tmpl := range []string{
		"http://{{.PrivateIP}}:8080/healthz",
		`https://{{index .Tags "Name"}}.internal:{{.Tags.port}}/`,
		"http://{{.Tags.Name}}/",
		"http://{{.PrivateIP}}{{.Tags.Name}}/",
		"http://{{with .PublicIP}}{{.}}{{else}}{{.PrivateIP}}{{end}}/healthz?az={{.AZ}}&id={{.InstanceID | urlquery}}",
		"http://{{if .PublicIP}}{{.PublicIP}}{{end}}x/?az={{.AZ | urlquery}}&r={{$.Region}}&id={{.InstanceID}}",
		`http://{{or .PublicIP .PrivateIP}}/{{printf "%s-%s" .AZ .Region}}/{{slice .InstanceID 2}}`,
		`http://{{with .Tags}}{{.Name}}{{end}}/{{len .AZ}}{{print .Region 1 true}}`,
		`{{printf "http://%s/" .PrivateIP}}`,
		`http://a/{{printf "%01000000d" 1}}`,
		`http://a/{{printf "%*d" 5 1}}{{printf "" .AZ .AZ}}`,
		"{{define \"x\"}}{{end}}http://{{template \"x\"}}/{{range .Tags}}{{end}}",
		"{{$x := .}}http://{{$x.PrivateIP}}/{{.}}{{$}}{{.Tags}}{{(.Tags).Name}}{{call .Tags}}{{html .AZ}}",
		"{{.PrivateIP}}:5432",
		`{{index .Tags "Name"}}.db.internal:{{.Tags.port}}`,
	} {
		v := hostile[i%len(hostile)]
		f.Add(tmpl, "i-0123456789abcdef0", "10.0.0.1", "203.0.113.9", "us-east-1a", "us-east-1", "Name", v)
		f.Add(tmpl, v, v, v, v, v, "port", v)
	}
	f.Fuzz(func(t *testing.T, text, id, privateIP, publicIP, az, region, tagKey, tagValue string) {
		fields := URLFields{InstanceID: id, PrivateIP: privateIP, PublicIP: publicIP, AZ: az, Region: region,
			Tags: map[string]string{tagKey: tagValue}}
		got, err := InstanceProbe{URL: text}.RenderURL(fields)
		if checkTemplateError(t, err) {
			checkAcceptedURL(t, got)
			checkSkeleton(t, text, fields, got)
		}
		got, err = InstanceProbe{Address: text}.RenderAddress(fields)
		if checkTemplateError(t, err) {
			if len(got) > maxURLLength || strings.Contains(got, "://") {
				t.Fatalf("address %q rendered %q", text, got)
			}
		}
		checkValidated(t, text)
	})
}

// checkTemplateError fails on an error that is not a plain message, and
// reports whether there was no error.
func checkTemplateError(t *testing.T, err error) bool {
	t.Helper()
	if err == nil {
		return true
	}
	var e *strictyaml.Error
	if !errors.As(err, &e) || e.Msg == "" || e.Line != 0 || e.Source != "" || e.Path != "" {
		t.Fatalf("got %T %v; want a *strictyaml.Error with only a message", err, err)
	}
	return false
}

func checkAcceptedURL(t *testing.T, s string) {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || len(s) > maxURLLength {
		t.Fatalf("accepted URL %q: %v", s, err)
	}
}

// checkSkeleton renders text again with every value a plain "x" and
// compares what is left of both URLs without the characters a value may
// render to (letters, digits, "-", ".", "_", "~", "%" and, from urlquery,
// "+"): the same, or a value added a delimiter. Templates with {{if}} or
// {{with}} may take another branch for other values, and are skipped.
func checkSkeleton(t *testing.T, text string, fields URLFields, got string) {
	t.Helper()
	t0, _, err := parseTemplate(urlTemplate, text)
	if err != nil {
		t.Fatalf("template %q rendered once, then does not parse: %v", text, err)
	}
	if branches(t0.Tree.Root) {
		return
	}
	plain := URLFields{InstanceID: "x", PrivateIP: "x", PublicIP: "x", AZ: "x", Region: "x", Tags: map[string]string{}}
	for k := range fields.Tags {
		plain.Tags[k] = "x"
	}
	want, err := execute(urlTemplate, t0, plain)
	if err != nil {
		return // e.g. slice out of range of the short value
	}
	if skeleton(got) != skeleton(want) {
		t.Fatalf("a value changed the shape of the URL:\ntemplate %q\nfields   %+v\nrendered %q\nplain    %q", text, fields, got, want)
	}
}

func skeleton(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', strings.ContainsRune("-._~%+", r):
			return -1
		}
		return r
	}, s)
}

// branches reports whether n holds an {{if}} or a {{with}}.
func branches(n parse.Node) bool {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				if branches(c) {
					return true
				}
			}
		}
	case *parse.IfNode, *parse.WithNode:
		return true
	}
	return false
}

// checkValidated puts text in a scenario: if validation accepts it, it
// renders for other instances (checkAccepted).
func checkValidated(t *testing.T, text string) {
	t.Helper()
	u, _ := json.Marshal(text)
	doc := `{"apiVersion": "gameday/v1", "name": "t", "target": {"region": "us-east-1"},
		"blast_radius": {"count": 1}, "action": {"type": "reboot"},
		"verify": {"instance": {"url": ` + string(u) + `}}}`
	s, err := Parse("f.json", []byte(doc))
	if err != nil {
		var errs strictyaml.Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("got %T %v; want strictyaml.Errors", err, err)
		}
		return
	}
	checkAccepted(t, s)
}
