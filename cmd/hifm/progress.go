package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

// progress writes a progress line for long commands (issue 8, item 3):
//
//	train  1200/5000  24%  loss 0.4312  812 samples/s  ETA 4m41s
//
// On a terminal the line is redrawn in place with \r at most every
// ttyInterval; otherwise (a file, a pipe, a CI log) a plain line is written
// at most every plainInterval, so logs stay short. The first and the final
// update are always written. Safe for concurrent use.
type progress struct {
	w        io.Writer
	label    string
	total    int64
	rateUnit string // "samples/s" by default
	tty      bool
	interval time.Duration
	now      func() time.Time // the clock; replaced in tests

	mu       sync.Mutex
	start    time.Time
	last     time.Time // time of the last line written
	written  bool      // a line was written
	lastStep int64     // step of the last line written
	width    int       // width of the last tty line, to blank leftovers
	ended    bool
}

// Throttling intervals of progress lines.
const (
	ttyInterval   = 200 * time.Millisecond
	plainInterval = 10 * time.Second
)

// newProgress returns a progress line on w for total steps (total ≤ 0:
// unknown, no percentage or ETA). Terminal mode is chosen when w is a
// character device and TERM is not "dumb".
func newProgress(w io.Writer, label string, total int64) *progress {
	p := &progress{w: w, label: label, total: total, rateUnit: "samples/s", now: time.Now}
	p.tty = isTerminal(w)
	p.interval = plainInterval
	if p.tty {
		p.interval = ttyInterval
	}
	p.start = p.now()
	return p
}

// isTerminal reports whether w is a terminal (a character device; /dev/null
// is one too, where redrawing is harmless).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// update reports that step steps of total are done, with the current loss
// (NaN: not shown) and the cumulative number of samples processed (for the
// rate; < 0: not shown). It writes a line when the throttle allows.
func (p *progress) update(step int64, loss float64, samples int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return
	}
	t := p.now()
	if p.written && t.Sub(p.last) < p.interval && (p.total <= 0 || step < p.total) {
		return
	}
	p.emit(t, step, loss, samples)
}

// finish writes the final line (always) and, on a terminal, ends it with a
// newline. Later updates are ignored.
func (p *progress) finish(step int64, loss float64, samples int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return
	}
	if !p.written || step != p.lastStep { // else update already wrote this step
		p.emit(p.now(), step, loss, samples)
	}
	if p.tty {
		fmt.Fprintln(p.w)
	}
	p.ended = true
}

// abort ends an interrupted progress display: on a terminal it moves to a
// new line so that the error message is not drawn over the status.
func (p *progress) abort() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.ended && p.tty && p.written {
		fmt.Fprintln(p.w)
	}
	p.ended = true
}

func (p *progress) emit(t time.Time, step int64, loss float64, samples int64) {
	line := p.format(t.Sub(p.start), step, loss, samples)
	p.last, p.written, p.lastStep = t, true, step
	if !p.tty {
		fmt.Fprintln(p.w, line)
		return
	}
	pad := max(0, p.width-len(line))
	p.width = len(line)
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
}

// format renders one progress line after elapsed time el.
func (p *progress) format(el time.Duration, step int64, loss float64, samples int64) string {
	var b strings.Builder
	b.WriteString(p.label)
	if p.total > 0 {
		fmt.Fprintf(&b, "  %d/%d  %3.0f%%", step, p.total, 100*float64(step)/float64(p.total))
	} else {
		fmt.Fprintf(&b, "  step %d", step)
	}
	if !math.IsNaN(loss) {
		fmt.Fprintf(&b, "  loss %.4g", loss)
	}
	sec := el.Seconds()
	if samples >= 0 && sec > 0 {
		fmt.Fprintf(&b, "  %s %s", formatRate(float64(samples)/sec), p.rateUnit)
	}
	if p.total > 0 && step > 0 && step < p.total && sec > 0 {
		eta := time.Duration(float64(el) * float64(p.total-step) / float64(step))
		fmt.Fprintf(&b, "  ETA %s", formatDuration(eta))
	} else if p.total > 0 && step >= p.total {
		fmt.Fprintf(&b, "  done in %s", formatDuration(el))
	}
	return b.String()
}

// formatRate prints a rate with 3 significant digits (k/M suffixes above 10⁴).
func formatRate(r float64) string {
	switch {
	case r >= 1e7:
		return fmt.Sprintf("%.3gM", r/1e6)
	case r >= 1e4:
		return fmt.Sprintf("%.3gk", r/1e3)
	case r >= 100:
		return fmt.Sprintf("%.0f", r)
	default:
		return fmt.Sprintf("%.3g", r)
	}
}

// formatDuration rounds to seconds (tenths below 10 s): 4m41s, 1h02m, 3.2s.
func formatDuration(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return d.Round(time.Second).String()
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// withInterrupt returns a context that is cancelled on the first SIGINT
// (Ctrl-C) or SIGTERM, so that long commands (train) can write a checkpoint
// and exit cleanly; after that first signal the default handling is
// restored, so a second Ctrl-C kills the process at once. Call stop when
// the command ends.
func withInterrupt(parent context.Context) (ctx context.Context, stop context.CancelFunc) {
	ctx, stopNotify := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	var once sync.Once
	go func() {
		select {
		case <-ctx.Done():
			stopNotify() // restore default handling for the next signal
		case <-done:
		}
	}()
	return ctx, func() {
		once.Do(func() { close(done) })
		stopNotify()
	}
}

// interrupted reports whether err is the cancellation of a withInterrupt
// context (as opposed to a failure).
func interrupted(ctx context.Context, err error) bool {
	return ctx.Err() != nil && errors.Is(err, context.Canceled)
}
