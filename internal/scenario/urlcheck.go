package scenario

import (
	"fmt"
	"slices"
	"strings"
	"text/template/parse"

	"gameday/internal/strictyaml"
)

// templateFuncs are the functions a URL or address template may call: the
// text/template builtins that compute a value from the documented fields.
// call (there are no functions in URLFields), html, js and println (no use
// in a URL) are left out.
var templateFuncs = []string{"and", "eq", "ge", "gt", "index", "le", "len", "lt", "ne", "not", "or", "print", "printf", "slice", "urlquery"}

// dotKind is what "." is at a point of a template: the instance at the top,
// its tags inside {{with .Tags}}, a plain value inside any other {{with}}.
type dotKind int

const (
	dotInstance dotKind = iota
	dotTags
	dotValue
)

// templateChecker walks a parsed URL or address template and allows only
// what the documentation promises: the fields of URLFields, tags read one
// at a time ({{.Tags.Name}}, {{index .Tags "Name"}}), {{if}} and {{with}},
// and the functions of templateFuncs. It rejects {{range}} (it can loop a
// billion times), {{template}} (it can recurse), variables, and printing
// the whole instance or all of its tags ({{.}}, {{.Tags}}). It collects the
// tag keys read with {{.Tags.Name}} or {{index .Tags "Name"}}.
type templateChecker struct {
	kind    templateKind
	tagKeys []string
	err     *strictyaml.Error
}

func (c *templateChecker) fail(msg, hint string) {
	if c.err == nil {
		c.err = &strictyaml.Error{Msg: msg, Hint: hint}
	}
}

func (c *templateChecker) failf(hint, format string, args ...any) {
	c.fail(fmt.Sprintf(format, args...), hint)
}

// node checks n, where "." is of kind dot.
func (c *templateChecker) node(n parse.Node, dot dotKind) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, child := range n.Nodes {
			c.node(child, dot)
		}
	case *parse.ActionNode:
		c.pipe(n.Pipe, dot, false)
	case *parse.IfNode:
		c.pipe(n.Pipe, dot, true)
		c.node(n.List, dot)
		c.node(n.ElseList, dot)
	case *parse.WithNode:
		c.pipe(n.Pipe, dot, true)
		c.node(n.List, c.withDot(n.Pipe, dot))
		c.node(n.ElseList, dot)
	case *parse.RangeNode:
		c.fail(c.kind.title+" template cannot use {{range}}", "")
	case *parse.TemplateNode:
		c.fail(c.kind.title+" template cannot use {{template}}", "")
	}
}

// withDot is what "." becomes inside {{with p}}: the tags for {{with
// .Tags}}, else the value p computes.
func (c *templateChecker) withDot(p *parse.PipeNode, dot dotKind) dotKind {
	if len(p.Cmds) == 1 && len(p.Cmds[0].Args) == 1 && c.isTags(p.Cmds[0].Args[0], dot) {
		return dotTags
	}
	return dotValue
}

// pipe checks a pipeline. In a condition ({{if}}, {{with}}) a lone .Tags is
// allowed: it tests whether the instance has tags.
func (c *templateChecker) pipe(p *parse.PipeNode, dot dotKind, condition bool) {
	if p == nil {
		return
	}
	if len(p.Decl) > 0 {
		c.fail(c.kind.title+" template cannot declare variables", "use the fields directly, e.g. {{.PrivateIP}}")
		return
	}
	lone := condition && len(p.Cmds) == 1 && len(p.Cmds[0].Args) == 1
	for _, cmd := range p.Cmds {
		args := cmd.Args
		if fn, ok := args[0].(*parse.IdentifierNode); ok && fn.Ident == "index" {
			c.index(cmd, dot)
			continue
		}
		for _, arg := range args {
			if lone && c.isTags(arg, dot) {
				continue
			}
			c.arg(arg, dot)
		}
	}
}

