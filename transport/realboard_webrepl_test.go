package transport_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/transport"
	"github.com/iotkernel/iotkernel/transport/boardprog"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

// MicroPython's own WebREPL (extmod/modwebrepl.c, modwebsocket.c) on the
// Unix port built by scripts/install-boards.sh, with the board program of
// package boardprog as its raw REPL (see realboard/webrepl_board.py).

const webreplPassword = "tests"

func webreplBoard(t *testing.T) *realboard.WebREPLBoard {
	t.Helper()
	prog, err := boardprog.WriteFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return realboard.WebREPL(t, webreplPassword, prog, 0)
}

func openWebREPL(t *testing.T, url, password string) *transport.Board {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	b, err := transport.Open(transport.WithPassword(ctx, password), url, transport.Options{})
	if err != nil {
		t.Fatalf("Open(%q): %v", url, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestWebREPLBoard(t *testing.T) {
	t.Setenv(transport.PasswordEnv, "")
	wb := webreplBoard(t)
	// Each subtest connects anew; one client at a time, as on an ESP32.
	t.Run("Identity", func(t *testing.T) {
		b := openWebREPL(t, wb.URL, webreplPassword)
		if out := mustRun(t, b, "import sys\nprint(sys.platform, sys.implementation.version[:2])"); out != "linux (1, 25)\n" {
			t.Errorf("board says %q", out)
		}
		if p := b.Protocol(); p != "raw-paste" {
			t.Errorf("Protocol() = %q, want raw-paste", p)
		}
		// The WebREPL module is the board's own: the link really is it.
		if out := mustRun(t, b, "import _webrepl, os\nprint(hasattr(os, 'dupterm'))"); out != "True\n" {
			t.Errorf("board without os.dupterm: %q", out)
		}
	})
	t.Run("Print", func(t *testing.T) { checkPrint(t, openWebREPL(t, wb.URL, webreplPassword)) })
	t.Run("Error", func(t *testing.T) { checkError(t, openWebREPL(t, wb.URL, webreplPassword)) })
	t.Run("PrintedEOT", func(t *testing.T) { checkPrintedEOT(t, openWebREPL(t, wb.URL, webreplPassword)) })
	t.Run("SoftReset", func(t *testing.T) { checkSoftReset(t, openWebREPL(t, wb.URL, webreplPassword)) })
	t.Run("Cell20K", func(t *testing.T) {
		b := openWebREPL(t, wb.URL, webreplPassword)
		code, sum := bigCell(20 * 1024)
		for i := range 3 {
			if out := mustRun(t, b, code); out != itoa(sum)+"\n" {
				t.Errorf("20 KB cell, run %d, printed %q, want %d", i+1, out, sum)
			}
		}
	})
	t.Run("Streaming", func(t *testing.T) {
		// Output arrives while the cell runs, not at its end.
		b := openWebREPL(t, wb.URL, webreplPassword)
		first := make(chan time.Time, 1)
		w := &notifyWriter{first: first}
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := b.Exec(ctx, "import time\nprint('early')\ntime.sleep(1.5)\nprint('late')\n", w, nil); err != nil {
			t.Fatal(err)
		}
		end := time.Now()
		if got := w.String(); got != "early\nlate\n" {
			t.Fatalf("printed %q", got)
		}
		if at := <-first; end.Sub(at) < time.Second {
			t.Errorf("first output came %v after the start and %v before the end: not streamed", at.Sub(start), end.Sub(at))
		}
	})
	t.Run("Input", func(t *testing.T) {
		b := openWebREPL(t, wb.URL, webreplPassword)
		var out bytes.Buffer
		var prompts []string
		err := b.Run(context.Background(), "name = input('who? ')\nprint('hi', name)\n", transport.IO{
			Stdout: &out,
			Input: func(ctx context.Context, prompt string) (string, error) {
				prompts = append(prompts, prompt)
				return "board", nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(prompts) != 1 || prompts[0] != "who? " || !strings.Contains(out.String(), "hi board\n") {
			t.Errorf("prompts %q, output %q", prompts, out.String())
		}
	})
	t.Run("WrongPassword", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		start := time.Now()
		_, err := transport.Open(transport.WithPassword(ctx, "nottheone"), wb.URL, transport.Options{})
		var ae *transport.AuthError
		if !errors.As(err, &ae) {
			t.Fatalf("Open with a wrong password: %v (%T), want *transport.AuthError", err, err)
		}
		if strings.Contains(err.Error(), "nottheone") {
			t.Errorf("error %q shows the password", err)
		}
		t.Logf("refused after %v: %v", time.Since(start), err)
		// The board serves the next client.
		b := openWebREPL(t, wb.URL, webreplPassword)
		if out := mustRun(t, b, "print('after')"); out != "after\n" {
			t.Errorf("after a refused login: %q", out)
		}
	})
	t.Run("InterruptEscalates", func(t *testing.T) {
		// Nothing reads this board's WebREPL while code runs, so the
		// Ctrl-C cannot stop the cell (an ESP32 takes it at once): the
		// transport must send it, send it again, then say so and
		// offer a hard reset; the board is usable once the cell ends.
		b := openWebREPL(t, wb.URL, webreplPassword)
		mustRun(t, b, "kept = 5")
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(300*time.Millisecond, cancel)
		_, _, err := runCtx(ctx, b, "import time\ntime.sleep(4)\n")
		if !errors.Is(err, transport.ErrInterruptIgnored) || !strings.Contains(err.Error(), "%hardreset") {
			t.Fatalf("interrupt on a board that cannot take it: %v, want ErrInterruptIgnored offering %%hardreset", err)
		}
		if out := mustRun(t, b, "print(kept)"); out != "5\n" {
			t.Errorf("once the cell ended: %q, want the variable kept", out)
		}
	})
	t.Run("Files", func(t *testing.T) {
		b := openWebREPL(t, wb.URL, webreplPassword)
		dir := t.TempDir()
		name := dir + "/f.bin"
		if len(name) > 63 {
			t.Skipf("temp dir %s too long for WebREPL's 64-byte names", dir)
		}
		data := make([]byte, 64<<10+3)
		rand.Read(data)
		ctx := context.Background()
		if err := b.WriteFile(ctx, name, data); err != nil {
			t.Fatalf("WriteFile over WebREPL: %v", err)
		}
		if out := mustRun(t, b, "import os\nprint(os.stat("+quote(name)+")[6])"); out != itoa(len(data))+"\n" {
			t.Errorf("the board's file has size %q, want %d", out, len(data))
		}
		back, err := b.ReadFile(ctx, name)
		if err != nil || !bytes.Equal(back, data) {
			t.Fatalf("ReadFile over WebREPL: %d bytes, %v; want the %d written", len(back), err, len(data))
		}
		// A file the board cannot open makes its WebREPL raise and drop
		// the client: the caller is told to fall back, and the next
		// cell logs in again, with the board's variables kept.
		mustRun(t, b, "kept = 'yes'")
		if _, err := b.ReadFile(ctx, dir+"/none"); !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("ReadFile of a missing file: %v, want errors.ErrUnsupported", err)
		}
		if out := mustRun(t, b, "print(kept)"); out != "yes\n" {
			t.Errorf("cell after a refused read: %q", out)
		}
	})
	t.Run("BoardGoneAndBack", func(t *testing.T) {
		prog, err := boardprog.WriteFile(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		own := realboard.WebREPL(t, webreplPassword, prog, 0)
		b := openWebREPL(t, own.URL, webreplPassword)
		mustRun(t, b, "x = 1")
		// Power lost mid-cell: the cell fails as on a serial board.
		time.AfterFunc(500*time.Millisecond, own.Kill)
		_, _, err = run(t, b, "import time\ntime.sleep(30)\n")
		if !errors.Is(err, transport.ErrStateLost) {
			t.Fatalf("cell on a board that died: %v, want a state-lost error", err)
		}
		// The board comes back on the same port: the next cell logs in.
		port := own.Addr[strings.LastIndex(own.Addr, ":")+1:]
		realboard.WebREPL(t, webreplPassword, prog, atoi(t, port))
		if out := mustRun(t, b, "print('back')"); out != "back\n" {
			t.Errorf("cell after the board came back: %q", out)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// quote is a Python string literal for a plain path.
func quote(s string) string { return "'" + s + "'" }

// notifyWriter keeps what is written and reports when the first write came.
type notifyWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	first chan time.Time
}

func (w *notifyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() == 0 && len(p) > 0 {
		w.first <- time.Now()
	}
	return w.buf.Write(p)
}

func (w *notifyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
