package verify

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
)

// The probe-engine benchmark (issue 6): 5,000 loopback HTTP health
// endpoints probed at 1 s intervals by a Monitor with an HTTPProber, the
// same path a run takes, for a fixed time. Run it with
//
//	go test -run '^$' -bench ProbeEngine5000 -benchtime 1x ./internal/verify/
//
// The endpoints live in a child process (this test binary again, running
// TestProbeBenchEndpoints), so that the CPU figure is the probe engine's
// alone and each process stays well inside the open-file limit: the child
// holds 5,000 listeners and 5,000 accepted connections, this process the
// 5,000 client connections. Every endpoint has its own listener (its own
// port), so connection reuse per host is real.
const (
	benchEndpointsEnv = "GAMEDAY_PROBE_BENCH_ENDPOINTS"
	benchEndpoints    = 5000
	benchWarmUp       = 3 * time.Second  // every connection is made in the first interval
	benchWindow       = 15 * time.Second // measured
	benchGoneAfter    = 5 * time.Second  // into the window, in the endpoints-gone run
	benchClosed       = 1234             // endpoint closed with its connections (a host that shuts down)
	benchVanished     = 4321             // endpoint that stops answering on open connections (a host that dies)
)

func BenchmarkProbeEngine5000(b *testing.B) {
	b.Run("steady", func(b *testing.B) { benchProbeEngine(b, false) })
	b.Run("endpoints-gone", func(b *testing.B) { benchProbeEngine(b, true) })
}

// benchProbeEngine is one fixed-length measurement; b.N does not apply
// (use -benchtime 1x).
func benchProbeEngine(b *testing.B, goAway bool) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur < 2*benchEndpoints+200 {
		b.Skipf("open-file limit %d: the endpoint process needs %d", rl.Cur, 2*benchEndpoints+200)
	}
	// The network poller's own descriptors (epoll, eventfd) are opened once
	// per process, on first use: open them before counting.
	if l, err := net.Listen("tcp4", "127.0.0.1:0"); err == nil {
		_ = l.Close()
	}
	fdsBefore := openFiles(b)

	eps := startBenchEndpoints(b, benchEndpoints)
	targets := make([]Target, len(eps.addrs))
	for i, a := range eps.addrs {
		targets[i] = Target{InstanceID: fmt.Sprintf("i-%05d", i), AZ: "us-east-1a", URL: "http://" + a + "/health"}
	}
	prober := NewHTTPProber(HTTPProbe{Timeout: time.Second, ExpectStatus: 200, LoopbackOnly: true})
	var lag LagRecorder
	m := NewMonitor(Config{Interval: time.Second}, targets, prober, zap.NewNop()) // default concurrency (64)

	b.ResetTimer()
	m.Start(WithLagRecorder(context.Background(), &lag))
	time.Sleep(benchWarmUp)

	lag.Reset()
	probes0, cpu0, child0, busy0, t0 := sumProbes(m.Snapshot()), selfCPU(b), eps.cpu(b), machineBusy(b), time.Now()
	var goneAt time.Time
	if goAway {
		time.Sleep(benchGoneAfter)
		eps.command(b, fmt.Sprintf("close %d", benchClosed))
		eps.command(b, fmt.Sprintf("vanish %d", benchVanished))
		goneAt = time.Now()
		time.Sleep(benchWindow - benchGoneAfter)
	} else {
		time.Sleep(benchWindow)
	}
	snap := m.Snapshot()
	probes1, cpu1, child1, busy1, wall := sumProbes(snap), selfCPU(b), eps.cpu(b), machineBusy(b), time.Since(t0)
	m.Stop()
	b.StopTimer()
	eps.stop(b)

	secs := wall.Seconds()
	b.ReportMetric(float64(lag.Quantile(0.50))/1e6, "lag_p50_ms")
	b.ReportMetric(float64(lag.Quantile(0.99))/1e6, "lag_p99_ms")
	b.ReportMetric(float64(lag.Quantile(0.999))/1e6, "lag_p999_ms")
	b.ReportMetric(float64(lag.Max())/1e6, "lag_max_ms")
	b.ReportMetric(float64(lag.Missed()), "missed_slots")
	b.ReportMetric(float64(probes1-probes0)/secs, "probes/s")
	b.ReportMetric((cpu1-cpu0).Seconds()/secs, "cpu_cores")
	b.ReportMetric((child1-child0).Seconds()/secs, "endpoint_cpu_cores")
	// What the rest of the machine used meanwhile: lag figures taken while
	// other work competed for the two cores are not the engine's own.
	b.ReportMetric(max(0, (busy1-busy0-(cpu1-cpu0)-(child1-child0)).Seconds()/secs), "other_cpu_cores")
	b.ReportMetric(float64(maxRSS(b))/1024, "maxrss_MB")

	// Every endpoint that stayed up passed every probe, warm-up included:
	// the engine keeping up must not cost false failures.
	gone := map[int]bool{}
	if goAway {
		gone = map[int]bool{benchClosed: true, benchVanished: true}
	}
	var falseFailures int
	for i, h := range snap {
		if !gone[i] && (h.Failures > 0 || !h.Healthy) {
			if falseFailures == 0 {
				b.Errorf("%s (up all along): %d of %d probes failed, last %q", h.InstanceID, h.Failures, h.Probes, h.LastDetail)
			}
			falseFailures++
		}
	}
	b.ReportMetric(float64(falseFailures), "false_failures")

	// An endpoint that went away fails every probe from then on, though
	// its connection was pooled: reuse must notice the host leaving.
	for _, i := range []int{benchClosed, benchVanished} {
		if !gone[i] {
			continue
		}
		h := snap[i]
		last := h.Transitions[len(h.Transitions)-1]
		if h.Healthy || last.Healthy || len(h.Transitions) != 2 || last.At.Before(goneAt.Add(-50*time.Millisecond)) {
			b.Errorf("%s went away at %s but its probes say %+v", h.InstanceID, goneAt.Format(time.StampMilli), h.Transitions)
			continue
		}
		b.Logf("%s went away: first failing probe sent %v later (%q); %d of %d probes failed; last %q",
			h.InstanceID, last.At.Sub(goneAt).Round(time.Millisecond), last.Detail, h.Failures, h.Probes, h.LastDetail)
	}

	// Nothing left open: the pooled connections and the endpoint process's
	// pipes are gone once the monitor and the endpoints have stopped.
	var leaked []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		leaked = leaked[:0]
		for fd, target := range openFiles(b) {
			// The runtime rereads the cgroup CPU limit (GOMAXPROCS) on its own.
			if fdsBefore[fd] != target && !strings.HasPrefix(target, "/sys/fs/cgroup/") {
				leaked = append(leaked, fmt.Sprintf("%s -> %s", fd, target))
			}
		}
		if len(leaked) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(leaked) > 0 {
		b.Errorf("files opened by the run and left open: %v", leaked)
	}
}

