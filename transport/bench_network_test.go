//go:build linux

package transport_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/bench/linesim"
	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/transport"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

// Network links against local ones, side by side on the same MicroPython
// 1.25 with the same board program, each iteration timing both:
//
//	BenchmarkWebREPLTrivial  `x = 1` over ws:// (loopback) and over the
//	                         "local" board's pty: x-pty = ws / pty
//	BenchmarkWebREPLCopy64K  a 64 KB file written and verified by hash
//	                         through WebREPL's file protocol and through
//	                         the REPL programs: x-faster = REPL / WebREPL
//	BenchmarkRFC2217         `x = 1` and a 16 KB cell through ser2net and
//	                         straight on the 115200-baud line it serves
//	                         (bench/linesim): x-direct

func benchOpen(b *testing.B, ctx context.Context, url string) *transport.Board {
	b.Helper()
	bd, err := transport.Open(ctx, url, transport.Options{})
	if err != nil {
		b.Fatalf("Open(%s): %v", url, err)
	}
	b.Cleanup(func() { bd.Close() })
	return bd
}

func benchExec(b *testing.B, bd *transport.Board, code string) time.Duration {
	b.Helper()
	start := time.Now()
	if err := bd.Exec(context.Background(), code, io.Discard, io.Discard); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

func benchWebREPL(b *testing.B) *transport.Board {
	b.Helper()
	prog := realboard.UnixPortProgram(b)
	wb := realboard.WebREPL(b, "bench", prog, 0)
	return benchOpen(b, transport.WithPassword(context.Background(), "bench"), wb.URL)
}

func BenchmarkWebREPLTrivial(b *testing.B) {
	b.Setenv("IOTKERNEL_MICROPYTHON", realboard.UnixPort(b))
	ws := benchWebREPL(b)
	pty := benchOpen(b, context.Background(), "local")
	var tws, tpty time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tws += benchExec(b, ws, "x = 1")
		tpty += benchExec(b, pty, "x = 1")
	}
	b.ReportMetric(float64(tws.Microseconds())/float64(b.N), "ws-us/cell")
	b.ReportMetric(float64(tpty.Microseconds())/float64(b.N), "pty-us/cell")
	b.ReportMetric(float64(tws)/float64(tpty), "x-pty")
}

// replOnly hides the board's file protocol: boardpy copies through the
// REPL.
type replOnly struct{ ex boardpy.Execer }

func (r replOnly) Exec(ctx context.Context, code string, stdout, stderr io.Writer) error {
	return r.ex.Exec(ctx, code, stdout, stderr)
}

func BenchmarkWebREPLCopy64K(b *testing.B) {
	ws := benchWebREPL(b)
	data := make([]byte, 64<<10)
	rand.Read(data)
	name := fmt.Sprintf("ikbench-%d.bin", time.Now().UnixNano())
	b.Cleanup(func() { ws.Exec(context.Background(), "import os\nos.remove('"+name+"')", nil, nil) })
	ctx := context.Background()
	var tws, trepl time.Duration
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if err := boardpy.Write(ctx, ws, name, data, boardpy.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		tws += time.Since(start)
		start = time.Now()
		if err := boardpy.Write(ctx, replOnly{ws}, name, data, boardpy.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		trepl += time.Since(start)
	}
	b.ReportMetric(float64(tws.Milliseconds())/float64(b.N), "webrepl-ms/copy")
	b.ReportMetric(float64(trepl.Milliseconds())/float64(b.N), "repl-ms/copy")
	b.ReportMetric(float64(trepl)/float64(tws), "x-faster")
}

func BenchmarkRFC2217(b *testing.B) {
	// The board behind an emulated 115200-baud line (bench/linesim), as
	// an ESP32 behind its USB-UART bridge.
	board, err := linesim.StartBoard(realboard.UnixPort(b), b.TempDir(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { board.Close() })
	line, err := linesim.NewLine(board, linesim.Rate115200)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { line.Close() })
	dev := line.Path
	url := realboard.Ser2net(b, dev)
	big := strings.Repeat("x = 'abcdefghijklmnopqrstuvwxyz0123456789'\n", 16384/41)
	for _, cell := range []struct{ name, code string }{{"Trivial", "x = 1"}, {"16K", big}} {
		b.Run(cell.name, func(b *testing.B) {
			// ser2net holds the pty while a client is connected: one
			// link at a time, the same number of cells each.
			// ser2net lets go of the line a moment after its last
			// client (the harness's own probe, the last run): until
			// then a direct opener shares the bytes with it.
			time.Sleep(300 * time.Millisecond)
			direct := benchOpen(b, context.Background(), "serial://"+dev)
			var tdirect, tnet time.Duration
			for i := 0; i < b.N; i++ {
				tdirect += benchExec(b, direct, cell.code)
			}
			direct.Close()
			remote := benchOpen(b, context.Background(), url)
			for i := 0; i < b.N; i++ {
				tnet += benchExec(b, remote, cell.code)
			}
			remote.Close()
			b.ReportMetric(float64(tnet.Microseconds())/float64(b.N), "rfc2217-us/cell")
			b.ReportMetric(float64(tdirect.Microseconds())/float64(b.N), "direct-us/cell")
			b.ReportMetric(float64(tnet)/float64(tdirect), "x-direct")
		})
	}
}
