package main

import (
	"fmt"
	"io"

	"github.com/schollz/progressbar/v3"

	"plannerbench/internal/loadgen"
)

// loadProgress shows a replay's progress on a terminal, and nothing elsewhere.
type loadProgress struct {
	bar *progressbar.ProgressBar
	w   io.Writer
}

func newLoadProgress(w io.Writer) *loadProgress { return &loadProgress{w: w} }

func (l *loadProgress) update(p loadgen.Progress) {
	if l.bar == nil {
		l.bar = newProgressBar(l.w, p.Total, "replaying")
		if l.bar == nil {
			return
		}
	}
	l.bar.Describe(fmt.Sprintf("sent %d done %d errors %d skipped %d lateness p99 %.2fms", p.Sent, p.Done, p.Errors, p.Skipped, p.LatenessP99MS))
	_ = l.bar.Set(int(p.Done + p.Errors + p.Skipped + p.Interrupted))
}

func (l *loadProgress) finish() {
	if l.bar != nil {
		_ = l.bar.Finish()
	}
}
