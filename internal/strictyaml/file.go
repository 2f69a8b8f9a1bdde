package strictyaml

import (
	"fmt"
	"io"
	"os"
)

// ReadFile reads the file at path for Decode. A regular file larger than
// MaxInputSize is refused by its size, before any of it is read, with
// Errors saying how large it is. Anything else (a pipe, a device) is read
// up to one byte past the limit, which Decode then refuses. A file that
// cannot be opened or read gives the error of os.Open or of the read, so
// that errors.Is(err, fs.ErrNotExist) works.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxInputSize {
		return nil, Errors{{Source: path, Msg: fmt.Sprintf("file is %s, larger than the %d MiB limit", Size(fi.Size()), MaxInputSize>>20)}}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxInputSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

// Size formats a file size for messages: "3.5 MiB (3670016 bytes)".
func Size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB (%d bytes)", float64(n)/(1<<30), n)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB (%d bytes)", float64(n)/(1<<20), n)
	}
	return fmt.Sprintf("%d bytes", n)
}
