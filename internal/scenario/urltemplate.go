package scenario

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"text/template"

	"gameday/internal/strictyaml"
)

// URLFields are the facts about an instance that a health URL or address
// template may use, e.g. "http://{{.PrivateIP}}:8080/healthz" or
// `{{index .Tags "Name"}}.internal:5432`.
type URLFields struct {
	InstanceID string
	PrivateIP  string
	PublicIP   string
	AZ         string
	Region     string
	Tags       map[string]string
}

// urlFieldNames must list the fields of URLFields; a test keeps them equal.
var urlFieldNames = []string{"InstanceID", "PrivateIP", "PublicIP", "AZ", "Region", "Tags"}

// maxURLLength bounds what a template may render, so a template cannot be
// made to produce megabytes (printf "%01000000d" and the like).
const maxURLLength = 2048

// templateKind names what a template renders, in template names and in
// messages.
type templateKind struct{ name, title string }

var (
	urlTemplate     = templateKind{name: "url", title: "URL"}
	addressTemplate = templateKind{name: "address", title: "address"}
)

// RenderURL renders the probe URL for one instance and checks that the
// result is an absolute http or https URL with a host. The template is
// parsed on each call: it takes microseconds, and keeps InstanceProbe a
// plain value. Errors are *strictyaml.Error values without a position.
func (p InstanceProbe) RenderURL(f URLFields) (string, error) {
	t, _, err := parseTemplate(urlTemplate, p.URL)
	if err != nil {
		return "", err
	}
	return renderURL(t, f)
}

// parseTemplate parses a URL or address template with no functions beyond
// the text/template builtins and missingkey=error, checks that it uses only
// the fields of URLFields and no control structures it does not need, and
// returns the tag keys it reads, so validation can render it for a sample.
func parseTemplate(kind templateKind, text string) (*template.Template, []string, error) {
	t, err := template.New(kind.name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, nil, templateError("invalid "+kind.title+" template", err)
	}
	if len(t.Templates()) > 1 {
		return nil, nil, &strictyaml.Error{Msg: kind.title + " template cannot define templates"}
	}
	if t.Tree == nil {
		return nil, nil, &strictyaml.Error{Msg: kind.title + " template is empty"}
	}
	c := &templateChecker{kind: kind}
	c.node(t.Tree.Root, true)
	if c.err != nil {
		return nil, nil, c.err
	}
	return t, c.tagKeys, nil
}

// execute renders t for one instance, bounded to maxURLLength.
func execute(kind templateKind, t *template.Template, f URLFields) (string, error) {
	out := &boundedWriter{max: maxURLLength}
	if err := t.Execute(out, f); err != nil {
		if out.full {
			return "", &strictyaml.Error{Msg: fmt.Sprintf("rendered %s is longer than %d characters", kind.title, maxURLLength)}
		}
		return "", templateError("cannot render "+kind.title+" template", err)
	}
	return out.String(), nil
}

func renderURL(t *template.Template, f URLFields) (string, error) {
	s, err := execute(urlTemplate, t, f)
	if err != nil {
		return "", err
	}
	return checkRenderedURL(s)
}

func checkRenderedURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", &strictyaml.Error{Msg: fmt.Sprintf("rendered URL %q is not valid: %v", s, err), Hint: schemeHint(s)}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", &strictyaml.Error{Msg: fmt.Sprintf("rendered URL %q is not http or https", s), Hint: startWithScheme}
	}
	if u.Hostname() == "" {
		return "", &strictyaml.Error{Msg: fmt.Sprintf("rendered URL %q has no host", s),
			Hint: `e.g. "http://{{.PrivateIP}}:8080/healthz"`}
	}
	return s, nil
}

const startWithScheme = `start the URL with "http://" or "https://"`

func schemeHint(s string) string {
	if strings.Contains(s, "://") {
		return ""
	}
	return startWithScheme
}

// templatePrefix is what text/template puts before its messages:
// `template: url:1:9: executing "url" `.
var templatePrefix = regexp.MustCompile(`^template: (url|address):\d+(:\d+)?: (executing "(url|address)" )?`)

func templateError(what string, err error) error {
	msg := templatePrefix.ReplaceAllString(err.Error(), "")
	sep := ": "
	if strings.HasPrefix(msg, "at <") {
		sep = " "
	}
	return &strictyaml.Error{Msg: what + sep + msg}
}

// boundedWriter keeps at most max bytes and fails the template past that.
type boundedWriter struct {
	strings.Builder
	max  int
	full bool
}

func (w *boundedWriter) Write(p []byte) (int, error) {
	if w.Len()+len(p) > w.max {
		w.full = true
		return 0, errors.New("too long")
	}
	return w.Builder.Write(p)
}

// sampleURLFields makes up an instance of target for rendering a template
// during validation, with every tag the template reads.
func sampleURLFields(target Target, tagKeys []string) URLFields {
	region := "us-east-1"
	if regions := target.RegionList(); len(regions) > 0 {
		region = regions[0]
	}
	zone := region + "a"
	if len(target.AvailabilityZones) > 0 {
		zone = target.AvailabilityZones[0]
	}
	tags := map[string]string{}
	for _, k := range tagKeys {
		tags[k] = "sample"
	}
	return URLFields{
		InstanceID: "i-0123456789abcdef0",
		PrivateIP:  "10.0.0.1",
		PublicIP:   "203.0.113.1",
		AZ:         zone,
		Region:     region,
		Tags:       tags,
	}
}
