package strictyaml

import "testing"

const positionsSrc = `name: web
target:
  region: us-east-1
  tags:
    "kubernetes.io/role": node
  availability_zones:
    - us-east-1a
    - us-east-1b
`

func TestPositions(t *testing.T) {
	_, pos, err := decodeString(t, positionsSrc)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path                string
		keyLine, keyCol     int
		valueLine, valueCol int
	}{
		{"", 1, 1, 1, 1},
		{"name", 1, 1, 1, 7},
		{"target", 2, 1, 3, 3},
		{"target.region", 3, 3, 3, 11},
		{`target.tags["kubernetes.io/role"]`, 5, 5, 5, 27},
		{"target.availability_zones", 6, 3, 7, 5},
		{"target.availability_zones[1]", 8, 7, 8, 7},
	}
	for _, tt := range tests {
		line, col, ok := pos.At(tt.path)
		if !ok || line != tt.keyLine || col != tt.keyCol {
			t.Errorf("At(%q) = %d, %d, %v; want %d, %d, true", tt.path, line, col, ok, tt.keyLine, tt.keyCol)
		}
		line, col, ok = pos.ValueAt(tt.path)
		if !ok || line != tt.valueLine || col != tt.valueCol {
			t.Errorf("ValueAt(%q) = %d, %d, %v; want %d, %d, true", tt.path, line, col, ok, tt.valueLine, tt.valueCol)
		}
	}
	if _, _, ok := pos.At("target.tags"); !ok {
		t.Error(`At("target.tags") not found`)
	}
	if pos.Has("items") {
		t.Error(`Has("items") = true for a field not in the file`)
	}
}

func TestPositionsNewErrorFallsBackToParent(t *testing.T) {
	_, pos, err := decodeString(t, positionsSrc)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"present path at key", pos.NewError("target.region", "bad", ""), "t.yaml:3:3: target.region: bad"},
		{"present path at value", pos.NewValueError("target.region", "bad", "hint"), "t.yaml:3:11: target.region: bad (hint: hint)"},
		{"missing field at parent key", pos.NewError("target.tags.app", "required", ""), "t.yaml:4:3: target.tags.app: required"},
		{"missing value at parent key", pos.NewValueError("target.tags.app", "required", ""), "t.yaml:4:3: target.tags.app: required"},
		{"quoted key with dots", pos.NewError(`target.tags["kubernetes.io/role"].x`, "bad", ""), "t.yaml:5:5: target.tags[\"kubernetes.io/role\"].x: bad"},
		{"missing list item at list", pos.NewError("target.availability_zones[7]", "bad", ""), "t.yaml:6:3: target.availability_zones[7]: bad"},
		{"missing top-level field at root", pos.NewError("items", "required", ""), "t.yaml:1:1: items: required"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestPositionsZeroValue(t *testing.T) {
	var pos Positions
	if _, _, ok := pos.At("x"); ok {
		t.Error("zero Positions found a path")
	}
	if got, want := pos.NewError("x.y", "bad", "").Error(), "x.y: bad"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestJoin(t *testing.T) {
	tests := []struct{ got, want string }{
		{JoinKey("", "name"), "name"},
		{JoinKey("target", "availability_zones"), "target.availability_zones"},
		{JoinKey("target.tags", "kubernetes.io/role"), `target.tags["kubernetes.io/role"]`},
		{JoinKey("target.tags", ""), `target.tags[""]`},
		{JoinKey("", "a b"), `["a b"]`},
		{JoinIndex("target.availability_zones", 1), "target.availability_zones[1]"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
