package fleet

// MatchWildcard reports whether s matches pattern with EC2 filter semantics:
// "*" matches any run of characters (including none), "?" exactly one, and a
// backslash makes the next character literal. Matching is case-sensitive.
func MatchWildcard(pattern, s string) bool {
	p, v := []rune(pattern), []rune(s)
	// Iterative matcher with single-star backtracking: linear in practice and
	// never recursive, so hostile patterns cannot blow the stack.
	pi, vi := 0, 0
	starP, starV := -1, 0
	for vi < len(v) {
		if pi < len(p) {
			switch c := p[pi]; {
			case c == '*':
				starP, starV = pi, vi
				pi++
				continue
			case c == '?':
				pi++
				vi++
				continue
			case c == '\\' && pi+1 < len(p):
				if p[pi+1] == v[vi] {
					pi += 2
					vi++
					continue
				}
			case c == v[vi]:
				pi++
				vi++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starV++
		pi, vi = starP+1, starV
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
