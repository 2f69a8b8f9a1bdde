package scenario

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml "go.yaml.in/yaml/v3"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatalf("schema.json is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatalf("schema.json does not compile: %v", err)
	}
	return sch
}

// yamlInstance turns a YAML (or JSON) file into the generic value a schema
// validates, as an editor's YAML language server does: timestamps that YAML
// resolves become strings again.
func yamlInstance(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	return jsonValue(v)
}

func jsonValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, item := range v {
			v[k] = jsonValue(item)
		}
	case []any:
		for i, item := range v {
			v[i] = jsonValue(item)
		}
	case time.Time:
		return v.Format(time.RFC3339Nano)
	}
	return v
}

// TestSchemaAcceptsValidScenarios checks the example scenarios and every
// valid test scenario against the schema: an editor must never flag a file
// that gameday accepts.
func TestSchemaAcceptsValidScenarios(t *testing.T) {
	sch := compileSchema(t)
	examples, _ := filepath.Glob("../../scenarios/*.yaml")
	valid, _ := filepath.Glob(scenarioData + "/valid/*")
	if len(examples) == 0 || len(valid) == 0 {
		t.Fatalf("found %d example and %d valid scenarios, want some of each", len(examples), len(valid))
	}
	for _, path := range append(examples, valid...) {
		t.Run(strings.TrimPrefix(path, "../../"), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(yamlInstance(t, data)); err != nil {
				t.Errorf("schema rejects it:\n%v", err)
			}
		})
	}
}

// TestSchemaRejects lists documents the schema must refuse, each with a
// part of the message that says why.
func TestSchemaRejects(t *testing.T) {
	const base = "apiVersion: gameday/v1\nname: x\nblast_radius: {count: 1}\naction: {type: reboot}\n"
	tests := []struct{ name, doc, want string }{
		{"unknown top-level key", base + "dry_run: true\n", "additional properties 'dry_run' not allowed"},
		{"unknown nested key", base + "waves: {timeout: 1m}\n", "'/waves': additional properties 'timeout'"},
		{"wrong action enum", "apiVersion: gameday/v1\nname: x\nblast_radius: {count: 1}\naction: {type: terminate}\n", "/action/type"},
		{"wrong order enum", base + "waves: {order: by_az}\n", "/waves/order"},
		{"wrong apiVersion", strings.Replace(base, "gameday/v1", "gameday/v2", 1), "gameday/v1"},
		{"two blast radius choices", "apiVersion: gameday/v1\nname: x\nblast_radius: {count: 1, percent: 5%}\naction: {type: reboot}\n", "'/blast_radius': 'not' failed"},
		{"no blast radius choice without phases", "apiVersion: gameday/v1\nname: x\nblast_radius: {max_instances: 1}\naction: {type: reboot}\n", "missing property 'per_az'"},
		{"region and regions", base + "target: {region: us-east-1, regions: [us-east-1]}\n", "'/target': 'not' failed"},
		{"dedicated filter", base + "target: {filters: {instance-id: [i-12345678]}}\n", "invalid propertyName 'instance-id'"},
		{"tcp probe with url", base + "verify: {instance: {type: tcp, address: 'x:1', url: 'http://x/'}}\n", "'/verify/instance/url': false schema"},
		{"templated service url", base + "verify: {services: [{name: a, url: 'http://{{.PrivateIP}}/'}]}\n", "'/verify/services/0/url': 'not' failed"},
		{"start_at without scheduled", base + "schedule: {start_at: 2026-12-01T02:00:00Z}\n", "'/schedule/start_at': false schema"},
		{"stop without allow_leave_stopped", "apiVersion: gameday/v1\nname: x\nblast_radius: {count: 1}\naction: {type: stop}\n", "missing property 'allow_leave_stopped'"},
		{"bad duration", base + "waves: {interval: 2d}\n", "'2d' does not match"},
		{"bad name", strings.Replace(base, "name: x", "name: Bad_Name", 1), "'Bad_Name' does not match"},
	}
	sch := compileSchema(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sch.Validate(yamlInstance(t, []byte(tt.doc)))
			if err == nil {
				t.Fatalf("schema accepts:\n%s", tt.doc)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error does not mention %q:\n%v", tt.want, err)
			}
			if _, perr := Parse("t.yaml", []byte(tt.doc)); perr == nil {
				t.Errorf("Parse accepts what the schema rejects:\n%s", tt.doc)
			}
		})
	}
}

func TestSchemaID(t *testing.T) {
	var doc struct {
		ID     string `json:"$id"`
		Schema string `json:"$schema"`
	}
	if err := json.Unmarshal(Schema(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.ID != SchemaID || doc.Schema != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$id %q, $schema %q", doc.ID, doc.Schema)
	}
}
