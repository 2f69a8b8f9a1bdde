package strictyaml

import (
	"sort"
	"strconv"
	"strings"
)

// Error is one problem found in a file, positioned so that an editor can jump
// to it. Line and Column are 1-based; 0 means unknown.
type Error struct {
	Source string // the file name as given to Decode
	Line   int
	Column int
	Path   string // the field path, e.g. target.availability_zones[1]; "" for the whole file
	Msg    string // what was expected and what was found
	Hint   string // how to fix it, when there is something useful to say
}

// Error formats the problem as "source:line:col: path: msg (hint: hint)",
// leaving out the parts that are unknown.
// DocumentPath is how messages name the whole document.
const DocumentPath = "(document)"

func (e *Error) Error() string {
	var b strings.Builder
	loc := e.location()
	if loc != "" {
		b.WriteString(loc)
		b.WriteString(": ")
	}
	// A positioned problem of the whole file still names a path, so every
	// message has the same file:line:col: path: shape for tools and people.
	path := e.Path
	if path == "" && loc != "" {
		path = DocumentPath
	}
	if path != "" {
		b.WriteString(path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (hint: ")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

func (e *Error) location() string {
	loc := e.Source
	if e.Line <= 0 {
		return loc
	}
	if loc != "" {
		loc += ":"
	}
	loc += strconv.Itoa(e.Line)
	if e.Column > 0 {
		loc += ":" + strconv.Itoa(e.Column)
	}
	return loc
}

// Errors is every problem found in one or more files. A nil or empty Errors
// is not an error; use Err to return it.
type Errors []*Error

// Error returns one line per problem.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find an individual *Error.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// Err returns es as an error, or nil when there is no problem. It exists so
// that an empty Errors never becomes a non-nil error interface.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// Sort orders problems by source, line and column, keeping the order in which
// they were found for problems at the same place.
func (es Errors) Sort() {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// dedupe drops repeats of the same message at the same place, which alias
// expansion produces when one bad anchored value is used several times.
func (es Errors) dedupe() Errors {
	type key struct {
		source    string
		line, col int
		msg       string
	}
	seen := make(map[key]bool, len(es))
	out := es[:0]
	for _, e := range es {
		k := key{e.Source, e.Line, e.Column, e.Msg}
		if seen[k] && e.Line > 0 {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out
}

// Near reports whether a problem sits at path, above it or below it. A
// check judged from a setting that failed to decode would only repeat that
// failure ("must be at least 1" about a count that is not a number), so
// validators drop such findings. A problem of the whole document is near
// every path.
func (es Errors) Near(path string) bool {
	for _, e := range es {
		if within(path, e.Path) || within(e.Path, path) {
			return true
		}
	}
	return false
}

// within reports whether path is parent or lies under it.
func within(path, parent string) bool {
	if parent == "" || path == parent {
		return true
	}
	return strings.HasPrefix(path, parent+".") || strings.HasPrefix(path, parent+"[")
}
