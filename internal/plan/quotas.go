package plan

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gameday/internal/fleet"
	"gameday/internal/scenario"
)

// quotasFor decides how many instances to select in each AZ.
//
// all, count and percent give a total (see SelectionSize) that is spread
// over the AZs in proportion to their eligible instances, largest remainder
// first, so no AZ carries more than its share. per_az applies a percentage
// to each AZ's own instances. max_instances then caps the total,
// proportionally again. base (eligible plus what earlier phases took) is
// what quantities are shares of; eligible is what can still be taken.
func quotasFor(b scenario.BlastRadius, base, eligible []fleet.Instance) (map[string]int, string) {
	available := countAZ(eligible)
	var quotas map[string]int
	var rule string
	if b.PerAZ != nil {
		quotas, rule = perAZQuotas(b.PerAZ, countAZ(base), available)
	} else {
		n, r := SelectionSize(b, len(base))
		n = min(n, len(eligible))
		quotas, rule = spread(n, available), r
		if n < len(base) && len(eligible) < len(base) {
			rule += fmt.Sprintf(" (%d of %d still eligible after earlier phases)", len(eligible), len(base))
		}
	}
	if b.MaxInstances != nil && sum(quotas) > *b.MaxInstances {
		quotas = spread(*b.MaxInstances, quotas)
		rule += fmt.Sprintf(", capped by max_instances %d", *b.MaxInstances)
	}
	return quotas, rule
}

// SelectionSize applies all, count or percent to the number of eligible
// instances.
//
// Rounding rule: a percentage rounds down, so a run never exceeds the share
// it was given, except that a non-zero percentage of a non-empty fleet
// always selects at least one instance. A count larger than the fleet
// selects the whole fleet. max_instances caps the result last.
func SelectionSize(b scenario.BlastRadius, eligible int) (int, string) {
	var n int
	var rule string
	switch {
	case b.Count != nil:
		n = min(*b.Count, eligible)
		rule = fmt.Sprintf("count %d of %d eligible", *b.Count, eligible)
	case b.Percent != nil:
		n = percentOf(b.Percent.Value, eligible)
		rule = fmt.Sprintf("%s of %d eligible, rounded down", b.Percent, eligible)
		if n == 1 && b.Percent.Value*float64(eligible)/100 < 1 {
			rule += ", at least 1"
		}
	default:
		n = eligible
		rule = fmt.Sprintf("all %d eligible", eligible)
	}
	if b.MaxInstances != nil && n > *b.MaxInstances {
		n = *b.MaxInstances
		rule += fmt.Sprintf(", capped by max_instances %d", *b.MaxInstances)
	}
	return n, fmt.Sprintf("%s = %d", rule, n)
}

// percentOf rounds p% of n down, but never to zero for p > 0 and n > 0. The
// epsilon keeps 29.999999 (30% of 10 in floating point) at 3.
func percentOf(p float64, n int) int {
	k := int(math.Floor(p*float64(n)/100 + 1e-9))
	if k == 0 && p > 0 && n > 0 {
		return 1
	}
	return k
}

func perAZQuotas(perAZ map[string]scenario.Percent, base, available map[string]int) (map[string]int, string) {
	quotas := map[string]int{}
	var parts []string
	for _, az := range sortedKeys(base) {
		p, ok := perAZ[az]
		if !ok {
			p, ok = perAZ["*"]
		}
		if !ok {
			parts = append(parts, az+" 0% (not listed)")
			continue
		}
		n := min(percentOf(p.Value, base[az]), available[az])
		quotas[az] = n
		parts = append(parts, fmt.Sprintf("%s %s of %d = %d", az, p, base[az], n))
	}
	return quotas, "per AZ, rounded down: " + strings.Join(parts, ", ")
}

// spread divides n over the AZs in proportion to weight, by largest
// remainder; ties go to the larger AZ, then the first by name. No AZ gets
// more than its weight.
func spread(n int, weight map[string]int) map[string]int {
	total := sum(weight)
	out := map[string]int{}
	if total == 0 || n <= 0 {
		return out
	}
	n = min(n, total)
	type share struct {
		az   string
		rest float64
	}
	var shares []share
	given := 0
	for _, az := range sortedKeys(weight) {
		exact := float64(n) * float64(weight[az]) / float64(total)
		out[az] = int(math.Floor(exact))
		given += out[az]
		shares = append(shares, share{az, exact - math.Floor(exact)})
	}
	sort.SliceStable(shares, func(a, b int) bool {
		if shares[a].rest != shares[b].rest {
			return shares[a].rest > shares[b].rest
		}
		return weight[shares[a].az] > weight[shares[b].az]
	})
	for i := 0; given < n; i = (i + 1) % len(shares) {
		if out[shares[i].az] < weight[shares[i].az] {
			out[shares[i].az]++
			given++
		}
	}
	return out
}

func countAZ(instances []fleet.Instance) map[string]int {
	out := map[string]int{}
	for _, inst := range instances {
		out[inst.AZ]++
	}
	return out
}
