package sim

import (
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// WriteFleet writes spec as a fleet file that ParseFleet reads back as
// spec.WithDefaults(). header, if not empty, becomes a comment block at the
// top, one "# " line per line. An invalid spec is refused: a file the
// simulator would reject is no use to anyone.
//
// A field is written when its value differs from what the file would get
// without it. Most fields get their zero value when left out, so zero
// values are omitted; the fields in alwaysWritten get a default or are
// required, so they are always written, zero or not (a zero boot timing in
// a spec built in Go means "instant", in a file its absence means EC2's
// realistic timings).
func WriteFleet(w io.Writer, spec FleetSpec, header string) error {
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return fmt.Errorf("sim: write fleet: %w", err)
	}
	doc, err := fleetNode(reflect.ValueOf(spec), "")
	if err != nil {
		return fmt.Errorf("sim: write fleet: %w", err)
	}
	if _, err := io.WriteString(w, commentBlock(header)); err != nil {
		return fmt.Errorf("sim: write fleet: %w", err)
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("sim: write fleet: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("sim: write fleet: %w", err)
	}
	return nil
}

// alwaysWritten lists, by field path without indices, the fields whose
// absence from a file does not mean their zero value: required fields and
// fields with file defaults (see applyFileDefaults and required).
var alwaysWritten = []string{
	"region", "account_id", "health_port", "health_path",
	"groups.name", "groups.count", "groups.availability_zones", "groups.instance_type",
	"groups.boot.down", "groups.boot.starting", "groups.boot.pending", "groups.boot.stopping",
	"groups.boot.hard_reboot_delay", "groups.boot.unreachable", "groups.boot",
	"events.code", "events.description", "events.not_before",
	"services.name", "services.members", "services.port", "services.path",
}

// writtenWhen lists fields that must be written only in some cases: a
// primary service left without failover_after gets a default, any other
// service 0.
var writtenWhen = map[string]func(parent reflect.Value) bool{
	"services.failover_after": func(service reflect.Value) bool {
		primary := service.FieldByName("Primary")
		return !primary.IsValid() || primary.Bool()
	},
}

// mustWrite reports whether the field at path of parent is written even
// when zero.
func mustWrite(path string, parent reflect.Value) bool {
	if when, ok := writtenWhen[path]; ok {
		return when(parent)
	}
	return slices.Contains(alwaysWritten, path)
}

func commentBlock(header string) string {
	if strings.TrimSpace(header) == "" {
		return ""
	}
	var b strings.Builder
	for line := range strings.SplitSeq(strings.TrimRight(header, "\n"), "\n") {
		b.WriteString(strings.TrimRight("# "+line, " ") + "\n")
	}
	return b.String() + "\n"
}

var (
	durationType  = reflect.TypeFor[time.Duration]()
	marshalerType = reflect.TypeFor[yaml.Marshaler]()
)

// fleetNode encodes v as a YAML node. It walks the value itself rather than
// calling yaml.Marshal, whose encoder writes time.Duration as nanoseconds
// and every zero field.
func fleetNode(v reflect.Value, path string) (*yaml.Node, error) {
	switch {
	case !v.IsValid(), (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil():
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	case v.Type().Implements(marshalerType):
		out, err := v.Interface().(yaml.Marshaler).MarshalYAML()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if n, ok := out.(*yaml.Node); ok {
			return n, nil
		}
		return encodeNode(out)
	case v.Type() == durationType:
		return scalarNode(formatDuration(time.Duration(v.Int()))), nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return fleetNode(v.Elem(), path)
	case reflect.Struct:
		return structNode(v, path)
	case reflect.Map:
		return mapNode(v, path)
	case reflect.Slice, reflect.Array:
		return listNode(v, path)
	}
	return encodeNode(v.Interface())
}

func structNode(v reflect.Value, path string) (*yaml.Node, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := range v.NumField() {
		field := v.Type().Field(i)
		name, _, _ := strings.Cut(field.Tag.Get("yaml"), ",")
		if !field.IsExported() || name == "-" || name == "" {
			continue
		}
		child := joinFieldPath(path, name)
		if v.Field(i).IsZero() && !mustWrite(child, v) {
			continue
		}
		value, err := fleetNode(v.Field(i), child)
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, scalarNode(name), value)
	}
	return flowIfShort(n), nil
}

func mapNode(v reflect.Value, path string) (*yaml.Node, error) {
	keys := v.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	n := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range keys {
		key, err := encodeNode(k.Interface())
		if err != nil {
			return nil, err
		}
		value, err := fleetNode(v.MapIndex(k), path)
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, key, value)
	}
	return flowIfShort(n), nil
}

func listNode(v reflect.Value, path string) (*yaml.Node, error) {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	for i := range v.Len() {
		item, err := fleetNode(v.Index(i), path)
		if err != nil {
			return nil, err
		}
		n.Content = append(n.Content, item)
	}
	return flowIfShort(n), nil
}

// encodeNode leaves scalars to the YAML library, which quotes strings that
// would otherwise read back as numbers, booleans or null.
func encodeNode(v any) (*yaml.Node, error) {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return nil, err
	}
	return &n, nil
}

func scalarNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

// flowIfShort writes a mapping or list of scalars on one line
// ({app: web, gameday: opt-in}, [us-east-1a, us-east-1b]) when it is short,
// as people write tags, zone lists and ranges.
func flowIfShort(n *yaml.Node) *yaml.Node {
	width := 0
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode || strings.Contains(c.Value, "\n") {
			return n
		}
		width += len(c.Value) + 4
	}
	if len(n.Content) > 0 && width <= 72 {
		n.Style = yaml.FlowStyle
	}
	return n
}

// joinFieldPath extends a field path; list indices are left out, so
// "groups.boot.down" names that field in every group.
func joinFieldPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// formatDuration writes a duration as people do: 2m rather than 2m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalYAML writes a range as DecodeYAMLNode reads it: one duration for a
// fixed time, else {min: 45s, max: 2m}.
func (r Range) MarshalYAML() (any, error) {
	if r.Min == r.Max {
		return formatDuration(r.Min), nil
	}
	return &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Content: []*yaml.Node{
		scalarNode("min"), scalarNode(formatDuration(r.Min)),
		scalarNode("max"), scalarNode(formatDuration(r.Max)),
	}}, nil
}

// MarshalYAML writes an offset ("1h") or an RFC 3339 instant, as
// DecodeYAMLNode reads them.
func (t EventTime) MarshalYAML() (any, error) {
	if !t.At.IsZero() {
		return t.At.UTC().Format(time.RFC3339Nano), nil
	}
	return formatDuration(t.After), nil
}
