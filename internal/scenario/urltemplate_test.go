package scenario

import (
	"reflect"
	"testing"
)

func TestURLFieldNamesMatchStruct(t *testing.T) {
	var names []string
	for _, f := range reflect.VisibleFields(reflect.TypeFor[URLFields]()) {
		names = append(names, f.Name)
	}
	if !reflect.DeepEqual(names, urlFieldNames) {
		t.Errorf("URLFields has %v, urlFieldNames lists %v", names, urlFieldNames)
	}
}

func TestRenderURL(t *testing.T) {
	f := URLFields{
		InstanceID: "i-1", PrivateIP: "127.0.0.9", PublicIP: "", AZ: "us-east-1b", Region: "us-east-1",
		Tags: map[string]string{"Name": "web-1", "port": "9090"},
	}
	tests := []struct {
		url, want, err string
	}{
		{"http://{{.PrivateIP}}:8080/healthz", "http://127.0.0.9:8080/healthz", ""},
		{`https://{{index .Tags "Name"}}.internal:{{.Tags.port}}/`, "https://web-1.internal:9090/", ""},
		{"http://{{or .PublicIP .PrivateIP}}/?id={{.InstanceID}}&az={{.AZ}}&r={{.Region}}", "http://127.0.0.9/?id=i-1&az=us-east-1b&r=us-east-1", ""},
		{"http://{{.Tags.missing}}/", "", `cannot render URL template at <.Tags.missing>: map has no entry for key "missing"`},
		{"http://{{.PublicIP}}/", "", `rendered URL "http:///" has no host (hint: e.g. "http://{{.PrivateIP}}:8080/healthz")`},
		{"http://{{.Secret}}/", "", `unknown field .Secret in URL template (hint: fields are .InstanceID, .PrivateIP, .PublicIP, .AZ, .Region, .Tags; read a tag with {{index .Tags "Name"}})`},
		{"", "", `rendered URL "" is not http or https (hint: start the URL with "http://" or "https://")`},
		{"http://[::1/", "", `rendered URL "http://[::1/" is not valid: missing ']' in host`},
	}
	for _, tt := range tests {
		got, err := InstanceProbe{URL: tt.url}.RenderURL(f)
		if got != tt.want || errString(err) != tt.err {
			t.Errorf("RenderURL(%q) = %q, %q; want %q, %q", tt.url, got, errString(err), tt.want, tt.err)
		}
	}
}
