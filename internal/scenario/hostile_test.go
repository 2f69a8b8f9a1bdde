package scenario

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"gameday/internal/strictyaml"
)

// hostileData holds hand-made broken and malicious inputs, shared with the
// fuzz targets as seeds.
const hostileData = "../../testdata/hostile"

// TestHostileScenarioFiles loads every testdata/hostile/scenario-* file.
// Each is refused with a positioned error, or accepted when it is only
// unusual (a byte order mark, CRLF, small aliases). Work is bounded by the
// decoder's limits, not by a clock: a slow file shows up in the fuzzers.
func TestHostileScenarioFiles(t *testing.T) {
	want := map[string]string{
		"scenario-billion-laughs.yaml":        ":8:3: description: expected a string, got a list",
		"scenario-merge-bomb.yaml":            ":8:158: (document): aliases expand to too many values",
		"scenario-recursive-alias.yaml":       ":7:14: description: expected a string, got a list",
		"scenario-undefined-alias.yaml":       ":7:21: (document): invalid YAML: unknown anchor 'nowhere' referenced",
		"scenario-small-aliases.yaml":         "",
		"scenario-deep-flow.yaml":             ":7:77: (document): nested deeper than 64 levels",
		"scenario-deep-flow-unclosed.yaml":    ":7:14: (document): invalid YAML: did not find expected node content",
		"scenario-deep-braces.yaml":           ":7:263: (document): nested deeper than 64 levels",
		"scenario-deep-mapping.yaml":          ":70:127: (document): nested deeper than 64 levels",
		"scenario-deep-sequence.yaml":         ":8:20001: (document): invalid YAML: exceeded max depth of 10000",
		"scenario-nul.yaml":                   ":7:15: (document): invalid YAML: control characters are not allowed",
		"scenario-invalid-utf8.yaml":          ":7:19: (document): invalid YAML: invalid trailing UTF-8 octet",
		"scenario-bom.yaml":                   "",
		"scenario-crlf.yaml":                  "",
		"scenario-utf16.yaml":                 "",
		"scenario-duplicate-key.yaml":         ":7:1: action: duplicate key; first defined at line 5, column 1",
		"scenario-duplicate-nested-key.yaml":  ":4:26: blast_radius.count: duplicate key; first defined at line 4, column 16",
		"scenario-long-string.yaml":           "",
		"scenario-long-key.yaml":              ":7:1: (document): invalid YAML: could not find expected ':'",
		"scenario-many-documents.yaml":        ":7:1: (document): found a second YAML document; a file holds exactly one",
		"scenario-tags-and-tabs.yaml":         ":10:1: (document): invalid YAML: found character that cannot start any token (hint: indent with spaces",
		"scenario-url-template.yaml":          ":8:10: verify.instance.url: URL template cannot use {{.}}, the whole instance",
		"scenario-url-template-redirect.yaml": `:8:10: verify.instance.url: rendered URL "http%3A%2F%2F10.0.0.1%40evil.example%2F" is not http or https`,
	}
	files, err := filepath.Glob(filepath.Join(hostileData, "scenario-*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("sample %s has no expectation in this test", name)
			}
			_, err := Load(path)
			switch {
			case w == "" && err != nil:
				t.Errorf("want it accepted, got:\n%v", err)
			case w != "" && (err == nil || !strings.Contains(err.Error(), path+w)):
				t.Errorf("got:\n%.2000v\nwant an error containing:\n%s", err, path+w)
			}
		})
		delete(want, name)
	}
	for name := range want {
		t.Errorf("expectation for %s, which is not in %s", name, hostileData)
	}
}

