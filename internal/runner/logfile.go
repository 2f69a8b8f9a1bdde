package runner

import (
	"fmt"
	"os"
	"path/filepath"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// LogFile is the name of a run's JSON log in its directory.
const LogFile = "log.jsonl"

// teeLog returns a logger that writes to base and, as JSON lines at the
// same levels, to the run's log.jsonl: the console is for people watching,
// the file for reading the run afterwards.
func teeLog(base *zap.Logger, dir string) (*zap.Logger, *os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, LogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("runner: %w", err)
	}
	cfg := zap.NewProductionEncoderConfig()
	cfg.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	file := zapcore.NewCore(zapcore.NewJSONEncoder(cfg), zapcore.Lock(f), zap.LevelEnablerFunc(base.Core().Enabled))
	return zap.New(zapcore.NewTee(base.Core(), file)), f, nil
}