func sumProbes(hs []InstanceHealth) (n int) {
	for _, h := range hs {
		n += h.Probes
	}
	return n
}

func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineBusy is the CPU time all processes have used since boot, from
// the first line of /proc/stat (user, nice, system, irq, softirq, steal).
func machineBusy(b *testing.B) time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Skipf("cannot read machine CPU time: %v", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		b.Fatalf("/proc/stat starts %q", line)
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			b.Fatalf("/proc/stat: %v", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

func maxRSS(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Maxrss // KiB on Linux
}

// openFiles maps this process's open file descriptors to what they are.
func openFiles(b *testing.B) map[string]string {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		b.Skipf("cannot list open files: %v", err)
	}
	out := make(map[string]string, len(entries))
	for _, e := range entries {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil { // the directory's own fd is gone
			out[e.Name()] = target
		}
	}
	return out
}

// endpointProcess is the endpoint process, driven line by line over its
// stdin and stdout.
type endpointProcess struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Reader
	addrs []string
}

func startBenchEndpoints(b *testing.B, n int) *endpointProcess {
	cmd := exec.Command(os.Args[0], "-test.run=^TestProbeBenchEndpoints$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", benchEndpointsEnv, n))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	e := &endpointProcess{cmd: cmd, in: in, out: bufio.NewReader(out)}
	b.Cleanup(func() { // after a failed run; stop has normally reaped it
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	for {
		line := e.readLine(b)
		switch kind, rest, _ := strings.Cut(line, " "); kind {
		case "addr":
			e.addrs = append(e.addrs, rest)
		case "ready":
			if len(e.addrs) != n {
				b.Fatalf("endpoint process listens on %d addresses, want %d", len(e.addrs), n)
			}
			return e
		case "error":
			b.Fatalf("endpoint process: %s", rest)
		}
	}
}

func (e *endpointProcess) readLine(b *testing.B) string {
	line, err := e.out.ReadString('\n')
	if err != nil {
		b.Fatalf("endpoint process: %v", err)
	}
	return strings.TrimSuffix(line, "\n")
}

// command sends one command and returns the reply's argument.
func (e *endpointProcess) command(b *testing.B, cmd string) string {
	if _, err := io.WriteString(e.in, cmd+"\n"); err != nil {
		b.Fatalf("endpoint process: %v", err)
	}
	reply := e.readLine(b)
	kind, rest, _ := strings.Cut(reply, " ")
	if kind != "ok" {
		b.Fatalf("endpoint process answered %q to %q", reply, cmd)
	}
	return rest
}

// cpu is the endpoint process's user+system CPU time so far.
func (e *endpointProcess) cpu(b *testing.B) time.Duration {
	ns, err := strconv.ParseInt(e.command(b, "cpu"), 10, 64)
	if err != nil {
		b.Fatal(err)
	}
	return time.Duration(ns)
}

func (e *endpointProcess) stop(b *testing.B) {
	_ = e.in.Close() // the process exits at the end of its input
	if err := e.cmd.Wait(); err != nil {
		b.Errorf("endpoint process: %v", err)
	}
}

// TestProbeBenchEndpoints is not a test: it is the endpoint process of
// BenchmarkProbeEngine5000, and skips unless started by it.
//
// It listens on n loopback ports, prints "addr HOST:PORT" for each and then
// "ready", answers every GET with 200, and obeys commands on stdin, each
// answered by a line starting "ok": "close I" closes endpoint I's listener
// and its connections, "vanish I" closes its listener and leaves its open
// connections unanswered, "cpu" replies with the process's CPU time in ns.
// It exits when stdin ends.
func TestProbeBenchEndpoints(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv(benchEndpointsEnv))
	if err != nil {
		t.Skip("the endpoint process of BenchmarkProbeEngine5000; runs only under it")
	}
	out := bufio.NewWriter(os.Stdout)
	fail := func(err error) {
		fmt.Fprintf(out, "error %v\n", err)
		_ = out.Flush()
		os.Exit(1)
	}
	eps := make([]*benchEndpoint, n)
	for i := range eps {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			fail(fmt.Errorf("endpoint %d: %w", i, err))
		}
		eps[i] = &benchEndpoint{l: l, conns: map[net.Conn]struct{}{}}
		go eps[i].serve()
		fmt.Fprintf(out, "addr %s\n", l.Addr())
	}
	fmt.Fprintln(out, "ready")
	_ = out.Flush()

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		cmd, arg, _ := strings.Cut(in.Text(), " ")
		switch cmd {
		case "close", "vanish":
			i, err := strconv.Atoi(arg)
			if err != nil || i < 0 || i >= n {
				fail(fmt.Errorf("bad endpoint %q", arg))
			}
			eps[i].goAway(cmd == "vanish")
			fmt.Fprintln(out, "ok")
		case "cpu":
			var ru syscall.Rusage
			if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
				fail(err)
			}
			fmt.Fprintf(out, "ok %d\n", ru.Utime.Nano()+ru.Stime.Nano())
		default:
			fail(fmt.Errorf("unknown command %q", in.Text()))
		}
		_ = out.Flush()
	}
	os.Exit(0) // not a test: no PASS line, no waiting on 10,000 goroutines
}