// TestHostileScenarioInputs covers what is too large to keep in the
// repository, or easier to read written out here.
func TestHostileScenarioInputs(t *testing.T) {
	const head = "apiVersion: gameday/v1\nname: hostile\nblast_radius: {count: 1}\naction: {type: reboot}\nwaves: {wait_for_healthy: false}\n"
	description := "description: "
	tests := []struct {
		name, src, want string
	}{
		{"input over 1 MiB", head + description + strings.Repeat("x", strictyaml.MaxInputSize) + "\n",
			"h.yaml: (document): input is larger than the 1 MiB limit"},
		{"one line just under 1 MiB", head + description + strings.Repeat("x", strictyaml.MaxInputSize-len(head)-len(description)-1) + "\n", ""},
		{"10,000 nested lists", head + description + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "\n",
			"h.yaml:6:77: (document): nested deeper than 64 levels"},
		{"10,001 nested lists", head + description + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + "\n",
			"h.yaml:6:10014: (document): invalid YAML: exceeded max depth of 10000"},
		{"10,000 nested mappings", head + description + strings.Repeat("{a: ", 10000) + strings.Repeat("}", 10000) + "\n",
			"h.yaml:6:263: (document): nested deeper than 64 levels"},
		{"65 nested block mappings", head + "target:\n" + nestedBlock(65),
			"h.yaml:69:127: (document): nested deeper than 64 levels"},
		{"a key over 1024 characters", head + strings.Repeat("k", 1025) + ": 1\n",
			"h.yaml:6:1: (document): invalid YAML: could not find expected ':'"},
		{"NUL", head + "description: \x00\n", "h.yaml:6:14: (document): invalid YAML: control characters are not allowed"},
		{"invalid UTF-8 in a key", head + "\xc3\x28: 1\n", "h.yaml:6:2: (document): invalid YAML: invalid trailing UTF-8 octet"},
		{"BOM", "\ufeff" + head, ""},
		{"BOM twice", "\ufeff\ufeff" + head, "h.yaml:1:1: (document): invisible byte order mark (U+FEFF) inside the file"},
		{"BOM in a key", head + "target: {\ufeffregion: us-east-1}\n", "h.yaml:6:10: (document): invisible byte order mark (U+FEFF) inside the file"},
		{"UTF-16LE", utf16LE("\ufeff" + head + "description: café ☕ 𝄞\r\n"), ""},
		{"UTF-16LE, odd length", utf16LE("\ufeff"+head) + "x", "h.yaml: (document): invalid UTF-16 (hint: save the file as UTF-8)"},
		{"CRLF", strings.ReplaceAll(head+"description: |\n  a\n  b\n", "\n", "\r\n"), ""},
		{"CR alone", strings.ReplaceAll(head, "\n", "\r"), ""},
		{"duplicate key", head + "name: again\n", "h.yaml:6:1: name: duplicate key; first defined at line 2, column 1"},
		{"duplicate key through a merge is not one", head + "target: {<<: {region: us-east-1}, region: us-west-2}\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("h.yaml", []byte(tt.src))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("want it accepted, got:\n%.2000v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got:\n%.2000v\nwant an error containing:\n%s", err, tt.want)
			}
		})
	}
}

func utf16LE(s string) string {
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(s)) {
		b.WriteByte(byte(u))
		b.WriteByte(byte(u >> 8))
	}
	return b.String()
}

func nestedBlock(levels int) string {
	var b strings.Builder
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "%sk%d:\n", strings.Repeat("  ", i), i)
	}
	return b.String()
}

// TestHostileScenarioLineEndings checks that CRLF and a byte order mark
// change nothing in what is read.
func TestHostileScenarioLineEndings(t *testing.T) {
	const src = "apiVersion: gameday/v1\nname: crlf\ndescription: |\n  one\n  two\nblast_radius: {count: 1}\naction: {type: reboot}\nwaves: {wait_for_healthy: false}\n"
	for _, variant := range []string{src, strings.ReplaceAll(src, "\n", "\r\n"), "\ufeff" + strings.ReplaceAll(src, "\n", "\r\n")} {
		s, err := Parse("h.yaml", []byte(variant))
		if err != nil {
			t.Fatalf("%q: %v", variant, err)
		}
		if s.Description != "one\ntwo\n" || s.Name != "crlf" {
			t.Errorf("%q: read name %q, description %q", variant, s.Name, s.Description)
		}
	}
}

