package plan

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"gameday/internal/fleet"
)

// TestExclusionsSortLikeAStableSort: sorting the floor's exclusions alone
// and merging them with the rules' (already in ID order) gives exactly
// what one stable sort of all of them gave, duplicate IDs included.
func TestExclusionsSortLikeAStableSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n, m := rng.IntN(50), rng.IntN(50)
		ex := func(k int, reason string) []Exclusion {
			out := make([]Exclusion, k)
			for i := range out {
				out[i] = Exclusion{Instance: fleet.Instance{ID: fmt.Sprintf("i-%02d", rng.IntN(40))}, Reason: fmt.Sprintf("%s %d", reason, i)}
			}
			return out
		}
		ruled, floored := ex(n, "rule"), ex(m, "floor")
		slices.SortStableFunc(ruled, byInstanceID)
		want := slices.Concat(ruled, floored)
		slices.SortStableFunc(want, byInstanceID)
		got := mergeByID(sortedByID(slices.Clone(ruled)), sortedByID(slices.Clone(floored)))
		same := func(a, b Exclusion) bool { return a.Instance.ID == b.Instance.ID && a.Reason == b.Reason }
		if !slices.EqualFunc(got, want, same) {
			t.Fatalf("trial %d: got %v\nwant %v", trial, got, want)
		}
	}
}
