package main

import (
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress draws a byte progress bar (bytes, rate, ETA) on a terminal, and nothing otherwise.
type progress struct {
	label string
	bar   *progressbar.ProgressBar
	off   bool
}

func newProgress(label string, quiet bool) *progress {
	return &progress{label: label, off: quiet || !term.IsTerminal(int(os.Stderr.Fd()))}
}

func (p *progress) update(read, total int64) {
	if p.off {
		return
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetDescription(p.label),
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200_000_000),
			progressbar.OptionShowCount(),
			progressbar.OptionClearOnFinish(),
		)
	}
	_ = p.bar.Set64(read)
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