// index allows exactly {{index .Tags "Name"}}: a tag read with a key that
// may not be written as a field name.
func (c *templateChecker) index(cmd *parse.CommandNode, dot dotKind) {
	const hint = `read a tag with {{index .Tags "Name"}}`
	if len(cmd.Args) != 3 || !c.isTags(cmd.Args[1], dot) {
		c.fail(c.kind.title+" template uses index only to read a tag", hint)
		return
	}
	key, ok := cmd.Args[2].(*parse.StringNode)
	if !ok {
		c.fail(c.kind.title+" template reads tags by a quoted key", hint)
		return
	}
	c.tagKeys = append(c.tagKeys, key.Text)
}

// isTags reports whether n is the tags of the instance: .Tags, $.Tags, or
// "." inside {{with .Tags}}.
func (c *templateChecker) isTags(n parse.Node, dot dotKind) bool {
	switch n := n.(type) {
	case *parse.FieldNode:
		return dot == dotInstance && len(n.Ident) == 1 && n.Ident[0] == "Tags"
	case *parse.VariableNode:
		return len(n.Ident) == 2 && n.Ident[0] == "$" && n.Ident[1] == "Tags"
	case *parse.DotNode:
		return dot == dotTags
	}
	return false
}

func (c *templateChecker) arg(n parse.Node, dot dotKind) {
	switch n := n.(type) {
	case *parse.IdentifierNode:
		if !slices.Contains(templateFuncs, n.Ident) {
			c.failf("functions are "+strings.Join(templateFuncs, ", "), "function %s is not allowed in %s template", n.Ident, c.kind.title)
		}
	case *parse.DotNode:
		switch dot {
		case dotInstance:
			c.fail(c.kind.title+" template cannot use {{.}}, the whole instance", "name a field, e.g. {{.PrivateIP}}")
		case dotTags:
			c.fail(c.kind.title+" template cannot use all tags at once", `read one tag, e.g. {{.Name}} inside {{with .Tags}}`)
		}
	case *parse.FieldNode:
		switch dot {
		case dotInstance:
			c.field(n.Ident)
		case dotTags:
			// Not collected: validation's sample instance lacks the tag, and
			// says so, as it always has.
			c.tagFields(n.Ident)
		default:
			c.failf(`read the instance's fields as $.Field, e.g. {{with .PublicIP}}{{.}}{{else}}{{$.PrivateIP}}{{end}}`,
				"inside {{with}}, . is a plain value; it has no field .%s", n.Ident[0])
		}
	case *parse.VariableNode:
		if len(n.Ident) == 1 {
			c.fail(c.kind.title+" template cannot use {{$}}, the whole instance", "name a field, e.g. {{$.PrivateIP}}")
			return
		}
		c.field(n.Ident[1:])
	case *parse.ChainNode:
		c.fail(c.kind.title+" template cannot read a field of a computed value", "read fields directly, e.g. {{.Tags.Name}}")
	case *parse.PipeNode:
		c.pipe(n, dot, false)
	}
}

// field checks .Name or .Tags.Key read from the instance.
func (c *templateChecker) field(ident []string) {
	name := ident[0]
	switch {
	case !slices.Contains(urlFieldNames, name):
		c.fail(fmt.Sprintf("unknown field .%s in %s template", name, c.kind.title), fieldHint(name))
	case name == "Tags" && len(ident) == 1:
		c.fail(c.kind.title+" template cannot use all tags at once", `read one tag, e.g. {{.Tags.Name}} or {{index .Tags "Name"}}`)
	case name == "Tags" && c.tagFields(ident[1:]):
		c.tagKeys = append(c.tagKeys, ident[1])
	case len(ident) > 1 && name != "Tags":
		c.failf("", ".%s is a plain value; it has no field .%s", name, ident[1])
	}
}

// tagFields checks a tag read as a field (Key of .Tags.Key), which is a
// plain value: it has no fields of its own.
func (c *templateChecker) tagFields(ident []string) bool {
	if len(ident) > 1 {
		c.failf("", "tag %s is a plain value; it has no field .%s", ident[0], ident[1])
		return false
	}
	return true
}

func fieldHint(name string) string {
	if guess, ok := strictyaml.Suggest(name, urlFieldNames); ok {
		return fmt.Sprintf("did you mean .%s?", guess)
	}
	return fmt.Sprintf(`fields are .%s; read a tag with {{index .Tags "Name"}}`, strings.Join(urlFieldNames, ", ."))
}
