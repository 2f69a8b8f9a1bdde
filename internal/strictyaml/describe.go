package strictyaml

import (
	"reflect"
	"strconv"

	yaml "go.yaml.in/yaml/v3"
)

// YAML short tags, as go.yaml.in/yaml/v3 resolves them.
const (
	tagNull      = "!!null"
	tagBool      = "!!bool"
	tagInt       = "!!int"
	tagFloat     = "!!float"
	tagStr       = "!!str"
	tagTimestamp = "!!timestamp"
	tagBinary    = "!!binary"
	tagMerge     = "!!merge"
	tagMap       = "!!map"
	tagSeq       = "!!seq"
)

// maxShown bounds how much of a value is quoted back in a message.
const maxShown = 40

// Describe says what a node is in the words of someone writing YAML, for
// messages like "expected a list, got a mapping": "a mapping", "a list",
// "null", or the scalar itself, quoted when it is a string ("abc", 42, true).
func Describe(n *yaml.Node) string {
	n = resolveAlias(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return describeScalar(n)
	case yaml.DocumentNode:
		return "a document"
	}
	return "nothing"
}

func describeScalar(n *yaml.Node) string {
	switch n.ShortTag() {
	case tagNull:
		return "null"
	case tagBool, tagInt, tagFloat:
		return shorten(n.Value)
	}
	return strconv.Quote(shorten(n.Value))
}

func shorten(s string) string {
	r := []rune(s)
	if len(r) <= maxShown {
		return s
	}
	return string(r[:maxShown]) + "..."
}

// IsNull reports whether n is an explicit or implicit YAML null.
func IsNull(n *yaml.Node) bool {
	n = resolveAlias(n)
	return n.Kind == yaml.ScalarNode && n.ShortTag() == tagNull
}

// resolveAlias follows one alias; the parser never anchors an alias node, so
// one step reaches the anchored value.
func resolveAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// expected names what a Go type needs in YAML words, for "expected ..." messages.
func expected(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a mapping"
	case reflect.Slice:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return expected(t.Elem())
	}
	return "a value"
}
