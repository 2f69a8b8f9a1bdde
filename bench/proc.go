package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gameday/internal/sim"
)

// simProc is a running `gameday sim serve`.
type simProc struct {
	cmd   *exec.Cmd
	url   string
	audit string        // audit log path, "" for none
	ready time.Duration // from exec to the endpoint line
	done  chan struct{}
	err   error // of Wait, once done is closed
}

// fleetFile writes a fleet of n instances to dir and returns its path.
// Every instance is in group web (app=web, gameday=opt-in) except the
// last optOut, in group legacy (app=web, not opted in); both spread over
// three zones. boot is the groups' boot section ("" for the defaults).
func fleetFile(dir, name string, n, optOut int, boot string) (string, error) {
	var b strings.Builder
	b.WriteString("region: us-east-1\ngroups:\n")
	group := func(name string, count int, tags string) {
		fmt.Fprintf(&b, "  - name: %s\n    count: %d\n    availability_zones: [us-east-1a, us-east-1b, us-east-1c]\n    tags: {%s}\n", name, count, tags)
		if boot != "" {
			fmt.Fprintf(&b, "    boot: %s\n", boot)
		}
	}
	group("web", n-optOut, "app: web, gameday: opt-in")
	if optOut > 0 {
		group("legacy", optOut, "app: web")
	}
	path := filepath.Join(dir, name)
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// tinyBoot makes every state change take 20 ms: runs are bounded by the
// API, not by the simulated hosts.
const tinyBoot = "{pending: 20ms, stopping: 20ms, down: 20ms, starting: 20ms}"

// startSim runs `gameday sim serve` on a free loopback port and waits for
// its endpoint. listeners false adds --no-listeners; audit, when set, is
// the audit log to write.
func startSim(ctx context.Context, gameday, fleet string, listeners bool, audit string) (*simProc, error) {
	args := []string{"sim", "serve", "--listen", "127.0.0.1:0", "--fleet", fleet, "--log-level", "warn"}
	if !listeners {
		args = append(args, "--no-listeners")
	}
	if audit != "" {
		args = append(args, "--audit-log", audit)
	}
	cmd := exec.CommandContext(ctx, gameday, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &limitedWriter{w: &stderr, n: 64 << 10}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &simProc{cmd: cmd, audit: audit, done: make(chan struct{})}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if url, ok := strings.CutPrefix(lines.Text(), "EC2 endpoint: "); ok {
			p.url, p.ready = url, time.Since(start)
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	go func() { p.err = cmd.Wait(); close(p.done) }()
	if p.url == "" {
		<-p.done
		return nil, fmt.Errorf("sim serve --fleet %s exited before serving (%v): %s", filepath.Base(fleet), p.err, strings.TrimSpace(stderr.String()))
	}
	return p, nil
}

func (p *simProc) pid() int { return p.cmd.Process.Pid }

// stop ends the simulator (SIGTERM) and returns its CPU time.
func (p *simProc) stop() (time.Duration, error) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	var err error
	if p.err != nil && !isSignalExit(p.err) {
		err = fmt.Errorf("sim serve: %w", p.err)
	}
	return cpuOf(p.cmd.ProcessState), err
}

func isSignalExit(err error) bool {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return true
		}
	}
	return false
}

func cpuOf(ps *os.ProcessState) time.Duration {
	if ps == nil {
		return 0
	}
	return ps.UserTime() + ps.SystemTime()
}

// readAudit reads every record of an audit log.
func readAudit(path string) ([]sim.AuditRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []sim.AuditRecord
	dec := json.NewDecoder(bufio.NewReader(f))
	for {
		var rec sim.AuditRecord
		if err := dec.Decode(&rec); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, rec)
	}
}

// procStatusKB reads one "kB" field of /proc/PID/status (pid 0: self).
func procStatusKB(pid int, field string) (int64, error) {
	name := "/proc/self/status"
	if pid > 0 {
		name = fmt.Sprintf("/proc/%d/status", pid)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if value, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no %s", name, field)
}

// procCPU is a process's user + system CPU time so far (/proc/PID/stat).
func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from after its closing parenthesis (state is field 3).
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / 100, nil // USER_HZ
}

// machineBusy is the CPU time every process has used since boot (the
// first line of /proc/stat: user, nice, system, irq, softirq, steal).
func machineBusy() (time.Duration, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat starts %q", line)
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100, nil
}

// childrenCPU is the user + system CPU time of every child process this
// one has waited for, and of theirs.
func childrenCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func openFiles(pid int) (int, error) {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(entries), err
}

// limitedWriter keeps the first n bytes written to it.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		_, _ = l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

// runJSONChild runs this binary in a child mode and decodes the JSON it
// prints on stdout into out.
func runJSONChild(ctx context.Context, out any, env []string, args ...string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &limitedWriter{w: &stderr, n: 64 << 10}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal([]byte(stdout.String()), out); err != nil {
		return fmt.Errorf("%s: %w (output %q)", args[0], err, stdout.String())
	}
	return nil
}
