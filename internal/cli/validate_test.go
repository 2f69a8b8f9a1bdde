package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"gameday/internal/scenario"
)

const validScenario = `apiVersion: gameday/v1
name: good
target: {region: us-east-1}
blast_radius: {count: 1}
action: {type: reboot}
waves: {size: 2, wait_for_healthy: false}
`

const invalidScenario = `apiVersion: gameday/v1
name: bad
target: {region: us-east-1}
blast_radius: {percent: 200%}
action: {type: terminate}
waves: {wait_for_healthy: false}
`

func TestValidateText(t *testing.T) {
	t.Parallel()
	good, bad := writeScenario(t, validScenario), writeScenario(t, invalidScenario)
	res := runCLI(t, "validate", good, "../../testdata/scenarios/valid/ebs-az-degradation.yaml")
	want := good + ": ok (good: reboot, waves of 2)\n" +
		"../../testdata/scenarios/valid/ebs-az-degradation.yaml: ok (ebs-az-degradation: 3 phases)\n"
	if res.code != ExitMet || res.stdout != want {
		t.Errorf("exit %d, stdout:\n%s\nwant exit 0 and:\n%s", res.code, res.stdout, want)
	}
	res = runCLI(t, "validate", good, bad)
	want = good + ": ok (good: reboot, waves of 2)\n" +
		bad + `:4:25: blast_radius.percent: expected a percentage like "30%", got "200%" (hint: a percentage must be more than 0 and at most 100)` + "\n" +
		bad + ":5:16: action.type: gameday never terminates instances (hint: use type: reboot)\n"
	if res.code != ExitInvalid || res.stdout != want {
		t.Errorf("exit %d, stdout:\n%s\nwant exit 2 and:\n%s", res.code, res.stdout, want)
	}
	if !strings.Contains(res.stderr, "1 of 2 files invalid") {
		t.Errorf("stderr %q does not count the invalid files", res.stderr)
	}
}

func TestValidateJSON(t *testing.T) {
	t.Parallel()
	good, bad := writeScenario(t, validScenario), writeScenario(t, invalidScenario)
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	res := runCLI(t, "validate", "--output", "json", good, bad, missing)
	if res.code != ExitInvalid {
		t.Errorf("exit %d, want 2", res.code)
	}
	var got []fileResult
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil {
		t.Fatalf("stdout is not a JSON array of results: %v\n%s", err, res.stdout)
	}
	if len(got) != 3 {
		t.Fatalf("got %d results, want 3:\n%s", len(got), res.stdout)
	}
	if r := got[0]; r.File != good || !r.Valid || r.Name != "good" || r.Errors == nil || len(r.Errors) != 0 {
		t.Errorf("valid file: %+v", r)
	}
	wantBad := []fileProblem{
		{File: bad, Line: 4, Column: 25, Path: "blast_radius.percent", Message: `expected a percentage like "30%", got "200%"`,
			Hint: "a percentage must be more than 0 and at most 100"},
		{File: bad, Line: 5, Column: 16, Path: "action.type", Message: "gameday never terminates instances", Hint: "use type: reboot"},
	}
	if r := got[1]; r.File != bad || r.Valid || r.Name != "" || !equalProblems(r.Errors, wantBad) {
		t.Errorf("invalid file: %+v\nwant errors %+v", r, wantBad)
	}
	if r := got[2]; r.Valid || len(r.Errors) != 1 || r.Errors[0].Line != 0 || !strings.Contains(r.Errors[0].Message, "no such file") {
		t.Errorf("missing file: %+v", r)
	}
}

func equalProblems(a, b []fileProblem) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestValidateJSONKeys(t *testing.T) {
	t.Parallel()
	res := runCLI(t, "validate", "-o", "json", writeScenario(t, invalidScenario))
	var raw []map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &raw); err != nil || len(raw) != 1 {
		t.Fatalf("not one JSON result: %v\n%s", err, res.stdout)
	}
	for _, key := range []string{"file", "valid", "name", "errors"} {
		if _, ok := raw[0][key]; !ok {
			t.Errorf("result lacks %q: %v", key, raw[0])
		}
	}
	problem := raw[0]["errors"].([]any)[0].(map[string]any)
	for _, key := range []string{"file", "line", "column", "path", "message", "hint"} {
		if _, ok := problem[key]; !ok {
			t.Errorf("error lacks %q: %v", key, problem)
		}
	}
}

func TestValidateRejectsUnknownOutput(t *testing.T) {
	t.Parallel()
	res := runCLI(t, "validate", "--output", "xml", writeScenario(t, validScenario))
	if res.code != ExitInvalid || res.stdout != "" || !strings.Contains(res.stderr, "--output must be text or json") {
		t.Errorf("exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
}

func TestSchemaCommandPrintsTheSchema(t *testing.T) {
	t.Parallel()
	res := runCLI(t, "schema")
	if res.code != ExitMet || res.stdout != string(scenario.Schema()) {
		t.Fatalf("exit %d, stdout is not scenario.Schema() (%d bytes)", res.code, len(res.stdout))
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(res.stdout))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Compile("schema.json"); err != nil {
		t.Errorf("printed schema does not compile: %v", err)
	}
	if help := runCLI(t, "schema", "--help"); !strings.Contains(help.stdout, "yaml-language-server: $schema=") {
		t.Errorf("schema --help does not show the yaml-language-server comment:\n%s", help.stdout)
	}
	if extra := runCLI(t, "schema", "x"); extra.code != ExitInvalid {
		t.Errorf("schema with an argument: exit %d, want 2", extra.code)
	}
}
