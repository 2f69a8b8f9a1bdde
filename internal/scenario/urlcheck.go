package scenario

import (
	"fmt"
	"slices"
	"strings"
	"text/template/parse"

	"gameday/internal/strictyaml"
)

// templateChecker walks a parsed URL or address template. It rejects
// fields that URLFields does not have, with a did-you-mean hint, and the
// control structures a probe target has no use for: {{range}} can loop a
// billion times and {{template}} can recurse. It collects the tag keys read
// with {{.Tags.Name}} or {{index .Tags "Name"}}.
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

// node checks n; dot tells whether "." is still the instance, which it is
// not inside {{with}}.
func (c *templateChecker) node(n parse.Node, dot bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, child := range n.Nodes {
			c.node(child, dot)
		}
	case *parse.ActionNode:
		c.pipe(n.Pipe, dot)
	case *parse.IfNode:
		c.pipe(n.Pipe, dot)
		c.node(n.List, dot)
		c.node(n.ElseList, dot)
	case *parse.WithNode:
		c.pipe(n.Pipe, dot)
		c.node(n.List, false)
		c.node(n.ElseList, dot)
	case *parse.RangeNode:
		c.fail(c.kind.title+" template cannot use {{range}}", "")
	case *parse.TemplateNode:
		c.fail(c.kind.title+" template cannot use {{template}}", "")
	}
}

func (c *templateChecker) pipe(p *parse.PipeNode, dot bool) {
	if p == nil {
		return
	}
	for _, cmd := range p.Cmds {
		c.indexedTag(cmd, dot)
		for _, arg := range cmd.Args {
			c.arg(arg, dot)
		}
	}
}

func (c *templateChecker) arg(n parse.Node, dot bool) {
	switch n := n.(type) {
	case *parse.FieldNode:
		if dot {
			c.field(n.Ident)
		}
	case *parse.VariableNode:
		if n.Ident[0] == "$" && len(n.Ident) > 1 {
			c.field(n.Ident[1:])
		}
	case *parse.ChainNode:
		c.arg(n.Node, dot)
	case *parse.PipeNode:
		c.pipe(n, dot)
	}
}

func (c *templateChecker) field(ident []string) {
	name := ident[0]
	if !slices.Contains(urlFieldNames, name) {
		c.fail(fmt.Sprintf("unknown field .%s in %s template", name, c.kind.title), fieldHint(name))
		return
	}
	if name == "Tags" && len(ident) > 1 {
		c.tagKeys = append(c.tagKeys, ident[1])
	}
}

func fieldHint(name string) string {
	if guess, ok := strictyaml.Suggest(name, urlFieldNames); ok {
		return fmt.Sprintf("did you mean .%s?", guess)
	}
	return fmt.Sprintf(`fields are .%s; read a tag with {{index .Tags "Name"}}`, strings.Join(urlFieldNames, ", ."))
}

// indexedTag collects the key of {{index .Tags "Name"}}.
func (c *templateChecker) indexedTag(cmd *parse.CommandNode, dot bool) {
	if len(cmd.Args) != 3 {
		return
	}
	fn, ok := cmd.Args[0].(*parse.IdentifierNode)
	key, isString := cmd.Args[2].(*parse.StringNode)
	if !ok || fn.Ident != "index" || !isString || !readsTags(cmd.Args[1], dot) {
		return
	}
	c.tagKeys = append(c.tagKeys, key.Text)
}

func readsTags(n parse.Node, dot bool) bool {
	switch n := n.(type) {
	case *parse.FieldNode:
		return dot && len(n.Ident) == 1 && n.Ident[0] == "Tags"
	case *parse.VariableNode:
		return len(n.Ident) == 2 && n.Ident[0] == "$" && n.Ident[1] == "Tags"
	}
	return false
}
