package strictyaml

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"unicode/utf16"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// Limits that keep a hostile or broken file from using unbounded memory or
// time. Real scenario and fleet files are a few kilobytes and a handful of
// levels deep.
const (
	// MaxInputSize is the largest input Decode accepts, in bytes.
	MaxInputSize = 1 << 20
	// MaxDepth is the deepest nesting of mappings and lists Decode accepts.
	MaxDepth = 64
	// maxAliasExpansion bounds how many extra values aliases may add on top
	// of the nodes actually written, which defuses "billion laughs" files:
	// the parser keeps aliases as pointers, but decoding expands them.
	maxAliasExpansion = 100_000
)

// parseDocument parses data as exactly one YAML document and returns its
// top-level node and the number of nodes written in it.
func parseDocument(source string, data []byte) (*yaml.Node, int, *Error) {
	if len(data) > MaxInputSize {
		return nil, 0, &Error{Source: source, Msg: fmt.Sprintf("input is larger than the %d MiB limit", MaxInputSize>>20)}
	}
	data, perr := normalizeEncoding(source, data)
	if perr != nil {
		return nil, 0, perr
	}
	docs, err := parseStream(data)
	if err != nil {
		return nil, 0, syntaxError(source, data, err)
	}
	if len(docs) == 0 || len(docs[0].Content) == 0 {
		return nil, 0, &Error{Source: source, Line: 1, Column: 1, Msg: "the file is empty; expected a YAML document"}
	}
	if len(docs) > 1 {
		second := docs[1]
		return nil, 0, &Error{Source: source, Line: second.Line, Column: second.Column,
			Msg:  "found a second YAML document; a file holds exactly one",
			Hint: `remove the "---" separator or split the file`}
	}
	root := docs[0].Content[0]
	nodes, deep := measure(root, 1)
	if deep != nil {
		return nil, 0, &Error{Source: source, Line: deep.Line, Column: deep.Column,
			Msg: fmt.Sprintf("nested deeper than %d levels", MaxDepth)}
	}
	return root, nodes, nil
}

var byteOrderMark = []byte("\ufeff")

// normalizeEncoding turns UTF-16 (which YAML allows, and some editors and
// shells write) into UTF-8 and drops one leading byte order mark, so that
// positions count characters as an editor does. It refuses a byte order
// mark anywhere else: the parser would make it an invisible part of a key
// or value, and after a second leading one it drops the first character of
// every line's key.
func normalizeEncoding(source string, data []byte) ([]byte, *Error) {
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		var ok bool
		if data, ok = utf16ToUTF8(data); !ok {
			return nil, &Error{Source: source, Msg: "invalid UTF-16", Hint: "save the file as UTF-8"}
		}
	}
	data = bytes.TrimPrefix(data, byteOrderMark)
	if i := bytes.Index(data, byteOrderMark); i >= 0 {
		line, col := offsetPosition(data, i)
		return nil, &Error{Source: source, Line: line, Column: col,
			Msg:  "invisible byte order mark (U+FEFF) inside the file",
			Hint: `delete it; in a quoted string write "\uFEFF" if it is meant`}
	}
	return data, nil
}

