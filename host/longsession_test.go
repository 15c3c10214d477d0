package host

import (
	"bytes"
	"context"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchmarkLongSession runs 10,000 silent cells (1+1) in one interpreter,
// as a long notebook session would, and reports a trivial cell's round
// trip at cell 100 and at cell 10,000 (each the 10th percentile of the 200
// cells from there, which a busy machine disturbs least), their
// ratio, and how much the process's resident memory grew per cell in
// between (after returning garbage to the system at both ends, so that it
// counts what the interpreter keeps). It ignores b.N: run it with
// -benchtime 1x.
func BenchmarkLongSession(b *testing.B) {
	const (
		cells  = 10000
		early  = 100
		window = 200
	)
	in, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	cellIO := IO{Stdout: io.Discard, Stderr: io.Discard}
	ctx := context.Background()
	eval := func() time.Duration {
		start := time.Now()
		if _, err := in.Eval(ctx, "1+1", cellIO); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	// low runs n cells and returns the 10th percentile of their round trips.
	low := func(n int) time.Duration {
		rts := make([]time.Duration, n)
		for i := range rts {
			rts[i] = eval()
		}
		slices.Sort(rts)
		return rts[n/10]
	}
	b.ResetTimer()
	for range early - 1 {
		eval()
	}
	earlyRT := low(window)
	earlyRSS := settledRSS(b)
	for range cells - early - 2*window + 1 {
		eval()
	}
	lateRT := low(window)
	b.StopTimer()
	lateRSS := settledRSS(b)
	b.ReportMetric(float64(earlyRT.Microseconds())/1000, "ms/cell@100")
	b.ReportMetric(float64(lateRT.Microseconds())/1000, "ms/cell@10000")
	b.ReportMetric(float64(lateRT)/float64(earlyRT), "late/early")
	b.ReportMetric(float64(lateRSS-earlyRSS)/(cells-early-window), "RSS-B/cell")
	b.ReportMetric(float64(lateRSS)/(1<<20), "RSS-MiB@10000")
}

// settledRSS returns the process's resident set size in bytes after
// returning the garbage to the operating system.
func settledRSS(b *testing.B) int64 {
	b.Helper()
	debug.FreeOSMemory()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status: ", err)
	}
	for line := range bytes.Lines(status) {
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			kb, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB"))), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}
