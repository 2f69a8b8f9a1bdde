// Package strictyaml decodes hand-written YAML (and JSON, a subset of YAML)
// into Go values strictly, collecting every problem instead of stopping at
// the first, each positioned with line, column and field path, with a hint
// when one helps ("did you mean ..."). It knows nothing of scenarios; fleet
// files and any other configuration can use it.
//
// Decoding is driven by `yaml:"name"` struct tags: unknown keys, duplicate
// keys, wrong types and out-of-range numbers are errors. Semantic checks
// belong to the caller, which gets Positions to place its own errors.
package strictyaml

import (
	"errors"
	"fmt"
	"reflect"

	yaml "go.yaml.in/yaml/v3"
)

// NodeDecoder is implemented by types that decode themselves from a YAML
// node. A returned error becomes the message of an Error placed at the node;
// return an *Error (with only Msg and Hint set) to add a hint.
type NodeDecoder interface {
	DecodeYAMLNode(*yaml.Node) error
}

// maxErrors stops decoding a file that is mostly wrong (or not meant for
// this schema at all): the first hundred problems are enough to act on.
const maxErrors = 100

// Decode parses data as one YAML document and stores it in out, which must
// be a non-nil pointer. source names the input in messages (usually the file
// name). The error, when not nil, is Errors holding every problem found,
// sorted by position; out may then be partly filled. Positions is returned
// even on error so that callers can place further checks.
//
// Decode returns a plain error only when out is not a non-nil pointer.
func Decode(source string, data []byte, out any) (Positions, error) {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return Positions{}, fmt.Errorf("strictyaml: Decode needs a non-nil pointer, got %T", out)
	}
	pos := newPositions(source)
	root, nodes, perr := parseDocument(source, data)
	if perr != nil {
		return pos, Errors{perr}
	}
	d := &decoder{
		pos:       pos,
		expanding: map[*yaml.Node]bool{},
		useSite:   map[*yaml.Node]*yaml.Node{},
		budget:    nodes + maxAliasExpansion,
	}
	pos.record("", root, root)
	if IsNull(root) {
		return pos, Errors{{Source: source, Line: root.Line, Column: root.Column,
			Msg: "the document is empty; expected " + expected(v.Elem().Type())}}
	}
	d.value(root, "", v.Elem(), 1)
	return pos, d.result()
}

// decoder walks a node tree and a Go value together, collecting problems.
type decoder struct {
	pos  Positions
	errs Errors
	// expanding holds the anchored nodes being decoded through an alias, to
	// catch an anchor that contains an alias to itself.
	expanding map[*yaml.Node]bool
	// useSite maps an anchored node being expanded to the alias that led to
	// it: a problem with the value as a whole (wrong type, bad duration) is
	// about that use, while problems inside it stay at their definition.
	useSite map[*yaml.Node]*yaml.Node
	// budget is how many more nodes may be visited; aliases revisit nodes.
	budget  int
	stopped bool
}

func (d *decoder) fail(n *yaml.Node, path, msg, hint string) {
	if d.stopped {
		return
	}
	if site, ok := d.useSite[n]; ok {
		n = site
	}
	d.errs = append(d.errs, &Error{Source: d.pos.source, Line: n.Line, Column: n.Column, Path: path, Msg: msg, Hint: hint})
	if len(d.errs) >= maxErrors {
		d.stop(n, "too many errors; stopped here")
	}
}

// stop records a last error and decodes nothing more.
func (d *decoder) stop(n *yaml.Node, msg string) {
	if d.stopped {
		return
	}
	if site, ok := d.useSite[n]; ok {
		n = site
	}
	d.errs = append(d.errs, &Error{Source: d.pos.source, Line: n.Line, Column: n.Column, Msg: msg})
	d.stopped = true
}

