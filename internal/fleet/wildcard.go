package fleet

import (
	"strings"
	"unicode/utf8"
)

// Wildcard is a compiled EC2 filter value: "*" matches any run of
// characters (including none), "?" exactly one, and a backslash makes the
// next "*", "?" or "\\" literal (before any other character it is itself
// literal). Matching is case-sensitive, on runes. Planning and the
// simulator both use it, so they cannot disagree about what a filter means.
type Wildcard []wildcardToken

type wildcardToken struct {
	kind tokenKind
	r    rune
}

type tokenKind int

const (
	literal tokenKind = iota
	anyOne
	anyRun
)

// CompileWildcard compiles an EC2 filter value.
func CompileWildcard(s string) Wildcard {
	var p Wildcard
	runes := symbols(s)
	for i := 0; i < len(runes); i++ {
		switch r := runes[i]; {
		case r == '\\' && i+1 < len(runes) && strings.ContainsRune(`*?\`, runes[i+1]):
			i++
			p = append(p, wildcardToken{literal, runes[i]})
		case r == '*':
			p = append(p, wildcardToken{kind: anyRun})
		case r == '?':
			p = append(p, wildcardToken{kind: anyOne})
		default:
			p = append(p, wildcardToken{literal, r})
		}
	}
	return p
}

// Match reports whether p matches all of s. On a mismatch it backtracks
// only to the last "*", which keeps it linear in practice and never
// recursive, so hostile patterns cannot blow the stack.
func (p Wildcard) Match(s string) bool {
	rs := symbols(s)
	pi, si := 0, 0
	star, starAt := -1, 0
	for si < len(rs) {
		switch {
		case pi < len(p) && p[pi].kind == anyRun:
			star, starAt = pi, si
			pi++
		case pi < len(p) && (p[pi].kind == anyOne || p[pi].kind == literal && p[pi].r == rs[si]):
			pi++
			si++
		case star >= 0:
			starAt++
			pi, si = star+1, starAt
		default:
			return false
		}
	}
	for pi < len(p) && p[pi].kind == anyRun {
		pi++
	}
	return pi == len(p)
}

// symbols splits s into runes, except that each byte of an invalid UTF-8
// sequence becomes a value of its own above the Unicode range: decoding
// them all to U+FFFD would make different bytes match each other.
func symbols(s string) []rune {
	out := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			r = utf8.MaxRune + 1 + rune(s[i])
		}
		out = append(out, r)
		i += size
	}
	return out
}

// MatchWildcard reports whether s matches the EC2 filter value pattern.
func MatchWildcard(pattern, s string) bool { return CompileWildcard(pattern).Match(s) }
