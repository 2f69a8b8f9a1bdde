package runner

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// LogFile is the name of a run's JSON log in its directory.
const LogFile = "log.jsonl"

// runLog is a run's log.jsonl. The run decides what to touch (plan,
// permission checks) before its directory exists, so lines are held in
// memory until the file is attached, then written through; a run that
// never gets a directory drops them.
type runLog struct {
	mu   sync.Mutex
	held bytes.Buffer
	f    *os.File
}

// newRunLog returns a logger that writes to base and, as JSON lines at the
// same levels, to the run's log: the console is for people watching, the
// file for reading the run afterwards.
func newRunLog(base *zap.Logger) (*zap.Logger, *runLog) {
	l := &runLog{}
	cfg := zap.NewProductionEncoderConfig()
	cfg.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	file := zapcore.NewCore(zapcore.NewJSONEncoder(cfg), zapcore.AddSync(l), zap.LevelEnablerFunc(base.Core().Enabled))
	return zap.New(zapcore.NewTee(base.Core(), file)), l
}

func (l *runLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		return l.f.Write(p)
	}
	return l.held.Write(p)
}

// attach opens dir/log.jsonl and writes the held lines to it.
func (l *runLog) attach(dir string) error {
	f, err := os.OpenFile(filepath.Join(dir, LogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("runner: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := f.Write(l.held.Bytes()); err != nil {
		f.Close()
		return fmt.Errorf("runner: write %s: %w", LogFile, err)
	}
	l.held.Reset()
	l.f = f
	return nil
}

func (l *runLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		_ = l.f.Close()
		l.f = nil
	}
}
