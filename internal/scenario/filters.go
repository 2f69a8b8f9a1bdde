package scenario

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"gameday/internal/strictyaml"
)

//go:embed ec2_filters.txt
var ec2FiltersText string

// ec2FilterNames lists the filter names DescribeInstances documents, sorted.
var ec2FilterNames = sync.OnceValue(func() []string {
	var names []string
	for line := range strings.Lines(ec2FiltersText) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			names = append(names, line)
		}
	}
	slices.Sort(names)
	return names
})

// tagFilterPrefix starts the filters on one tag: tag:Name, tag:app.
const tagFilterPrefix = "tag:"

// dedicatedFields are the filters a target has its own field for. gameday
// re-checks those fields on every instance before acting on it; a raw
// filter it can only pass on to EC2.
var dedicatedFields = map[string]string{
	"availability-zone":   "availability_zones",
	"instance-id":         "instance_ids",
	"instance-state-name": "states",
	"instance-state-code": "states",
}

// isEC2FilterName reports whether name is a DescribeInstances filter:
// a documented name, or tag:<key>.
func isEC2FilterName(name string) bool {
	if key, ok := strings.CutPrefix(name, tagFilterPrefix); ok {
		return key != ""
	}
	_, found := slices.BinarySearch(ec2FilterNames(), name)
	return found
}

func (v *validator) filters(base string, filters map[string][]string) {
	for _, name := range sortedKeys(filters) {
		path := strictyaml.JoinKey(base, name)
		v.filterName(path, base, name)
		values := filters[name]
		if len(values) == 0 {
			v.atValue(path, "list at least one value", `e.g. ["vpc-0123456789abcdef0"]`)
		}
		for i, val := range values {
			if val == "" {
				v.atValue(strictyaml.JoinIndex(path, i), "filter value cannot be empty", "")
			}
		}
	}
}

// filterName checks one filter name. The target that holds the filters
// is where the dedicated fields live.
func (v *validator) filterName(path, filtersPath, name string) {
	parent := strings.TrimSuffix(filtersPath, ".filters")
	const why = "gameday re-checks dedicated fields on every instance before acting; raw filters it can only pass on to EC2"
	if key, ok := strings.CutPrefix(name, tagFilterPrefix); ok {
		if key == "" {
			v.atKey(path, `filter "tag:" needs a tag key, e.g. "tag:Name"`, "")
			return
		}
		v.atKey(path, fmt.Sprintf("filter %q duplicates %s.tags", name, parent),
			fmt.Sprintf("write %s.tags: {%s: ...} instead; %s", parent, key, why))
		return
	}
	if field, ok := dedicatedFields[name]; ok {
		v.atKey(path, fmt.Sprintf("filter %q duplicates %s.%s", name, parent, field),
			fmt.Sprintf("use %s.%s instead; %s", parent, field, why))
		return
	}
	if isEC2FilterName(name) {
		return
	}
	hint := `see the Filters of DescribeInstances in the EC2 API reference; filter on a tag with "tag:<key>"`
	if guess, ok := strictyaml.Suggest(name, ec2FilterNames()); ok {
		hint = fmt.Sprintf("did you mean %q?", guess)
	}
	v.atKey(path, fmt.Sprintf("unknown DescribeInstances filter %q", name), hint)
}
