package fleet

import "testing"

func TestMatchWildcard(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"web", "web", true},
		{"web", "Web", false},
		{"web", "web1", false},
		{"web*", "web", true},
		{"web*", "web-01", true},
		{"*-01", "web-01", true},
		{"w?b", "wab", true},
		{"w?b", "wb", false},
		{"*", "", true},
		{"", "", true},
		{"", "x", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{`web\*`, "web*", true},
		{`web\*`, "web1", false},
		{`a\?`, "a?", true},
		{`a\?`, "ab", false},
		{"**x", "abx", true},
		{"é?", "éa", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.s, func(t *testing.T) {
			if got := MatchWildcard(tt.pattern, tt.s); got != tt.want {
				t.Errorf("MatchWildcard(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
			}
		})
	}
}

func TestCompiledWildcardAsTheSimulatorServesIt(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"web", "web", true},
		{"web", "Web", false},
		{"web", "web-01", false},
		{"", "", true},
		{"", "x", false},
		{"*", "", true},
		{"*", "anything", true},
		{"web-*", "web-01", true},
		{"web-*", "web-legacy-01", true},
		{"web-*", "worker-01", false},
		{"*-01", "web-legacy-01", true},
		{"w*b*y*", "web-legacy-01", true},
		{"w*b*z", "web-legacy-01", false},
		{"web-0?", "web-07", true},
		{"web-0?", "web-007", false},
		{"web-0?", "web-0", false},
		{"???", "abc", true},
		{"?", "é", true}, // a rune, not a byte
		{"a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{`\*`, "*", true},
		{`\*`, "x", false},
		{`a\?`, "a?", true},
		{`a\?`, "ab", false},
		{`\\`, `\`, true},
		{`\x`, `\x`, true}, // only *, ? and \ are escapable
		{`trailing\`, `trailing\`, true},
	}
	for _, tt := range tests {
		if got := CompileWildcard(tt.pattern).Match(tt.s); got != tt.want {
			t.Errorf("match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func FuzzMatchWildcard(f *testing.F) {
	f.Add("a*b?c", "axxbyc")
	f.Add(`\*`, "*")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		// A pattern without special characters matches only itself.
		got := MatchWildcard(pattern, s)
		plain := true
		for _, r := range pattern {
			if r == '*' || r == '?' || r == '\\' {
				plain = false
			}
		}
		if plain && got != (pattern == s) {
			t.Fatalf("MatchWildcard(%q, %q) = %v for a plain pattern", pattern, s, got)
		}
		if !MatchWildcard("*", s) {
			t.Fatalf("* must match %q", s)
		}
	})
}

// Different invalid UTF-8 bytes are different characters (found by
// FuzzMatchWildcard: both used to decode to U+FFFD and match).
func TestWildcardInvalidUTF8BytesStayDistinct(t *testing.T) {
	for _, tt := range []struct {
		pattern, s string
		want       bool
	}{
		{"\xff", "\xb5", false},
		{"\xff", "\xff", true},
		{"?", "\xff", true},
		{"a*\xff", "abc\xff", true},
		{"\xff", "\uFFFD", false},
	} {
		if got := MatchWildcard(tt.pattern, tt.s); got != tt.want {
			t.Errorf("MatchWildcard(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
