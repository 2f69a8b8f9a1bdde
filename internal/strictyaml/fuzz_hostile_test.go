package strictyaml

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
)

// Regression tests for what fuzzing and the hostile samples (top-level
// testdata/hostile) found in the decoder.

func encodeUTF16(s string, bigEndian bool) []byte {
	var out []byte
	for _, u := range utf16.Encode([]rune("\ufeff" + s)) {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

// TestByteOrderMarks: one leading byte order mark is allowed; any other is
// refused where it is. go.yaml.in/yaml/v3 made a second leading one drop
// the first character of later keys ("name" read as "ame"), and one inside
// the text an invisible part of a key or value.
func TestByteOrderMarks(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"leading", "\ufeffname: a\n", ""},
		{"two leading", "\ufeff\ufeffname: a\nsmall: 1\n",
			"t.yaml:1:1: (document): invisible byte order mark (U+FEFF) inside the file (hint: delete it; in a quoted string write \"\\uFEFF\" if it is meant)"},
		{"before a key", "name: a\n\ufeffsmall: 1\n", "t.yaml:2:1: (document): invisible byte order mark (U+FEFF) inside the file"},
		{"in a value after CR line breaks", "name: a\rsmall: 1\r\nlevel: lo\ufeffw\n", "t.yaml:3:10: (document): invisible byte order mark (U+FEFF) inside the file"},
		{"escaped in a quoted string", "name: \"a\\uFEFF\"\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc testDoc
			_, err := Decode("t.yaml", []byte(tt.src), &doc)
			if got := fmt.Sprint(err); (tt.want == "" && err != nil) || !strings.Contains(got, tt.want) {
				t.Errorf("got  %v\nwant %q", err, tt.want)
			}
		})
	}
}

// TestUTF16 decodes UTF-16 files as the same document as UTF-8, with
// positions in characters, and refuses broken UTF-16.
func TestUTF16(t *testing.T) {
	const src = "name: café ☕ 𝄞\r\nsmall: x\r\n"
	var want testDoc
	_, wantErr := Decode("t.yaml", []byte(src), &want)
	for _, big := range []bool{false, true} {
		var doc testDoc
		_, err := Decode("t.yaml", encodeUTF16(src, big), &doc)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(doc, want) {
			t.Errorf("big endian %v: got %+v, %v; want %+v, %v", big, doc, err, want, wantErr)
		}
	}
	if want := `t.yaml:2:8: small: expected an integer, got "x"`; fmt.Sprint(wantErr) != want {
		t.Errorf("got %v, want %s", wantErr, want)
	}
	for name, data := range map[string][]byte{
		"odd length":         append(encodeUTF16("name: a\n", false), 'x'),
		"unpaired surrogate": append(encodeUTF16("name: a", false), 0x00, 0xd8, '\n', 0),
		"truncated pair":     append(encodeUTF16("name: a", false), 0x3d, 0xd8),
	} {
		var doc testDoc
		_, err := Decode("t.yaml", data, &doc)
		if got := fmt.Sprint(err); got != "t.yaml: (document): invalid UTF-16 (hint: save the file as UTF-8)" {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

// TestReadFileRefusesBySize checks that ReadFile refuses a file over
// MaxInputSize from its size, without reading it (the file is sparse: 64
// GiB of zeros would take minutes to read), and reads one at the limit.
func TestReadFileRefusesBySize(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int64{MaxInputSize, MaxInputSize + 1, 64 << 30} {
		path := filepath.Join(dir, fmt.Sprintf("f%d.yaml", size))
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(size); err != nil {
			t.Skipf("no sparse files here: %v", err)
		}
		f.Close()
		data, err := ReadFile(path)
		if size <= MaxInputSize {
			if err != nil || int64(len(data)) != size {
				t.Errorf("size %d: read %d bytes, %v", size, len(data), err)
			}
			continue
		}
		var errs Errors
		want := fmt.Sprintf("%s: (document): file is %s, larger than the 1 MiB limit", path, Size(size))
		if !errors.As(err, &errs) || err.Error() != want || data != nil {
			t.Errorf("size %d: got %v\nwant %s", size, err, want)
		}
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	for n, want := range map[int64]string{10: "10 bytes", 3 << 19: "1.5 MiB (1572864 bytes)", 5 << 30: "5.0 GiB (5368709120 bytes)"} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
