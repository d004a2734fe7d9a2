package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hifm-go/hifm/tensor/golden"
)

var _ = golden.Update

// fakeClock returns a progress on buf whose clock is advanced by the test.
func fakeProgress(buf *bytes.Buffer, total int64, tty bool) (*progress, *time.Time) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newProgress(buf, "train", total)
	p.now = func() time.Time { return now }
	p.start = now
	p.tty = tty
	p.interval = plainInterval
	if tty {
		p.interval = ttyInterval
	}
	return p, &now
}

func TestProgressPlainLines(t *testing.T) {
	var buf bytes.Buffer
	p, now := fakeProgress(&buf, 5000, false)
	if p.tty {
		t.Fatal("a bytes.Buffer is not a terminal")
	}
	*now = now.Add(2 * time.Second)
	p.update(100, 0.43125, 3200) // first update: always written
	*now = now.Add(5 * time.Second)
	p.update(300, 0.40, 9600) // 5 s after the last line: throttled
	*now = now.Add(6 * time.Second)
	p.update(1200, 0.4312, 38400) // 11 s after: written
	*now = now.Add(time.Second)
	p.update(1300, math.NaN(), -1) // throttled
	*now = now.Add(time.Second)
	p.finish(5000, 0.25, 160000)
	p.update(5000, 0.1, 1) // after finish: ignored
	want := []string{
		"train  100/5000    2%  loss 0.4313  1600 samples/s  ETA 1m38s",
		"train  1200/5000   24%  loss 0.4312  2954 samples/s  ETA 41s",
		"train  5000/5000  100%  loss 0.25  10.7k samples/s  done in 15s",
	}
	got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("plain progress lines (-want +got):\n%s", d)
	}
}

func TestProgressFinalStepNotThrottled(t *testing.T) {
	var buf bytes.Buffer
	p, now := fakeProgress(&buf, 10, false)
	p.update(1, math.NaN(), -1)
	*now = now.Add(time.Millisecond)
	p.update(10, math.NaN(), -1) // the last step is written even within the interval
	p.finish(10, math.NaN(), -1) // and not repeated by finish
	if n := strings.Count(buf.String(), "\n"); n != 2 {
		t.Errorf("got %d lines, want 2:\n%s", n, buf.String())
	}
}

func TestProgressTTYRedraw(t *testing.T) {
	var buf bytes.Buffer
	p, now := fakeProgress(&buf, 0, true)
	p.rateUnit = "traj/s"
	*now = now.Add(time.Second)
	p.update(123456, 1.5, 123456)
	*now = now.Add(100 * time.Millisecond)
	p.update(130000, 1.4, 130000) // within 200 ms: throttled
	*now = now.Add(200 * time.Millisecond)
	p.update(140000, math.NaN(), -1) // shorter line: padded over the old one
	p.finish(150000, math.NaN(), -1)
	l1 := "train  step 123456  loss 1.5  123k traj/s"
	l2 := "train  step 140000"
	l3 := "train  step 150000"
	want := "\r" + l1 + "\r" + l2 + strings.Repeat(" ", len(l1)-len(l2)) + "\r" + l3 + "\n"
	if got := buf.String(); got != want {
		t.Errorf("tty output\n got %q\nwant %q", got, want)
	}
}

func TestFormatDurationAndRate(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{3200 * time.Millisecond, "3.2s"}, {281 * time.Second, "4m41s"}, {3720 * time.Second, "1h02m"}, {50 * time.Hour, "50h00m"}} {
		if got := formatDuration(tc.d); got != tc.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	for _, tc := range []struct {
		r    float64
		want string
	}{{0.5, "0.5"}, {812.4, "812"}, {12345, "12.3k"}, {2.5e7, "25M"}} {
		if got := formatRate(tc.r); got != tc.want {
			t.Errorf("formatRate(%v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) || isTerminal(&bytes.Buffer{}) {
		t.Error("a regular file or a buffer reported as a terminal")
	}
}

func TestWithInterrupt(t *testing.T) {
	guard := make(chan os.Signal, 1) // keeps SIGINT from killing the test binary
	signal.Notify(guard, os.Interrupt)
	defer signal.Stop(guard)
	ctx, stop := withInterrupt(context.Background())
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("context not cancelled 5 s after SIGINT")
	}
	if !interrupted(ctx, fmt.Errorf("gen: %w", ctx.Err())) || interrupted(ctx, fmt.Errorf("disk full")) {
		t.Error("interrupted misclassifies errors")
	}
	ctx2, stop2 := withInterrupt(context.Background())
	stop2()
	stop2() // idempotent
	if ctx2.Err() == nil {
		t.Error("stop did not cancel the context")
	}
}