// TestLoadRefusesHugeFilesBySize checks that Load refuses a file over the
// limit by its size, naming it, without reading it: the files are sparse,
// and reading 16 GiB would take far longer than the test.
func TestLoadRefusesHugeFilesBySize(t *testing.T) {
	for _, size := range []int64{strictyaml.MaxInputSize + 1, 16 << 20, 16 << 30} {
		path := filepath.Join(t.TempDir(), "huge.yaml")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(size); err != nil {
			t.Skipf("no sparse files here: %v", err)
		}
		f.Close()
		_, err = Load(path)
		var errs strictyaml.Errors
		if !errors.As(err, &errs) {
			t.Fatalf("size %d: got %T %v, want strictyaml.Errors", size, err, err)
		}
		want := fmt.Sprintf("%s: (document): file is %s, larger than the 1 MiB limit", path, strictyaml.Size(size))
		if err.Error() != want {
			t.Errorf("got  %v\nwant %s", err, want)
		}
	}
}

// TestURLTemplateValuesCannotMoveTheProbe renders templates for instances
// whose tags (or, in the simulator, any field) hold URL delimiters: the
// values are percent-encoded, so the host stays the one the template's
// text puts there, or the URL is refused.
func TestURLTemplateValuesCannotMoveTheProbe(t *testing.T) {
	tests := []struct {
		tmpl, value string
		host, err   string // the rendered URL's host, or the error
	}{
		{"http://{{.Tags.v}}/", "web-1.internal", "web-1.internal", ""},
		{"http://{{.Tags.v}}.internal/", "evil.com/#", "", `rendered URL "http://evil.com%2F%23.internal/" is not valid: invalid URL escape "%2F"`},
		{"http://{{.PrivateIP}}{{.Tags.v}}/", "@evil.com", "", `rendered URL "http://10.0.0.1%40evil.com/" is not valid: invalid URL escape "%40"`},
		{"http://{{.PrivateIP}}:{{.Tags.v}}/", "80@evil.com", "", `rendered URL "http://10.0.0.1:80%40evil.com/" is not valid: invalid port ":80%40evil.com" after host`},
		{"http://{{.PrivateIP}}:{{.Tags.v}}/", "8080", "10.0.0.1", ""},
		{"{{.Tags.v}}", "https://evil.com/", "", `rendered URL "https%3A%2F%2Fevil.com%2F" is not http or https (hint: start the URL with "http://" or "https://")`},
		{"http://{{.PrivateIP}}/{{.Tags.v}}", "x/../../@evil.com:1#", "10.0.0.1", ""},
		{"http://{{.PrivateIP}}/{{.Tags.v}}", "a b\r\nHost: evil.com", "10.0.0.1", ""},
		{"http://{{.PrivateIP}}/?q={{.Tags.v | urlquery}}", "a&b=c#d", "10.0.0.1", ""},
		{"http://{{.PrivateIP}}/{{printf `%s` .Tags.v}}", "@evil.com", "10.0.0.1", ""},
		{"http://{{or .Tags.v .PrivateIP}}/", "evil.com\\@x", "", `rendered URL "http://evil.com%5C%40x/" is not valid: invalid URL escape "%5C"`},
	}
	for _, tt := range tests {
		f := URLFields{InstanceID: "i-1", PrivateIP: "10.0.0.1", AZ: "us-east-1a", Region: "us-east-1", Tags: map[string]string{"v": tt.value}}
		got, err := InstanceProbe{URL: tt.tmpl}.RenderURL(f)
		if errString(err) != tt.err {
			t.Errorf("%s with %q: got %q, %v; want error %q", tt.tmpl, tt.value, got, err, tt.err)
			continue
		}
		if err != nil {
			continue
		}
		if u, perr := url.Parse(got); perr != nil || u.Hostname() != tt.host || u.User != nil {
			t.Errorf("%s with %q: rendered %q, host %q; want host %q", tt.tmpl, tt.value, got, u.Hostname(), tt.host)
		}
	}
}

