package scenario

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"text/template"
	"text/template/parse"

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

// parseTemplate parses a URL or address template with missingkey=error
// and only the functions of templateFuncs, checks that it uses only the
// fields of URLFields and no control structures it does not need, and
// returns the tag keys it reads, so validation can render it for a sample.
// In a URL template, what each {{...}} prints is percent-encoded (see
// escapeValue), so that no value can change the URL's scheme or host.
func parseTemplate(kind templateKind, text string) (*template.Template, []string, error) {
	t, err := template.New(kind.name).Option("missingkey=error").Funcs(template.FuncMap{
		"print":    boundedPrint,
		"printf":   boundedPrintf,
		"urlquery": boundedURLQuery,
		escapeFunc: escapeValue,
	}).Parse(text)
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
	c.node(t.Tree.Root, dotInstance)
	if c.err != nil {
		return nil, nil, c.err
	}
	if kind == urlTemplate {
		escapeActions(t.Tree.Root)
	}
	return t, c.tagKeys, nil
}

// escapeFunc names escapeValue in templates. The checker does not allow
// templates to call it themselves.
const escapeFunc = "gamedayEscapeValue"

// escapeActions makes every {{...}} under n that prints something print it
// through escapeValue, as html/template does with its escapers. A pipeline
// that ends in urlquery is left alone: its output is escaped already.
func escapeActions(n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, child := range n.Nodes {
			escapeActions(child)
		}
	case *parse.ActionNode:
		last := n.Pipe.Cmds[len(n.Pipe.Cmds)-1].Args[0]
		if fn, ok := last.(*parse.IdentifierNode); ok && fn.Ident == "urlquery" {
			return
		}
		n.Pipe.Cmds = append(n.Pipe.Cmds, &parse.CommandNode{
			NodeType: parse.NodeCommand,
			Pos:      n.Pos,
			Args:     []parse.Node{parse.NewIdentifier(escapeFunc).SetPos(n.Pos)},
		})
	case *parse.IfNode:
		escapeActions(n.List)
		escapeActions(n.ElseList)
	case *parse.WithNode:
		escapeActions(n.List)
		escapeActions(n.ElseList)
	}
}

// errTooLong is what the template functions return instead of building a
// value longer than any URL may be.
var errTooLong = errors.New("value too long")

// escapeValue percent-encodes every byte of v's text but the unreserved
// characters of RFC 3986 (letters, digits, "-", ".", "_", "~"). A value can
// then fill a host name, a port, a path segment or a query parameter, but
// cannot add a scheme, user info ("@"), a port (":"), a path ("/"), a query
// ("?", "&", "=") or a fragment ("#") of its own: a tag "evil.com/#" in
// "http://{{.Tags.Name}}.internal/" renders "http://evil.com%2F%23.internal/",
// which names no host at all, instead of sending the probe to evil.com.
func escapeValue(v any) (string, error) {
	s := fmt.Sprint(v)
	if len(s) > maxURLLength {
		return "", errTooLong
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String(), nil
}

// The printing functions are bounded so that no template can make them
// build more than a URL may hold, however many or long their arguments
// (a fleet file's tags can be long). Whatever they return is printed, and
// so limited to maxURLLength anyway, or compared, which a longer value is
// not worth.

// boundedPrint is text/template's print, refusing a result longer than
// maxURLLength, before building it when its operands alone are longer.
func boundedPrint(args ...any) (string, error) {
	size := 0
	for _, a := range args {
		if s, ok := a.(string); ok {
			size += len(s)
		} else {
			size += len(fmt.Sprint(a))
		}
		if size > maxURLLength {
			return "", errTooLong
		}
	}
	s := fmt.Sprint(args...)
	if len(s) > maxURLLength {
		return "", errTooLong
	}
	return s, nil
}

// boundedURLQuery is text/template's urlquery on boundedPrint's result.
func boundedURLQuery(args ...any) (string, error) {
	s, err := boundedPrint(args...)
	if err != nil {
		return "", err
	}
	return url.QueryEscape(s), nil
}

// boundedPrintf is fmt.Sprintf refusing a width or precision over
// maxURLLength ("%01000000d" would take a megabyte per verb), and a result
// longer than maxURLLength. Before building the result it bounds its size:
// a verb prints at most its width, or its argument at most 10 bytes per
// byte (%q of control characters), plus a little. Refusing an unlikely
// format that bound rules out is the price of never building a huge string.
func boundedPrintf(format string, args ...any) (string, error) {
	longest, total := 0, 0
	for _, a := range args {
		s, ok := a.(string)
		if !ok {
			s = fmt.Sprint(a)
		}
		longest, total = max(longest, len(s)), total+len(s)
	}
	verbs := 0
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		verbs++
		n := 0
		for i++; i < len(format); i++ {
			c := format[i]
			if c == '*' {
				return "", errTooLong
			}
			if '0' <= c && c <= '9' {
				if n = n*10 + int(c-'0'); n > maxURLLength {
					return "", errTooLong
				}
				continue
			}
			n = 0
			if c == '%' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
				break
			}
		}
	}
	// Arguments without a verb are printed too, as %!(EXTRA type=value).
	if bound := len(format) + verbs*(10*longest+maxURLLength+64) + total + 64*len(args); bound > 1<<20 {
		return "", errTooLong
	}
	s := fmt.Sprintf(format, args...)
	if len(s) > maxURLLength {
		return "", errTooLong
	}
	return s, nil
}

// execute renders t for one instance, bounded to maxURLLength.
func execute(kind templateKind, t *template.Template, f URLFields) (string, error) {
	out := &boundedWriter{max: maxURLLength}
	if err := t.Execute(out, f); err != nil {
		if out.full || errors.Is(err, errTooLong) {
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
