package strictyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
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