// TestURLTemplateRules lists what a template may use and what it may not,
// with the message for each refusal.
func TestURLTemplateRules(t *testing.T) {
	const funcs = "and, eq, ge, gt, index, le, len, lt, ne, not, or, print, printf, slice, urlquery"
	tests := []struct{ tmpl, want string }{
		// Allowed: the documented fields, tags one at a time, if, with, the functions.
		{"http://{{.PrivateIP}}/{{.PublicIP}}/{{.InstanceID}}/{{.AZ}}/{{.Region}}", "http://10.0.0.1/203.0.113.1/i-1/us-east-1a/us-east-1"},
		{`http://{{.Tags.Name}}/{{index .Tags "a b"}}/{{$.Tags.Name}}`, "http://web/x%20y/web"},
		{`http://{{with .Tags}}{{.Name}}{{end}}/{{if .Tags}}t{{end}}{{with $.Tags}}{{index . "a b"}}{{end}}`, "http://web/tx%20y"},
		{`http://{{with .PublicIP}}{{.}}{{else}}{{$.PrivateIP}}{{end}}/`, "http://203.0.113.1/"},
		{`http://{{if eq .AZ "us-east-1a"}}a{{else if ne .AZ "b"}}b{{end}}.x/{{len .AZ}}{{slice .InstanceID 2}}`, "http://a.x/101"},
		{`http://x/{{print .AZ 1}}{{printf "%s-%d" .Region 2}}{{.AZ | urlquery}}{{and .AZ (not .PublicIP)}}{{or .PublicIP .AZ}}`,
			"http://x/us-east-1a1us-east-1-2us-east-1afalse203.0.113.1"},
		{`{{/* a comment */}}http://x/{{- " x " -}}/`, "http://x/%20x%20/"},
		// Refused.
		{"http://{{.}}/", "URL template cannot use {{.}}, the whole instance (hint: name a field, e.g. {{.PrivateIP}})"},
		{"http://{{$}}/", "URL template cannot use {{$}}, the whole instance (hint: name a field, e.g. {{$.PrivateIP}})"},
		{`http://{{printf "%v" .}}/`, "URL template cannot use {{.}}, the whole instance (hint: name a field, e.g. {{.PrivateIP}})"},
		{"http://{{.Tags}}/", `URL template cannot use all tags at once (hint: read one tag, e.g. {{.Tags.Name}} or {{index .Tags "Name"}})`},
		{"http://{{len .Tags}}/", `URL template cannot use all tags at once (hint: read one tag, e.g. {{.Tags.Name}} or {{index .Tags "Name"}})`},
		{"http://{{with .Tags}}{{.}}{{end}}/", `URL template cannot use all tags at once (hint: read one tag, e.g. {{.Name}} inside {{with .Tags}})`},
		{"http://{{.Tags.Name.x}}/", "tag Name is a plain value; it has no field .x"},
		{"http://{{.AZ.x}}/", ".AZ is a plain value; it has no field .x"},
		{"http://{{with .AZ}}{{.Region}}{{end}}/", "inside {{with}}, . is a plain value; it has no field .Region (hint: read the instance's fields as $.Field, e.g. {{with .PublicIP}}{{.}}{{else}}{{$.PrivateIP}}{{end}})"},
		{"http://{{.Secret}}/", `unknown field .Secret in URL template (hint: fields are .InstanceID, .PrivateIP, .PublicIP, .AZ, .Region, .Tags; read a tag with {{index .Tags "Name"}})`},
		{`http://{{index .Tags .AZ}}/`, `URL template reads tags by a quoted key (hint: read a tag with {{index .Tags "Name"}})`},
		{`http://{{index .AZ 0}}/`, `URL template uses index only to read a tag (hint: read a tag with {{index .Tags "Name"}})`},
		{`http://{{(.Tags).Name}}/`, "URL template cannot read a field of a computed value (hint: read fields directly, e.g. {{.Tags.Name}})"},
		{"{{$x := .PrivateIP}}http://{{$x}}/", "URL template cannot declare variables (hint: use the fields directly, e.g. {{.PrivateIP}})"},
		{"http://{{call .Tags}}/", "function call is not allowed in URL template (hint: functions are " + funcs + ")"},
		{"http://{{html .AZ}}/", "function html is not allowed in URL template (hint: functions are " + funcs + ")"},
		{"http://{{gamedayEscapeValue .AZ}}/", "function gamedayEscapeValue is not allowed in URL template (hint: functions are " + funcs + ")"},
		{"http://{{env .AZ}}/", `invalid URL template: function "env" not defined`},
		{"http://x/{{range 3}}a{{end}}", "URL template cannot use {{range}}"},
		{`http://x/{{template "t"}}`, "URL template cannot use {{template}}"},
		{`{{define "t"}}x{{end}}http://x/`, "URL template cannot define templates"},
		{`{{block "t" .}}http://x/{{end}}`, "URL template cannot define templates"},
		{`http://x/{{printf "%01000000d" 1}}`, "rendered URL is longer than 2048 characters"},
		{`http://x/{{printf "%*d" 1 1}}`, "rendered URL is longer than 2048 characters"},
		{`http://x/{{printf "%.3000s" .AZ}}`, "rendered URL is longer than 2048 characters"},
		{"http://x/" + strings.Repeat("{{.AZ}}", 300), "rendered URL is longer than 2048 characters"},
	}
	f := URLFields{InstanceID: "i-1", PrivateIP: "10.0.0.1", PublicIP: "203.0.113.1", AZ: "us-east-1a", Region: "us-east-1",
		Tags: map[string]string{"Name": "web", "a b": "x y"}}
	for _, tt := range tests {
		got, err := InstanceProbe{URL: tt.tmpl}.RenderURL(f)
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s:\ngot  %s\nwant %s", tt.tmpl, got, tt.want)
		}
	}
}

