package sim

import (
	"bufio"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// startMeasured builds and starts spec with the benchmark timer running
// around New and Start only, and reports what they cost the process in
// memory, as the OS sees it:
//
//   - rss-MB: resident memory added, read when Start returns (garbage
//     included: it is what the process holds then);
//   - peak-rss-MB: the high-water mark of resident memory during New and
//     Start above the baseline (Linux: the peak is reset through
//     /proc/self/clear_refs; left out where that fails);
//   - heap-MB: the live Go heap added, after a GC.
//
// The baseline is taken after debug.FreeOSMemory, so that an earlier
// iteration's freed memory is not counted, nor hidden.
func startMeasured(b *testing.B, spec FleetSpec, opts Options) *Sim {
	b.StopTimer()
	debug.FreeOSMemory()
	baseRSS, _ := procStatusKB("VmRSS")
	peakReset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	baseHeap := heapInUse()
	b.StartTimer()
	s, err := New(spec, opts)
	if err == nil {
		err = s.Start()
	}
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if rss, ok := procStatusKB("VmRSS"); ok {
		b.ReportMetric(float64(rss-baseRSS)/1024, "rss-MB")
	}
	if peak, ok := procStatusKB("VmHWM"); ok && peakReset {
		b.ReportMetric(float64(peak-baseRSS)/1024, "peak-rss-MB")
	}
	b.ReportMetric(float64(heapInUse()-baseHeap)/(1<<20), "heap-MB")
	b.StartTimer()
	return s
}

// procStatusKB reads one "kB" field of /proc/self/status (Linux).
func procStatusKB(field string) (int64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		value, ok := strings.CutPrefix(lines.Text(), field+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		return kb, err == nil
	}
	return 0, false
}
