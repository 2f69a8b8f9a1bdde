package strictyaml

import (
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// entry is one key and value of a mapping.
type entry struct {
	key       string
	keyNode   *yaml.Node
	valueNode *yaml.Node
}

// entries lists the keys of mapping n, reporting duplicate and non-string
// keys. Merge keys (<<: *defaults) are expanded as YAML defines them: keys
// written in n win over merged ones, and earlier merged mappings win over
// later ones.
func (d *decoder) entries(n *yaml.Node, path string, depth int) []entry {
	var list []entry
	var merges []*yaml.Node
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !d.spend(k) {
			return nil
		}
		if isMergeKey(k) {
			merges = append(merges, v)
			continue
		}
		key, ok := d.key(k, path)
		if !ok {
			continue
		}
		if first, dup := seen[key]; dup {
			d.fail(k, JoinKey(path, key), fmt.Sprintf("duplicate key; first defined at line %d, column %d", first.Line, first.Column), "")
			continue
		}
		seen[key] = k
		list = append(list, entry{key: key, keyNode: k, valueNode: v})
	}
	for _, m := range merges {
		list = d.merge(m, path, depth, seen, list)
	}
	return list
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.ShortTag() == tagMerge
}

// key returns the text of a mapping key, which must be a non-null scalar.
func (d *decoder) key(k *yaml.Node, path string) (string, bool) {
	r := resolveAlias(k)
	if r.Kind != yaml.ScalarNode || IsNull(r) {
		d.fail(k, path, "expected a string key, got "+Describe(k), "")
		return "", false
	}
	return r.Value, true
}

// merge adds to list the entries of the mapping (or list of mappings) m that
// are not already in seen.
func (d *decoder) merge(m *yaml.Node, path string, depth int, seen map[string]*yaml.Node, list []entry) []entry {
	if depth > MaxDepth {
		d.fail(m, path, fmt.Sprintf("nested deeper than %d levels", MaxDepth), "")
		return list
	}
	target := resolveAlias(m)
	if d.expanding[target] {
		d.fail(m, path, "merge key << refers to a mapping that contains it", "")
		return list
	}
	d.expanding[target] = true
	defer delete(d.expanding, target)
	switch target.Kind {
	case yaml.MappingNode:
		return d.mergeMapping(target, path, depth, seen, list)
	case yaml.SequenceNode:
		for _, item := range target.Content {
			if resolveAlias(item).Kind != yaml.MappingNode {
				d.fail(item, path, "expected a mapping to merge, got "+Describe(item), "")
				continue
			}
			list = d.merge(item, path, depth+1, seen, list)
		}
		return list
	}
	d.fail(m, path, "expected a mapping or a list of mappings to merge, got "+Describe(m), "")
	return list
}

func (d *decoder) mergeMapping(target *yaml.Node, path string, depth int, seen map[string]*yaml.Node, list []entry) []entry {
	for _, e := range d.entries(target, path, depth+1) {
		if _, dup := seen[e.key]; dup {
			continue
		}
		seen[e.key] = e.keyNode
		list = append(list, e)
	}
	return list
}
