package router

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/kernel/kerneltest"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

// realSession returns a session with Unix-port boards connected under
// names, the last one current.
func realSession(t *testing.T, names ...string) *Session {
	t.Helper()
	t.Setenv("IOTKERNEL_MICROPYTHON", realboard.UnixPort(t))
	work := t.TempDir()
	t.Chdir(work)
	t.Setenv("IOTKERNEL_STORE", work+"/store.json")
	t.Setenv("IOTKERNEL_BOARDS", work+"/boards.json")
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, n := range names {
		cell := fmt.Sprintf("%%connect -q --as %s local\nname = %q", n, n)
		if _, ce := runCell(t, s, context.Background(), cell); ce != nil {
			t.Fatalf("%s: %v", cell, ce)
		}
	}
	return s
}

func TestParallelInterrupt(t *testing.T) {
	s := realSession(t, "a", "b", "c")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	rec := &kerneltest.Recorder{}
	err := s.Execute(ctx, "%%board a b c\nimport time\nprint('start', name)\nwhile True:\n    time.sleep(0.01)", rec)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted %%%%board cell: error %v, want context.Canceled", err)
	}
	shown := strings.Join(rec.Output().Displays, "\n")
	for _, n := range []string{"a", "b", "c"} {
		if !strings.Contains(shown, fmt.Sprintf("── %s (local) ── interrupted", n)) {
			t.Errorf("board %s not shown interrupted:\n%s", n, shown)
		}
		if !strings.Contains(shown, "start "+n) {
			t.Errorf("board %s's output missing:\n%s", n, shown)
		}
	}
	// Every board is back at its prompt, with its variables.
	rec, ce := runCell(t, s, context.Background(), "%%board a b c\nname")
	if ce != nil {
		t.Fatalf("after the interrupt: %v", ce)
	}
	shown = strings.Join(rec.Output().Displays, "\n")
	for _, n := range []string{"a", "b", "c"} {
		if !strings.Contains(shown, fmt.Sprintf("Out: '%s'", n)) {
			t.Errorf("board %s lost its variables:\n%s", n, shown)
		}
	}
}

// TestParallelTime runs a cell that sleeps a different time on each of
// three boards and reports the cell's time against the slowest board's.
// Nothing is asserted about time: the figure goes to the log.
func TestParallelTime(t *testing.T) {
	s := realSession(t, "a", "b", "c")
	start := time.Now()
	rec, ce := runCell(t, s, context.Background(), "%%board a b c\nimport time\ntime.sleep({'a': 0.3, 'b': 0.5, 'c': 0.7}[name])\nname")
	total := time.Since(start)
	if ce != nil {
		t.Fatal(ce)
	}
	if n := len(rec.Output().Displays); n != 4 {
		t.Fatalf("%d displays, want 3 panes and a summary:\n%s", n, strings.Join(rec.Output().Displays, "\n"))
	}
	t.Logf("three boards sleeping 0.3, 0.5 and 0.7 s: the cell took %.3f s (%.2fx the slowest)", total.Seconds(), total.Seconds()/0.7)
}

func TestGoBoardCallInterrupted(t *testing.T) {
	s := realSession(t, "a")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	err := s.Execute(ctx, "%%host\nout, err := board.Exec(\"a\", \"while True:\\n    pass\")\nfmt.Println(\"returned:\", err)", &kerneltest.Recorder{})
	if err == nil {
		t.Fatal("interrupted board.Exec: the cell did not fail")
	}
	t.Logf("interrupted after %v: %v", time.Since(start), err)
	// The board was interrupted too: it answers the next call.
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec, ce := runCell(t, s, ctx, "%%host\nv, err := board.Eval(\"a\", \"name\")\nfmt.Println(v, err)")
	if ce != nil || rec.Output().Stdout != "a <nil>\n" {
		t.Errorf("board.Eval after the interrupt: %q, %v", rec.Output().Stdout, ce)
	}
}

// BenchmarkEvalVsCell times board.Eval("1+1") from Go against a trivial
// board cell on the same Unix-port board (the figure: Eval at most 1.2x
// the cell).
func BenchmarkEvalVsCell(b *testing.B) {
	b.Setenv("IOTKERNEL_MICROPYTHON", realboard.UnixPort(b))
	s, err := NewSession(Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.Execute(ctx, "%connect -q --as a local", &kerneltest.Recorder{}); err != nil {
		b.Fatal(err)
	}
	g := goBoards{s}
	if _, err := g.Eval(ctx, "a", "1+1"); err != nil { // defines the helpers
		b.Fatal(err)
	}
	b.Run("Eval", func(b *testing.B) {
		for b.Loop() {
			if v, err := g.Eval(ctx, "a", "1+1"); err != nil || v != 2 {
				b.Fatal(v, err)
			}
		}
	})
	b.Run("Cell", func(b *testing.B) {
		for b.Loop() {
			if err := s.Execute(ctx, "1+1", &kerneltest.Recorder{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
