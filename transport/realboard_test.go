package transport_test

// Tests of the transport against real MicroPython builds: the BBC micro:bit firmware on QEMU, MicroPython 1.27
// compiled to WebAssembly behind scripts/wasm-board/bridge.mjs, and the
// MicroPython 1.25 Unix port from Debian 13 with the board program of
// package boardprog. Package realboard starts them (and says where it
// looks for them); a board that cannot be started skips its tests with
// the reason, or fails them where real boards are required (make test,
// CI=true).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/transport"
)

func openBoard(t *testing.T, url string) *transport.Board {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := transport.Open(ctx, url, transport.Options{})
	if err != nil {
		t.Fatalf("Open(%q): %v", url, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// run executes code and returns its stdout, stderr and error, failing the
// test if the cell does not finish within a minute.
func run(t *testing.T, b *transport.Board, code string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return runCtx(ctx, b, code)
}

func runCtx(ctx context.Context, b *transport.Board, code string) (string, string, error) {
	var stdout, stderr bytes.Buffer
	err := b.Exec(ctx, code, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

// mustRun executes code, which must not fail, and returns its stdout.
func mustRun(t *testing.T, b *transport.Board, code string) string {
	t.Helper()
	out, errOut, err := run(t, b, code)
	if err != nil {
		t.Fatalf("Exec(%.60q): %v (stdout %q, stderr %q)", code, err, out, errOut)
	}
	return out
}

// wantExecError checks that err is the board's exception of type typ.
func wantExecError(t *testing.T, what string, err error, typ string) *transport.ExecError {
	t.Helper()
	var ee *transport.ExecError
	if !errors.As(err, &ee) {
		t.Fatalf("%s: error %v (%T), want *transport.ExecError %s", what, err, err, typ)
	}
	if ee.Type != typ {
		t.Fatalf("%s: board raised %s (%q, traceback %q), want %s", what, ee.Type, ee.Value, ee.Traceback, typ)
	}
	return ee
}

// The checks every real board passes.

func checkPrint(t *testing.T, b *transport.Board) {
	t.Helper()
	if out := mustRun(t, b, "print('hello', 6 * 7)"); out != "hello 42\n" {
		t.Errorf("print cell: stdout %q, want %q", out, "hello 42\n")
	}
	mustRun(t, b, "kept = 'still here'")
	if out := mustRun(t, b, "print(kept)"); out != "still here\n" {
		t.Errorf("variable across cells: stdout %q, want %q", out, "still here\n")
	}
	if out := mustRun(t, b, "for i in range(3):\n    print(i)\n"); out != "0\n1\n2\n" {
		t.Errorf("loop cell: stdout %q, want %q", out, "0\n1\n2\n")
	}
}

func checkError(t *testing.T, b *transport.Board) {
	t.Helper()
	out, errOut, err := run(t, b, "print('before')\nundefined_name\n")
	ee := wantExecError(t, "cell using an undefined name", err, "NameError")
	// MicroPython says "isn't defined"; 1.9 said "is not defined".
	if !strings.HasPrefix(ee.Value, "name 'undefined_name' is") || !strings.HasSuffix(ee.Value, " defined") {
		t.Errorf("NameError value %q, want \"name 'undefined_name' isn't defined\"", ee.Value)
	}
	if out != "before\n" {
		t.Errorf("stdout before the error: %q, want %q", out, "before\n")
	}
	if !strings.Contains(errOut, "line 2") || !strings.Contains(errOut, "NameError") {
		t.Errorf("traceback %q, want the board's traceback naming line 2", errOut)
	}
	_, _, err = run(t, b, "def broken(:\n    pass\n")
	wantExecError(t, "cell with a syntax error", err, "SyntaxError")
	if out := mustRun(t, b, "print('after errors')"); out != "after errors\n" {
		t.Errorf("cell after errors: stdout %q", out)
	}
}

// checkPrintedEOT prints 0x04, the byte that also ends a cell's output in
// the raw REPL: it must arrive as output, a traceback after it must stay
// the cell's error, and the link must stay in step.
func checkPrintedEOT(t *testing.T, b *transport.Board) {
	t.Helper()
	if out := mustRun(t, b, "print('a\\x04b')"); out != "a\x04b\n" {
		t.Errorf("cell printing a 0x04 inside a line: stdout %q, want %q", out, "a\x04b\n")
	}
	if out := mustRun(t, b, "print('end\\x04', end='')"); out != "end\x04" {
		t.Errorf("cell printing a 0x04 last: stdout %q, want %q", out, "end\x04")
	}
	out, errOut, err := run(t, b, "print('\\x04')\nraise ValueError('after')\n")
	ee := wantExecError(t, "cell printing 0x04, then raising", err, "ValueError")
	if ee.Value != "after" || out != "\x04\n" || !strings.Contains(errOut, "line 2") {
		t.Errorf("cell printing 0x04, then raising: value %q, stdout %q, traceback %q", ee.Value, out, errOut)
	}
	if out := mustRun(t, b, "print('in step')"); out != "in step\n" {
		t.Errorf("cell after the 0x04 cells: stdout %q", out)
	}
}

// checkInterrupt runs code that does not end by itself, cancels the cell
// after a while, and checks the board stopped with KeyboardInterrupt and
// kept its variables.
func checkInterrupt(t *testing.T, b *transport.Board, setup, code, check, want string) {
	t.Helper()
	mustRun(t, b, setup)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(700*time.Millisecond, cancel)
	start := time.Now()
	_, _, err := runCtx(ctx, b, code)
	took := time.Since(start)
	wantExecError(t, "interrupted cell", err, "KeyboardInterrupt")
	if took > 5*time.Second {
		t.Errorf("interrupt took %v", took)
	}
	t.Logf("cell interrupted %v after cancel", took-700*time.Millisecond)
	if out := mustRun(t, b, check); out != want {
		t.Errorf("after the interrupt %q printed %q, want %q (variables kept)", check, out, want)
	}
}

func checkSoftReset(t *testing.T, b *transport.Board) {
	t.Helper()
	mustRun(t, b, "before_reset = 1")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := b.SoftReset(ctx, &out); err != nil {
		t.Fatalf("SoftReset: %v (output %q)", err, out.String())
	}
	_, _, err := run(t, b, "print(before_reset)")
	wantExecError(t, "variable after a soft reset", err, "NameError")
	if out := mustRun(t, b, "print('back')"); out != "back\n" {
		t.Errorf("cell after soft reset: stdout %q", out)
	}
}

// bigCell returns a cell of at least size bytes that prints the sum of the
// numbers it adds up, and that sum.
// checkRawPasteBoard runs the checks every board with raw-paste passes:
// its identity (what it prints for sys.platform and the version), print,
// errors, soft reset, and a 20 KB cell, run cellRuns times in a row.
func checkRawPasteBoard(t *testing.T, url, identity string, cellRuns int) {
	t.Run("Identity", func(t *testing.T) {
		b := openBoard(t, url)
		if out := mustRun(t, b, "import sys\nprint(sys.platform, sys.implementation.version[:2])"); out != identity {
			t.Errorf("board says %q, want %q", out, identity)
		}
		if p := b.Protocol(); p != "raw-paste" {
			t.Errorf("Protocol() = %q, want %q", p, "raw-paste")
		}
	})
	t.Run("Print", func(t *testing.T) { checkPrint(t, openBoard(t, url)) })
	t.Run("Error", func(t *testing.T) { checkError(t, openBoard(t, url)) })
	t.Run("SoftReset", func(t *testing.T) { checkSoftReset(t, openBoard(t, url)) })
	t.Run("PrintedEOT", func(t *testing.T) { checkPrintedEOT(t, openBoard(t, url)) })
	t.Run("Cell20K", func(t *testing.T) {
		b := openBoard(t, url)
		code, sum := bigCell(20 * 1024)
		for i := range cellRuns {
			if out := mustRun(t, b, code); out != fmt.Sprintf("%d\n", sum) {
				t.Errorf("20 KB cell, run %d, printed %q, want %d", i+1, out, sum)
			}
		}
	})
}

func bigCell(size int) (string, int) {
	var b strings.Builder
	b.WriteString("total = 0\n")
	sum := 0
	for i := 0; b.Len() < size-len("print(total)\n"); i++ {
		fmt.Fprintf(&b, "total += %d\n", i%10)
		sum += i % 10
	}
	b.WriteString("print(total)\n")
	return b.String(), sum
}
