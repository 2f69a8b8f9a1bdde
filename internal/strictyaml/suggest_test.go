package strictyaml

import "testing"

func TestSuggest(t *testing.T) {
	fields := []string{"apiVersion", "name", "target", "region", "availability_zones", "gate_timeout", "count"}
	tests := []struct {
		word, want string
		ok         bool
	}{
		{"apiversion", "apiVersion", true},
		{"nmae", "name", true},
		{"regin", "region", true},
		{"availabilty_zones", "availability_zones", true},
		{"availability-zones", "availability_zones", true},
		{"zones", "availability_zones", true},
		{"timeout", "gate_timeout", true},
		{"cnt", "", false},
		{"az", "", false},
		{"xyz", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := Suggest(tt.word, fields)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Suggest(%q) = %q, %v; want %q, %v", tt.word, got, ok, tt.want, tt.ok)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"kitten", "sitting", 3},
		{"name", "nmae", 1},
		{"ca", "abc", 3},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
