package replay

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"slices"
)

// MaxInputSize bounds an incident file (after decompression).
const MaxInputSize = 64 << 20

// Parse reads one incident file. name labels errors; format is FormatAuto
// or the format every record is read as. A gzip-compressed file (as
// CloudTrail delivers to S3) is decompressed first.
//
// Problems with the content are returned as Errors, each naming the file
// and the line (CSV, JSON lines) or record (JSON) it is about.
func Parse(name string, data []byte, format Format) (*Incident, error) {
	if !slices.Contains(Formats, format) {
		return nil, fmt.Errorf("replay: unknown format %q (want one of %v)", format, Formats)
	}
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
		data, err = io.ReadAll(io.LimitReader(zr, MaxInputSize+1))
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", name, err)
		}
	}
	if len(data) > MaxInputSize {
		return nil, fmt.Errorf("%s: larger than %d MiB", name, MaxInputSize>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%s: empty file", name)
	}
	isJSON := trimmed[0] == '{' || trimmed[0] == '['
	var inc *Incident
	var err error
	switch {
	case format == FormatCSV || (format == FormatAuto && !isJSON):
		inc, err = parseCSV(name, data)
	default:
		inc, err = parseJSON(name, data, format)
	}
	if err != nil {
		return nil, err
	}
	sortEvents(inc.Events)
	return inc, nil
}