// TestTemplatePrintingIsBounded holds the printing functions to building
// no more than a URL may hold, whatever their arguments.
func TestTemplatePrintingIsBounded(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	if _, err := boundedPrint(long); !errors.Is(err, errTooLong) {
		t.Errorf("print of 1 MiB: %v", err)
	}
	if _, err := boundedURLQuery(long[:maxURLLength], "x"); !errors.Is(err, errTooLong) {
		t.Errorf("urlquery over the limit: %v", err)
	}
	if s, err := boundedPrint("a", 1, true); s != "a1 true" || err != nil {
		t.Errorf("print: %q, %v", s, err)
	}
	for _, format := range []string{"%s%s%s%s%s%s%s%s%s%s", "%3000d", "%.3000f", "%[1]*d", "", "%q"} {
		if _, err := boundedPrintf(format, long, long, long); !errors.Is(err, errTooLong) {
			t.Errorf("printf %q of 1 MiB values: %v", format, err)
		}
	}
	if s, err := boundedPrintf("%s-%03d%%", "a", 7); s != "a-007%" || err != nil {
		t.Errorf("printf: %q, %v", s, err)
	}
	if s, err := escapeValue("aZ0-._~ /?#@:%é\x00"); s != "aZ0-._~%20%2F%3F%23%40%3A%25%C3%A9%00" || err != nil {
		t.Errorf("escapeValue: %q, %v", s, err)
	}
	if _, err := escapeValue(long); !errors.Is(err, errTooLong) {
		t.Errorf("escapeValue of 1 MiB: %v", err)
	}
}
