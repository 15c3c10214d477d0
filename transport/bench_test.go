package transport

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/transport/boardtest"
)

// The benchmarks run over the fake board behind a throttled pipe that
// carries 11,520 bytes/s each way, like a 115200-baud UART, and report
// their time against the line's floor: the bytes the protocol must move,
// at line rate, one direction after the other.
//
//	x-floor  time / floor (1.0 is the wire's limit; the goal is <= 1.2)
//	x-line   floor / time (fraction of the line rate; the goal is >= 0.9)

func lineTime(n int) time.Duration {
	return time.Duration(n) * time.Second / boardtest.LineRate115200
}

func benchBoard(b *testing.B) *Board {
	b.Helper()
	board, _, _ := openFake(b, boardtest.Config{RawPaste: true, InputBuffer: 256}, boardtest.LineRate115200, testOptions())
	return board
}

func BenchmarkExecTrivial(b *testing.B) {
	board := benchBoard(b)
	// Out: "x = 1\x04"; back: "OK\x04\x04>".
	floor := lineTime(len("x = 1\x04") + len("OK\x04\x04>"))
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := board.Exec(context.Background(), "x = 1", io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(per)/float64(floor), "x-floor")
}

func BenchmarkExec16K(b *testing.B) {
	board := benchBoard(b)
	line := "x = 'abcdefghijklmnopqrstuvwxyz0123456789'\n"
	code := strings.Repeat(line, 16384/len(line)+1)[:16384-1] + "\n"
	// The upload dominates: the cell, the request and end, against
	// which the board's grants travel the other way.
	floor := lineTime(len(code) + len("\x05A\x01\x04") + len("\x04\x04\x04>"))
	b.SetBytes(int64(len(code)))
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := board.Exec(context.Background(), code, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(floor)/float64(per), "x-line")
}

func BenchmarkPrint64K(b *testing.B) {
	board := benchBoard(b)
	code := "print('x' * 65536)"
	floor := lineTime(len(code) + 1 + len("OK") + 65536 + len("\r\n\x04\x04>"))
	b.SetBytes(65536)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		n := 0
		w := writerFunc(func(p []byte) (int, error) { n += len(p); return len(p), nil })
		if err := board.Exec(context.Background(), code, w, io.Discard); err != nil {
			b.Fatal(err)
		}
		if n != 65537 {
			b.Fatalf("got %d bytes of output, want 65537", n)
		}
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(floor)/float64(per), "x-line")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
