package router

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/bench/linesim"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

// TestParallelOverSerialLines runs %%board on three Unix-port boards,
// each behind an emulated 115,200-baud serial line (bench/linesim), and
// reports the parallel cell's time against each board's alone. Nothing
// about time is asserted: the figures go to the log.
func TestParallelOverSerialLines(t *testing.T) {
	mp := realboard.UnixPort(t)
	work := t.TempDir()
	t.Chdir(work)
	t.Setenv("IOTKERNEL_STORE", filepath.Join(work, "store.json"))
	t.Setenv("IOTKERNEL_BOARDS", filepath.Join(work, "boards.json"))
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	names := []string{"a", "b", "c"}
	for _, n := range names {
		dir := filepath.Join(work, n)
		for _, d := range []string{dir, dir + "-prog"} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		board, err := linesim.StartBoard(mp, dir, dir+"-prog")
		if err != nil {
			t.Fatalf("start board %s: %v", n, err)
		}
		t.Cleanup(func() { board.Close() })
		line, err := linesim.NewLine(board, linesim.Rate115200)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { line.Close() })
		cell := fmt.Sprintf("%%connect -q --as %s serial://%s\nname = %q", n, line.Path, n)
		if _, ce := runCell(t, s, context.Background(), cell); ce != nil {
			t.Fatalf("%s: %v", cell, ce)
		}
	}
	// A cell that prints 2 KB and works a little: time on the wire and on
	// the board both.
	body := "import time\nfor i in range(20):\n    print(name * 100)\ntime.sleep(0.1)\nname"
	var slowest time.Duration
	for _, n := range names {
		start := time.Now()
		if _, ce := runCell(t, s, context.Background(), "%%board "+n+"\n"+body); ce != nil {
			t.Fatalf("%s alone: %v", n, ce)
		}
		d := time.Since(start)
		slowest = max(slowest, d)
		t.Logf("%s alone: %v", n, d)
	}
	start := time.Now()
	rec, ce := runCell(t, s, context.Background(), "%%board a b c\n"+body)
	total := time.Since(start)
	if ce != nil {
		t.Fatalf("a b c: %v", ce)
	}
	if len(rec.Output().Displays) != 4 {
		t.Fatalf("%d displays, want 3 panes and the summary", len(rec.Output().Displays))
	}
	t.Logf("a b c at once: %v (%.2fx the slowest alone)", total, total.Seconds()/slowest.Seconds())

	// board.Eval("1+1") against a trivial board cell, on the same line.
	g := goBoards{s}
	if _, err := g.Eval(context.Background(), "a", "1+1"); err != nil { // defines the helpers
		t.Fatal(err)
	}
	const rounds = 20
	start = time.Now()
	for range rounds {
		if v, err := g.Eval(context.Background(), "a", "1+1"); err != nil || v != 2 {
			t.Fatalf("Eval: %v, %v", v, err)
		}
	}
	eval := time.Since(start) / rounds
	start = time.Now()
	for range rounds {
		if _, ce := runCell(t, s, context.Background(), "%%board a\n1+1"); ce != nil {
			t.Fatal(ce)
		}
	}
	cell := time.Since(start) / rounds
	t.Logf("board.Eval(\"a\", \"1+1\"): %v; the cell 1+1: %v (%.2fx)", eval, cell, eval.Seconds()/cell.Seconds())
}
