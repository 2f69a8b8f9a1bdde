package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// machine describes where and when the suite ran.
type machine struct {
	cpu       string
	cores     int
	memory    string
	kernel    string
	goVersion string
	fileLimit uint64
	commit    string
	date      string
	loadAvg   string
	load1     float64
}

func readMachine() machine {
	m := machine{cores: runtime.NumCPU(), goVersion: runtime.Version(), date: time.Now().UTC().Format("2006-01-02 15:04 UTC")}
	m.cpu = cpuModel()
	if kb, err := procMeminfoKB("MemTotal"); err == nil {
		m.memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = "Linux " + strings.TrimSpace(string(data))
	}
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil {
		m.fileLimit = rl.Cur
	}
	m.commit = gitCommit()
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(data))
		if len(f) >= 3 {
			m.loadAvg = strings.Join(f[:3], " / ")
			m.load1, _ = strconv.ParseFloat(f[0], 64)
		}
	}
	return m
}

// cpuModel is the model name, with family and model when the name alone
// says little (virtual machines often print just the vendor's brand).
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	field := func(name string) string {
		for _, line := range strings.Split(string(data), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if ok && strings.TrimSpace(k) == name {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}
	name := field("model name")
	if fam, mod := field("cpu family"), field("model"); fam != "" && !strings.ContainsAny(name, "0123456789") {
		name += fmt.Sprintf(" (family %s, model %s)", fam, mod)
	}
	return name
}

func procMeminfoKB(field string) (int64, error) {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/meminfo", field)
}

// gitCommit is the short commit, marked when the tree has changes.
func gitCommit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	commit := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		commit += " with uncommitted changes"
	}
	return commit
}
