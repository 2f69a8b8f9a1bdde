package strictyaml

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

type testTarget struct {
	Region            string            `yaml:"region"`
	Tags              map[string]string `yaml:"tags"`
	AvailabilityZones []string          `yaml:"availability_zones"`
}

type testItem struct {
	Name  string `yaml:"name"`
	Count int    `yaml:"count"`
}

// level is a custom type decoded through NodeDecoder.
type level int

func (l *level) DecodeYAMLNode(n *yaml.Node) error {
	switch n.Value {
	case "low":
		*l = 1
	case "high":
		*l = 2
	default:
		return &Error{Msg: "expected low or high, got " + Describe(n), Hint: "levels are low and high"}
	}
	return nil
}

type testDoc struct {
	Name    string             `yaml:"name"`
	Enabled bool               `yaml:"enabled"`
	Small   int8               `yaml:"small"`
	Size    uint16             `yaml:"size"`
	Seed    *uint64            `yaml:"seed"`
	Ratio   float64            `yaml:"ratio"`
	Target  testTarget         `yaml:"target"`
	Items   []testItem         `yaml:"items"`
	Level   level              `yaml:"level"`
	MaybeLv *level             `yaml:"maybe_level"`
	Limits  map[string]int     `yaml:"limits"`
	Nested  map[string][]int   `yaml:"nested"`
	Skipped string             `yaml:"-"`
	Untag   string             // named "untag", as go.yaml.in/yaml/v3 would
	Any     map[string]float64 `yaml:"any"`
	hidden  string
}

func decodeString(t *testing.T, src string) (testDoc, Positions, error) {
	t.Helper()
	var doc testDoc
	pos, err := Decode("t.yaml", []byte(src), &doc)
	if err != nil {
		if _, ok := err.(Errors); !ok {
			t.Fatalf("Decode returned %T, want Errors: %v", err, err)
		}
	}
	return doc, pos, err
}

func TestDecodeValid(t *testing.T) {
	src := `
name: web
enabled: true
small: -128
size: 65535
seed: 18446744073709551615
ratio: 12.5
target:
  region: us-east-1
  tags: {app: web, "kubernetes.io/role": node}
  availability_zones: [us-east-1a, us-east-1b]
items:
  - {name: a, count: 1}
  - name: b
level: high
maybe_level: low
limits: {cpu: 2}
nested: {x: [1, 2]}
untag: yes
any: {a: 1, b: 2.5}
`
	doc, _, err := decodeString(t, src)
	if err != nil {
		t.Fatalf("unexpected error:\n%v", err)
	}
	low := level(1)
	want := testDoc{
		Name: "web", Enabled: true, Small: -128, Size: 65535, Seed: ptr(uint64(18446744073709551615)), Ratio: 12.5,
		Target: testTarget{
			Region:            "us-east-1",
			Tags:              map[string]string{"app": "web", "kubernetes.io/role": "node"},
			AvailabilityZones: []string{"us-east-1a", "us-east-1b"},
		},
		Items:   []testItem{{Name: "a", Count: 1}, {Name: "b"}},
		Level:   2,
		MaybeLv: &low,
		Limits:  map[string]int{"cpu": 2},
		Nested:  map[string][]int{"x": {1, 2}},
		Untag:   "yes",
		Any:     map[string]float64{"a": 1, "b": 2.5},
	}
	if !reflect.DeepEqual(doc, want) {
		t.Errorf("got  %+v\nwant %+v", doc, want)
	}
}

func ptr[T any](v T) *T { return &v }

func TestDecodeNullPointerStaysNil(t *testing.T) {
	doc, _, err := decodeString(t, "seed: null\nmaybe_level: ~\n")
	if err != nil {
		t.Fatal(err)
	}
	if doc.Seed != nil || doc.MaybeLv != nil {
		t.Errorf("got seed %v, maybe_level %v; want both nil", doc.Seed, doc.MaybeLv)
	}
}

func TestDecodeJSON(t *testing.T) {
	src := "{\n\t\"name\": \"web\",\n\t\"target\": {\"region\": \"us-east-1\", \"zones\": [\"a\"]}\n}\n"
	_, _, err := decodeString(t, src)
	want := `t.yaml:3:36: target.zones: unknown field (hint: did you mean "availability_zones"?)`
	if got := fmt.Sprint(err); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestDecodeMergeKeys(t *testing.T) {
	src := `
base: &base {name: shared, count: 1}
items:
  - <<: *base
    count: 2
  - <<: [*base, {name: other}]
`
	var doc struct {
		Base  testItem   `yaml:"base"`
		Items []testItem `yaml:"items"`
	}
	if _, err := Decode("t.yaml", []byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	want := []testItem{{Name: "shared", Count: 2}, {Name: "shared", Count: 1}}
	if !reflect.DeepEqual(doc.Items, want) {
		t.Errorf("got %+v, want %+v", doc.Items, want)
	}
}

func TestDecodeNeedsPointer(t *testing.T) {
	var doc testDoc
	for _, out := range []any{doc, (*testDoc)(nil), nil} {
		_, err := Decode("t.yaml", []byte("name: x"), out)
		if err == nil || !strings.Contains(err.Error(), "non-nil pointer") {
			t.Errorf("Decode(%T): got %v, want a non-nil pointer error", out, err)
		}
	}
}

// TestDecodeNestedKinds covers the kinds scenario files combine: map values
// and list items with custom decoders, maps of lists, pointers to structs
// and to floats.
func TestDecodeNestedKinds(t *testing.T) {
	type doc struct {
		Levels  map[string]level    `yaml:"levels"`
		LevelsP map[string]*level   `yaml:"levels_p"`
		Lists   map[string][]string `yaml:"lists"`
		Target  *testTarget         `yaml:"target"`
		Items   []*testItem         `yaml:"items"`
		Score   *float64            `yaml:"score"`
		Ordered []level             `yaml:"ordered"`
	}
	src := `
levels: {a: low, b: high}
levels_p: {a: high}
lists: {"tag:Name": [x, y], z: []}
target: {region: r}
items: [{name: a}, ~]
score: 80
ordered: [high, low]
`
	var got doc
	if _, err := Decode("t.yaml", []byte(src), &got); err != nil {
		t.Fatal(err)
	}
	high := level(2)
	want := doc{
		Levels:  map[string]level{"a": 1, "b": 2},
		LevelsP: map[string]*level{"a": &high},
		Lists:   map[string][]string{"tag:Name": {"x", "y"}, "z": {}},
		Target:  &testTarget{Region: "r"},
		Items:   []*testItem{{Name: "a"}, nil},
		Score:   ptr(80.0),
		Ordered: []level{2, 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	_, err := Decode("t.yaml", []byte("levels: {a: mid}\nlists: {x: [[1]]}\nordered: [low, mid]\n"), &got)
	wantErr := `t.yaml:1:13: levels.a: expected low or high, got "mid" (hint: levels are low and high)
t.yaml:2:13: lists.x[0]: expected a string, got a list
t.yaml:3:16: ordered[1]: expected low or high, got "mid" (hint: levels are low and high)`
	if fmt.Sprint(err) != wantErr {
		t.Errorf("got:\n%v\nwant:\n%s", err, wantErr)
	}
}
