package strictyaml

import (
	"strconv"
	"strings"
	"unicode"

	yaml "go.yaml.in/yaml/v3"
)

// position is a 1-based line and column in a source file.
type position struct{ Line, Column int }

// Positions remembers where every decoded path was written, so that checks
// made after decoding can point at the right place in the file.
type Positions struct {
	source string
	// keys holds where a path is named: the key of a field or map entry, the
	// item itself for list items, the top-level value for the root ("").
	keys map[string]position
	// values holds where the value of a path starts.
	values map[string]position
}

func newPositions(source string) Positions {
	return Positions{source: source, keys: map[string]position{}, values: map[string]position{}}
}

func (p Positions) record(path string, key, value *yaml.Node) {
	p.keys[path] = position{key.Line, key.Column}
	p.values[path] = position{value.Line, value.Column}
}

// Source is the file name given to Decode.
func (p Positions) Source() string { return p.source }

// Has reports whether path was written in the file.
func (p Positions) Has(path string) bool {
	_, ok := p.keys[path]
	return ok
}

// At returns where path is named: the key for fields and map entries, the
// item for list items.
func (p Positions) At(path string) (line, col int, ok bool) {
	pos, ok := p.keys[path]
	return pos.Line, pos.Column, ok
}

// ValueAt returns where the value of path starts.
func (p Positions) ValueAt(path string) (line, col int, ok bool) {
	pos, ok := p.values[path]
	return pos.Line, pos.Column, ok
}

// NewError makes an error about path, placed at its key. When path is not in
// the file (a required field is missing, say), it is placed at the key of the
// nearest parent that is.
func (p Positions) NewError(path, msg, hint string) *Error {
	pos := p.nearest(path)
	return &Error{Source: p.source, Line: pos.Line, Column: pos.Column, Path: path, Msg: msg, Hint: hint}
}

// NewValueError is NewError placed at the value of path, for problems with
// what was written rather than with the key being there.
func (p Positions) NewValueError(path, msg, hint string) *Error {
	pos, ok := p.values[path]
	if !ok {
		return p.NewError(path, msg, hint)
	}
	return &Error{Source: p.source, Line: pos.Line, Column: pos.Column, Path: path, Msg: msg, Hint: hint}
}

// nearest finds the longest recorded prefix of path that ends at a path
// segment boundary. Trying every boundary, rather than parsing the path,
// stays correct for quoted map keys that contain dots or brackets.
func (p Positions) nearest(path string) position {
	if pos, ok := p.keys[path]; ok {
		return pos
	}
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] != '.' && path[i] != '[' {
			continue
		}
		if pos, ok := p.keys[path[:i]]; ok {
			return pos
		}
	}
	return p.keys[""]
}

// JoinKey appends a mapping key to a path: "target" + "tags" is
// "target.tags". Keys that are not plain identifiers are quoted so that the
// path stays unambiguous: target.tags["kubernetes.io/role"].
func JoinKey(path, key string) string {
	if !isPlainKey(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// JoinIndex appends a list index to a path: target.availability_zones[1].
func JoinIndex(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

func isPlainKey(key string) bool {
	if key == "" {
		return false
	}
	return strings.IndexFunc(key, func(r rune) bool {
		return !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) || r == '_' || r == '-')
	}) < 0
}
