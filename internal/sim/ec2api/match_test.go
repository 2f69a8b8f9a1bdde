package ec2api

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gameday/internal/fleet"
	"gameday/internal/sim"
)

func TestFilterSetCompile(t *testing.T) {
	view := sim.InstanceView{Instance: fleet.Instance{
		ID: "i-0123456789abcdef0", AZ: "us-east-1a", State: "running",
		Tags: map[string]string{"app": "web", "gameday": "opt-in"},
	}, StateCode: 16}
	tests := []struct {
		name    string
		filters []rawFilter
		want    bool
		code    string
	}{
		{"no filters", nil, true, ""},
		{"tag", []rawFilter{{"tag:app", []string{"web"}}}, true, ""},
		{"tag OR", []rawFilter{{"tag:app", []string{"api", "w?b"}}}, true, ""},
		{"tags AND", []rawFilter{{"tag:app", []string{"web"}}, {"tag:gameday", []string{"no"}}}, false, ""},
		{"tag key is literal", []rawFilter{{"tag:a*", []string{"*"}}}, false, ""},
		{"tag-key", []rawFilter{{"tag-key", []string{"game*"}}}, true, ""},
		{"tag-value", []rawFilter{{"tag-value", []string{"opt-in"}}}, true, ""},
		{"state code", []rawFilter{{"instance-state-code", []string{"16"}}}, true, ""},
		{"az", []rawFilter{{"availability-zone", []string{"us-east-1b"}}}, false, ""},
		{"unknown name", []rawFilter{{"colour", []string{"red"}}}, false, "InvalidParameterValue"},
		{"empty tag key", []rawFilter{{"tag:", []string{"x"}}}, false, "InvalidParameterValue"},
		{"names are case-sensitive", []rawFilter{{"Availability-Zone", []string{"x"}}}, false, "InvalidParameterValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			filters, apiErr := instanceFilters.compile(tt.filters)
			if got := errorCode(apiErr); got != tt.code {
				t.Fatalf("compile error code %q, want %q", got, tt.code)
			}
			if apiErr == nil && matchAll(filters, &view) != tt.want {
				t.Errorf("matchAll = %v, want %v", !tt.want, tt.want)
			}
		})
	}
	if _, apiErr := statusFilters.compile([]rawFilter{{"tag:app", []string{"web"}}}); apiErr == nil {
		t.Error("DescribeInstanceStatus accepted a tag filter")
	}
}

func TestParseFilters(t *testing.T) {
	tests := []struct {
		query string
		want  []rawFilter
		code  string
	}{
		{"Filter.1.Name=tag%3Agameday&Filter.1.Value.1=opt-in&Filter.2.Name=instance-state-name&Filter.2.Value.1=running",
			[]rawFilter{{"tag:gameday", []string{"opt-in"}}, {"instance-state-name", []string{"running"}}}, ""},
		{"Filter.2.Name=b&Filter.2.Value.10=z&Filter.2.Value.2=y&Filter.10.Name=a&Filter.10.Value.1=x",
			[]rawFilter{{"b", []string{"y", "z"}}, {"a", []string{"x"}}}, ""},
		{"Action=DescribeInstances", nil, ""},
		{"Filter.1.Name=a", nil, "InvalidParameterValue"},
		{"Filter.1.Value.1=a", nil, "InvalidParameterValue"},
		{"Filter.0.Name=a&Filter.0.Value.1=x", nil, "UnknownParameter"},
		{"Filter.x.Name=a", nil, "UnknownParameter"},
		{"Filter.1.Value=a", nil, "UnknownParameter"},
		{"Filter.1.Values.1=a", nil, "UnknownParameter"},
		{"Filter.+1.Name=a", nil, "UnknownParameter"},
	}
	for _, tt := range tests {
		form, err := url.ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		got, apiErr := parseFilters(form)
		if code := errorCode(apiErr); code != tt.code {
			t.Errorf("%s: error code %q, want %q", tt.query, code, tt.code)
			continue
		}
		if !equalFilters(got, tt.want) {
			t.Errorf("%s:\n got %v\nwant %v", tt.query, got, tt.want)
		}
	}
}

func TestFilterValueLimit(t *testing.T) {
	form := url.Values{"Filter.1.Name": {"tag:app"}}
	for i := 1; i <= 201; i++ {
		form.Set("Filter.1.Value."+strconv.Itoa(i), "v")
	}
	if _, apiErr := parseFilters(form); errorCode(apiErr) != "FilterLimitExceeded" {
		t.Errorf("201 values: error %v, want FilterLimitExceeded", apiErr)
	}
}

func TestParseIndexed(t *testing.T) {
	form, _ := url.ParseQuery("InstanceId.10=c&InstanceId.2=b&InstanceId.1=a&Other.1=x")
	got, apiErr := parseIndexed(form, "InstanceId")
	if apiErr != nil || len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Errorf("parseIndexed = %v, %v; want [a b c]", got, apiErr)
	}
	form, _ = url.ParseQuery("InstanceId.one=a")
	if _, apiErr := parseIndexed(form, "InstanceId"); errorCode(apiErr) != "UnknownParameter" {
		t.Errorf("InstanceId.one: error %v, want UnknownParameter", apiErr)
	}
}

// FuzzParseFilters checks the form and filter parsers never panic and only
// return well-shaped filters, whatever the body.
func FuzzParseFilters(f *testing.F) {
	f.Add("Filter.1.Name=tag%3Agameday&Filter.1.Value.1=opt-*&InstanceId.1=i-0123456789abcdef0")
	f.Add("Filter.1.Name=a&Filter.1.Value.999999=%5C%2A&Filter.2.Value.1=x")
	f.Add("Filter..Name=&Filter.1.Value.=&InstanceId.=")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		_, _ = parseIndexed(form, "InstanceId")
		filters, apiErr := parseFilters(form)
		if apiErr != nil {
			return
		}
		for _, f := range filters {
			if len(f.Values) == 0 {
				t.Fatalf("filter %q has no values", f.Name)
			}
			for _, v := range f.Values {
				p := fleet.CompileWildcard(v)
				p.Match(f.Name)
				if !strings.ContainsAny(v, `*?\`) && !p.Match(v) {
					t.Fatalf("literal pattern %q does not match itself", v)
				}
				if !fleet.CompileWildcard("*").Match(v) {
					t.Fatalf("* does not match %q", v)
				}
			}
		}
		_, _ = instanceFilters.compile(filters)
	})
}

func equalFilters(a, b []rawFilter) bool {
	return slices.EqualFunc(a, b, func(x, y rawFilter) bool {
		return x.Name == y.Name && slices.Equal(x.Values, y.Values)
	})
}