// spend takes one visit from the budget, stopping the decoder when it runs
// out: only aliases (and merge keys) can make a file cost more visits than it
// has nodes.
func (d *decoder) spend(n *yaml.Node) bool {
	if d.stopped {
		return false
	}
	if d.budget--; d.budget < 0 {
		d.stop(n, "aliases expand to too many values")
		return false
	}
	return true
}

func (d *decoder) result() error {
	errs := d.errs.dedupe()
	errs.Sort()
	return errs.Err()
}

func (d *decoder) wrongType(n *yaml.Node, path string, want string) {
	d.fail(n, path, fmt.Sprintf("expected %s, got %s", want, Describe(n)), "")
}

// value decodes n into v. depth counts the nesting of n in the document,
// aliases included, so that alias chains cannot recurse without bound.
func (d *decoder) value(n *yaml.Node, path string, v reflect.Value, depth int) {
	if !d.spend(n) {
		return
	}
	if depth > MaxDepth {
		d.fail(n, path, fmt.Sprintf("nested deeper than %d levels", MaxDepth), "")
		return
	}
	if n.Kind == yaml.AliasNode {
		d.alias(n, path, v, depth)
		return
	}
	if !knownTag(n) {
		d.fail(n, path, fmt.Sprintf("unsupported YAML tag %s", n.Tag), "remove the tag")
		return
	}
	if dec, ok := asNodeDecoder(v); ok {
		d.custom(dec, n, path)
		return
	}
	d.byKind(n, path, v, depth)
}

func (d *decoder) byKind(n *yaml.Node, path string, v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Pointer:
		d.pointer(n, path, v, depth)
	case reflect.Struct:
		d.structure(n, path, v, depth)
	case reflect.Map:
		d.mapping(n, path, v, depth)
	case reflect.Slice:
		d.list(n, path, v, depth)
	case reflect.String, reflect.Bool, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		d.scalar(n, path, v)
	default:
		d.fail(n, path, fmt.Sprintf("strictyaml cannot decode into Go type %s", v.Type()), "")
	}
}

func (d *decoder) alias(n *yaml.Node, path string, v reflect.Value, depth int) {
	target := n.Alias
	if target == nil || d.expanding[target] {
		d.fail(n, path, fmt.Sprintf("alias *%s refers to a value that contains it", n.Value), "")
		return
	}
	d.expanding[target], d.useSite[target] = true, n
	defer delete(d.expanding, target)
	defer delete(d.useSite, target)
	d.value(target, path, v, depth)
}

func knownTag(n *yaml.Node) bool {
	switch n.ShortTag() {
	case tagNull, tagBool, tagInt, tagFloat, tagStr, tagTimestamp, tagBinary, tagMerge, tagMap, tagSeq:
		return true
	}
	return false
}

var nodeDecoderType = reflect.TypeFor[NodeDecoder]()

// asNodeDecoder finds a DecodeYAMLNode method on the addressable value v.
// It ignores pointer values: those go through pointer, which keeps null as
// nil and allocates before decoding, so a method never gets a nil receiver.
func asNodeDecoder(v reflect.Value) (NodeDecoder, bool) {
	if v.Kind() == reflect.Pointer || !v.CanAddr() || !v.Addr().Type().Implements(nodeDecoderType) {
		return nil, false
	}
	return v.Addr().Interface().(NodeDecoder), true
}

func (d *decoder) custom(dec NodeDecoder, n *yaml.Node, path string) {
	err := dec.DecodeYAMLNode(n)
	if err == nil {
		return
	}
	var e *Error
	if errors.As(err, &e) {
		d.fail(n, path, e.Msg, e.Hint)
		return
	}
	d.fail(n, path, err.Error(), "")
}

// pointer treats null as "not given" and anything else as the pointed-to value.
func (d *decoder) pointer(n *yaml.Node, path string, v reflect.Value, depth int) {
	if IsNull(n) {
		v.SetZero()
		return
	}
	if v.IsNil() {
		v.Set(reflect.New(v.Type().Elem()))
	}
	d.value(n, path, v.Elem(), depth)
}
