package cli

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"gameday/internal/progress"
)

// Values of --progress.
const (
	progressAuto   = "auto"
	progressAlways = "always"
	progressNever  = "never"
)

// progressFlag is --progress: auto (a live status line when stdout is a
// terminal), always, or never.
type progressFlag string

func (p *progressFlag) String() string {
	if *p == "" {
		return progressAuto
	}
	return string(*p)
}

func (p *progressFlag) Set(v string) error {
	switch v {
	case progressAuto, progressAlways, progressNever:
		*p = progressFlag(v)
		return nil
	}
	return fmt.Errorf("want auto, always or never")
}

func (p *progressFlag) Type() string { return "auto|always|never" }

func addProgressFlag(f *pflag.FlagSet, p *progressFlag) {
	f.Var(p, "progress", "live status line while the run executes: auto (when stdout is a terminal), always or never")
}

// progressDisplay sets up the run's output for --progress. On a terminal
// (or with always) the display redraws a status line, and stdout, stderr
// and the log are routed through it so their lines clear the status line
// first. Otherwise stdout goes through it only for a plain line while a
// gate holds the run quiet; never (nil) leaves the output as it was.
func (a *app) progressDisplay(mode progressFlag) *progress.Display {
	if mode == progressNever {
		return nil
	}
	f, _ := a.out.(*os.File)
	tty := f != nil && term.IsTerminal(int(f.Fd()))
	cfg := progress.Config{Terminal: tty || mode == progressAlways}
	if tty {
		cfg.Width = func() int {
			w, _, err := term.GetSize(int(f.Fd()))
			if err != nil {
				return 0
			}
			return w
		}
	}
	d := progress.New(a.out, cfg)
	a.out = d.Writer()
	if cfg.Terminal {
		a.errOut = d.Wrap(a.errOut)
		if log, err := newLogger(a.errOut, a.logLevel, a.logFormat); err == nil {
			a.log = log
		}
	}
	return d
}
