package scenario

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// schemaDoc is schema.json as a generic value, for walking it.
func schemaDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(Schema(), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// resolve follows a local "$ref": "#/$defs/name".
func resolve(t *testing.T, doc, node map[string]any) map[string]any {
	t.Helper()
	ref, ok := node["$ref"].(string)
	if !ok {
		return node
	}
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	def, found := doc["$defs"].(map[string]any)[name].(map[string]any)
	if !ok || !found {
		t.Fatalf("unresolvable $ref %q", ref)
	}
	return def
}

// leafTypes decode themselves from a scalar; the schema describes them as
// strings or numbers, not as objects.
var leafTypes = []reflect.Type{
	reflect.TypeFor[Duration](), reflect.TypeFor[Percent](), reflect.TypeFor[Quantity](), reflect.TypeFor[Timestamp](),
}

// TestSchemaMatchesTypes walks the Go types by their yaml tags and the
// schema by its properties together, and fails on a field that one has and
// the other lacks, at any depth.
func TestSchemaMatchesTypes(t *testing.T) {
	doc := schemaDoc(t)
	walkSchema(t, doc, "", reflect.TypeFor[Scenario](), doc)
}

func walkSchema(t *testing.T, doc map[string]any, path string, typ reflect.Type, node map[string]any) {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if slices.Contains(leafTypes, typ) {
		return
	}
	node = resolve(t, doc, node)
	switch typ.Kind() {
	case reflect.Struct:
		walkStruct(t, doc, path, typ, node)
	case reflect.Slice:
		items, ok := node["items"].(map[string]any)
		if !ok {
			t.Errorf("%s: a list in Go, but the schema has no items", path)
			return
		}
		walkSchema(t, doc, path+"[]", typ.Elem(), items)
	case reflect.Map:
		values, ok := node["additionalProperties"].(map[string]any)
		if !ok {
			t.Errorf("%s: a map in Go, but the schema has no additionalProperties schema", path)
			return
		}
		walkSchema(t, doc, path+".*", typ.Elem(), values)
	}
}

func walkStruct(t *testing.T, doc map[string]any, path string, typ reflect.Type, node map[string]any) {
	props, _ := node["properties"].(map[string]any)
	if node["additionalProperties"] != false {
		t.Errorf("%s: the schema allows unknown keys; want additionalProperties: false", path)
	}
	fields := map[string]reflect.Type{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		fields[name] = f.Type
		prop, ok := props[name].(map[string]any)
		if !ok {
			t.Errorf("%s: Go field %s (yaml %q) is missing from the schema", path, f.Name, name)
			continue
		}
		walkSchema(t, doc, strings.TrimPrefix(path+"."+name, "."), f.Type, prop)
	}
	for name := range props {
		if _, ok := fields[name]; !ok {
			t.Errorf("%s: schema property %q has no Go field", path, name)
		}
	}
}

// TestSchemaDescribesEveryProperty keeps editors' hover help complete.
func TestSchemaDescribesEveryProperty(t *testing.T) {
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if props, ok := v["properties"].(map[string]any); ok && !conditional(path) {
				for name, p := range props {
					if pm, ok := p.(map[string]any); ok && pm["description"] == nil {
						t.Errorf("%s.properties.%s has no description", path, name)
					}
				}
			}
			for k, child := range v {
				walk(path+"/"+k, child)
			}
		case []any:
			for _, child := range v {
				walk(path+"/[]", child)
			}
		}
	}
	walk("#", schemaDoc(t))
}

// conditional reports whether path lies inside a rule (if, then, else, not,
// anyOf...) rather than a declaration: those restate properties declared,
// and described, beside them.
func conditional(path string) bool {
	for _, k := range []string{"/if", "/then", "/else", "/not", "/anyOf", "/oneOf", "/allOf"} {
		if strings.Contains(path, k) {
			return true
		}
	}
	return false
}

// TestSchemaFilterNames keeps the schema's filter names equal to the list
// validation uses, without the filters a target field replaces.
func TestSchemaFilterNames(t *testing.T) {
	target := schemaDoc(t)["$defs"].(map[string]any)["target"].(map[string]any)
	filters := target["properties"].(map[string]any)["filters"].(map[string]any)
	var got []string
	for _, n := range filters["propertyNames"].(map[string]any)["enum"].([]any) {
		got = append(got, n.(string))
	}
	var want []string
	for _, n := range ec2FilterNames() {
		if _, dedicated := dedicatedFields[n]; !dedicated {
			want = append(want, n)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("schema filter names:\n%v\nwant (ec2_filters.txt without dedicated fields):\n%v", got, want)
	}
}
