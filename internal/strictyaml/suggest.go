package strictyaml

import "strings"

// Suggest returns the candidate the user most likely meant by word, for
// "did you mean" hints: a case-insensitive match first, then the closest by
// edit distance (typos, swapped letters, "-" for "_"), then a candidate that
// contains word or is contained in it ("zones" for "availability_zones").
// It reports false when nothing is close enough to be a helpful guess.
func Suggest(word string, candidates []string) (string, bool) {
	w := strings.ToLower(word)
	best, bestDist := "", maxSuggestDistance(w)+1
	for _, c := range candidates {
		if abs(len(c)-len(w)) >= bestDist {
			continue // cannot be closer; also keeps huge keys cheap
		}
		if d := editDistance(w, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best != "" {
		return best, true
	}
	return containing(w, candidates)
}

// maxSuggestDistance allows about one edit per three letters: enough for
// typos, too few to turn one short word into another.
func maxSuggestDistance(word string) int {
	return min(3, max(1, len(word)/3))
}

func containing(w string, candidates []string) (string, bool) {
	if len(w) < 4 {
		return "", false
	}
	for _, c := range candidates {
		lc := strings.ToLower(c)
		if len(lc) >= 4 && (strings.Contains(lc, w) || strings.Contains(w, lc)) {
			return c, true
		}
	}
	return "", false
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of neighbouring bytes each cost one.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