// benchResponse is the whole answer of a health endpoint.
var benchResponse = []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"status\":\"ok\"}\n")

// benchEndpoint is a minimal HTTP/1.1 health endpoint on its own listener:
// far cheaper than net/http's server, so that the endpoint process stays
// out of the probe engine's way on a 2-core machine.
type benchEndpoint struct {
	l      net.Listener
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	silent bool
}

func (e *benchEndpoint) serve() {
	for {
		c, err := e.l.Accept()
		if err != nil {
			return // closed
		}
		e.mu.Lock()
		e.conns[c] = struct{}{}
		e.mu.Unlock()
		go e.handle(c)
	}
}

// handle answers each request on c, which has no body (GET), until the
// client closes it.
func (e *benchEndpoint) handle(c net.Conn) {
	defer func() {
		e.mu.Lock()
		delete(e.conns, c)
		e.mu.Unlock()
		_ = c.Close()
	}()
	r := bufio.NewReaderSize(c, 1024)
	for {
		for {
			line, err := r.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(line) <= 2 { // the blank line ending the head
				break
			}
		}
		e.mu.Lock()
		silent := e.silent
		e.mu.Unlock()
		if silent {
			continue
		}
		if _, err := c.Write(benchResponse); err != nil {
			return
		}
	}
}

// goAway stops accepting; with silent, open connections stay open and
// unanswered (a host that died: no FIN, no RST), otherwise they are closed
// (a host that shut down).
func (e *benchEndpoint) goAway(silent bool) {
	_ = e.l.Close()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.silent = silent
	if !silent {
		for c := range e.conns {
			_ = c.Close()
		}
	}
}