// utf16ToUTF8 decodes UTF-16 with a byte order mark, which it keeps.
func utf16ToUTF8(data []byte) ([]byte, bool) {
	if len(data)%2 != 0 {
		return nil, false
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if data[0] == 0xfe {
		order = binary.BigEndian
	}
	units := make([]uint16, len(data)/2)
	for i := range units {
		units[i] = order.Uint16(data[2*i:])
	}
	out := make([]byte, 0, len(data))
	for i := 0; i < len(units); i++ {
		r := rune(units[i])
		if utf16.IsSurrogate(r) {
			if i+1 >= len(units) {
				return nil, false
			}
			if r = utf16.DecodeRune(r, rune(units[i+1])); r == utf8.RuneError {
				return nil, false
			}
			i++
		}
		out = utf8.AppendRune(out, r)
	}
	return out, true
}

// offsetPosition gives the line and column of byte offset i, counting a line
// break as YAML does ("\r\n", "\n" or a lone "\r") and columns in characters.
func offsetPosition(data []byte, i int) (line, col int) {
	line, start := 1, 0
	for j := 0; j < i; j++ {
		switch {
		case data[j] == '\n', data[j] == '\r' && (j+1 >= len(data) || data[j+1] != '\n'):
			line, start = line+1, j+1
		}
	}
	return line, utf8.RuneCount(data[start:i]) + 1
}

// parseStream reads at most two documents: one is all a file may hold, the
// second only proves there is more.
func parseStream(data []byte) (docs []*yaml.Node, err error) {
	// The parser is third-party code fed untrusted input; a panic in it must
	// become an error, not take the program down.
	defer func() {
		if r := recover(); r != nil {
			docs, err = nil, fmt.Errorf("yaml: parser failed: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for len(docs) < 2 {
		var doc yaml.Node
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return docs, nil
		} else if err != nil {
			return nil, err
		}
		docs = append(docs, &doc)
	}
	return docs, nil
}

// measure counts the nodes under n, without following aliases, and returns
// the first node nested deeper than MaxDepth, if any.
func measure(n *yaml.Node, depth int) (count int, deep *yaml.Node) {
	if depth > MaxDepth {
		return 0, n
	}
	count = 1
	for _, c := range n.Content {
		sub, d := measure(c, depth+1)
		if d != nil {
			return 0, d
		}
		count += sub
	}
	return count, nil
}

var yamlErrorPrefix = regexp.MustCompile(`^yaml: (line \d+: )?`)

// yamlMessage strips the "yaml: line N: " prefix, whose line number is
// often that of the enclosing block rather than of the mistake.
func yamlMessage(err error) string {
	return yamlErrorPrefix.ReplaceAllString(err.Error(), "")
}

func syntaxError(source string, data []byte, err error) *Error {
	msg := yamlMessage(err)
	line, col := locateSyntaxError(data, msg)
	return &Error{Source: source, Line: line, Column: col, Msg: "invalid YAML: " + msg, Hint: syntaxHint(data, msg, line, col)}
}

// syntaxHint explains the parser messages that hand-written files trigger
// most: an unquoted ": " inside a value, and tabs.
func syntaxHint(data []byte, msg string, line, col int) string {
	if isTabAt(data, line, col) {
		return "indent with spaces; YAML does not allow tabs there"
	}
	switch msg {
	case "mapping values are not allowed in this context":
		return `put a value that contains ": " in quotes`
	case "did not find expected key":
		return "check the indentation of this line"
	}
	return ""
}

func isTabAt(data []byte, line, col int) bool {
	ends := lineEnds(data)
	if line < 1 || line > len(ends) {
		return false
	}
	start := 0
	if line > 1 {
		start = ends[line-2]
	}
	runes := []rune(string(data[start:ends[line-1]]))
	return col >= 1 && col <= len(runes) && runes[col-1] == '\t'
}

// locateSyntaxError finds where data stops being valid YAML: the shortest
// prefix that fails with the same message, found by binary search over
// lines and then over the bytes of the failing line. The parser reports at
// best a line, and often the wrong one; this costs a few dozen parses, only
// for files that are broken anyway. It returns 0, 0 when the failure cannot
// be reproduced on a prefix.
func locateSyntaxError(data []byte, msg string) (line, col int) {
	fails := func(n int) bool {
		_, err := parseStream(data[:n])
		return err != nil && yamlMessage(err) == msg
	}
	ends := lineEnds(data)
	k := sort.Search(len(ends), func(i int) bool { return fails(ends[i]) })
	if k == len(ends) {
		return 0, 0
	}
	start := 0
	if k > 0 {
		start = ends[k-1]
	}
	text := data[start:ends[k]]
	b := sort.Search(len(text), func(j int) bool { return fails(start + j + 1) })
	b = min(b, max(len(text)-1, 0))
	return k + 1, utf8.RuneCount(text[:b]) + 1
}

// lineEnds returns the offset just past each line, newline included.
func lineEnds(data []byte) []int {
	var ends []int
	for i, c := range data {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		ends = append(ends, len(data))
	}
	return ends
}
