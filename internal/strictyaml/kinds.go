package strictyaml

import (
	"fmt"
	"math"
	"reflect"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// field is a struct field as YAML names it.
type field struct {
	name  string
	index int
}

// structFields lists the decodable fields of t in declaration order: named
// by their yaml tag, or by the lower-cased Go name as go.yaml.in/yaml/v3
// does; "-" and unexported fields are skipped.
func structFields(t reflect.Type) []field {
	var fields []field
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = strings.ToLower(f.Name)
		}
		fields = append(fields, field{name: name, index: i})
	}
	return fields
}

func (d *decoder) structure(n *yaml.Node, path string, v reflect.Value, depth int) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, "a mapping")
		return
	}
	fields := structFields(v.Type())
	byName := make(map[string]int, len(fields))
	for _, f := range fields {
		byName[f.name] = f.index
	}
	for _, e := range d.entries(n, path, depth) {
		p := JoinKey(path, e.key)
		i, ok := byName[e.key]
		if !ok {
			d.unknownField(e.keyNode, p, e.key, fields)
			continue
		}
		d.pos.record(p, e.keyNode, e.valueNode)
		d.value(e.valueNode, p, v.Field(i), depth+1)
	}
}

func (d *decoder) unknownField(k *yaml.Node, path, key string, fields []field) {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	hint := "valid fields: " + strings.Join(names, ", ")
	if guess, ok := Suggest(key, names); ok {
		hint = fmt.Sprintf("did you mean %q?", guess)
	}
	d.fail(k, path, "unknown field", hint)
}

// mapping decodes a YAML mapping into a Go map with string keys.
func (d *decoder) mapping(n *yaml.Node, path string, v reflect.Value, depth int) {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.fail(n, path, fmt.Sprintf("strictyaml cannot decode into Go type %s (keys must be strings)", t), "")
		return
	}
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, "a mapping")
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(t))
	}
	for _, e := range d.entries(n, path, depth) {
		p := JoinKey(path, e.key)
		d.pos.record(p, e.keyNode, e.valueNode)
		elem := reflect.New(t.Elem()).Elem()
		d.value(e.valueNode, p, elem, depth+1)
		v.SetMapIndex(reflect.ValueOf(e.key).Convert(t.Key()), elem)
	}
}

func (d *decoder) list(n *yaml.Node, path string, v reflect.Value, depth int) {
	if n.Kind != yaml.SequenceNode {
		d.wrongType(n, path, "a list")
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		p := JoinIndex(path, i)
		d.pos.record(p, item, item)
		d.value(item, p, s.Index(i), depth+1)
	}
	v.Set(s)
}

// scalar decodes strings, booleans and numbers. A string field takes any
// scalar but null, so "name: 2024" is the string "2024"; the other kinds
// take only what YAML resolves to their type, so a quoted "3" is not a
// number and "yes" is not a boolean.
func (d *decoder) scalar(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.ScalarNode || IsNull(n) {
		d.wrongType(n, path, expected(v.Type()))
		return
	}
	var err error
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Bool:
		err = decodeBool(n, v)
	case reflect.Float32, reflect.Float64:
		err = decodeFloat(n, v)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		err = decodeInt(n, v)
	default:
		err = decodeUint(n, v)
	}
	if err != nil {
		d.fail(n, path, err.Error(), "")
	}
}

func mismatch(n *yaml.Node, v reflect.Value) error {
	return fmt.Errorf("expected %s, got %s", expected(v.Type()), Describe(n))
}

func decodeBool(n *yaml.Node, v reflect.Value) error {
	var b bool
	if n.ShortTag() != tagBool || n.Decode(&b) != nil {
		return mismatch(n, v)
	}
	v.SetBool(b)
	return nil
}

func decodeFloat(n *yaml.Node, v reflect.Value) error {
	var f float64
	tag := n.ShortTag()
	if tag != tagInt && tag != tagFloat || n.Decode(&f) != nil {
		return mismatch(n, v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || v.OverflowFloat(f) {
		return fmt.Errorf("expected a finite number, got %s", Describe(n))
	}
	v.SetFloat(f)
	return nil
}

func decodeInt(n *yaml.Node, v reflect.Value) error {
	var i int64
	if n.ShortTag() != tagInt || n.Decode(&i) != nil {
		return mismatch(n, v)
	}
	if v.OverflowInt(i) {
		bits := v.Type().Bits()
		return fmt.Errorf("expected an integer between %d and %d, got %s",
			int64(-1)<<(bits-1), int64(uint64(1)<<(bits-1)-1), Describe(n))
	}
	v.SetInt(i)
	return nil
}

func decodeUint(n *yaml.Node, v reflect.Value) error {
	var u uint64
	if n.ShortTag() != tagInt || n.Decode(&u) != nil {
		return mismatch(n, v)
	}
	if v.OverflowUint(u) {
		return fmt.Errorf("expected an integer between 0 and %d, got %s",
			uint64(math.MaxUint64)>>(64-v.Type().Bits()), Describe(n))
	}
	v.SetUint(u)
	return nil
}
