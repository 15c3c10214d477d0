package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/kernel"
	"github.com/iotkernel/iotkernel/kernel/kerneltest"
	"github.com/iotkernel/iotkernel/transport"
)

// stubBoard is a board that answers every cell with "board ok".
type stubBoard struct {
	url    string
	closed bool
}

func (b *stubBoard) Exec(ctx context.Context, code string, stdout, stderr io.Writer) error {
	_, err := io.WriteString(stdout, "board ok\n")
	return err
}
func (b *stubBoard) Run(ctx context.Context, code string, cio transport.IO) error {
	return b.Exec(ctx, code, cio.Stdout, cio.Stderr)
}
func (b *stubBoard) SoftReset(context.Context, io.Writer) error { return errors.New("no resets here") }
func (b *stubBoard) HardReset(context.Context, io.Writer) error { return errors.New("no resets here") }
func (b *stubBoard) URL() string                                { return b.url }
func (b *stubBoard) Protocol() string                           { return "raw" }
func (b *stubBoard) Close() error                               { b.closed = true; return nil }

// runCell executes one cell and returns what it wrote and its error.
func runCell(t *testing.T, s *Session, ctx context.Context, cell string) (*kerneltest.Recorder, *kernel.CellError) {
	t.Helper()
	rec := &kerneltest.Recorder{}
	err := s.Execute(ctx, cell, rec)
	if err == nil {
		return rec, nil
	}
	var ce *kernel.CellError
	if !errors.As(err, &ce) {
		t.Fatalf("cell %q: error %v is not a CellError", cell, err)
	}
	return rec, ce
}

func TestHostResetAfterStuckCell(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("IOTKERNEL_STORE", "store.json")
	var opened []*stubBoard
	s, err := NewSession(Options{Open: func(ctx context.Context, url string) (Board, error) {
		b := &stubBoard{url: url}
		opened = append(opened, b)
		return b, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	bg := context.Background()

	if _, ce := runCell(t, s, bg, "%connect socket://127.0.0.1:9"); ce != nil {
		t.Fatal(ce)
	}
	if _, ce := runCell(t, s, bg, "%%host\nx := 41\nfunc f() int { return x + 1 }\nkept := \"kept\"\n%store kept"); ce != nil {
		t.Fatal(ce)
	}
	// A server a cell leaves running: %hostreset closes it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if _, ce := runCell(t, s, bg, fmt.Sprintf("%%%%host\ngo http.ListenAndServe(%q, nil)", addr)); ce != nil {
		t.Fatal(ce)
	}
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the server never listened")
		}
	}

	ctx, cancel := context.WithCancel(bg)
	time.AfterFunc(100*time.Millisecond, cancel)
	_, ce := runCell(t, s, ctx, "%%host\nvar wg sync.WaitGroup\nwg.Add(1)\nwg.Wait()")
	cancel()
	if ce == nil || ce.Name != "KeyboardInterrupt" || !strings.Contains(strings.Join(ce.Traceback, "\n"), "%hostreset") {
		t.Fatalf("interrupting wg.Wait(): %+v, want a KeyboardInterrupt that suggests %%hostreset", ce)
	}

	_, ce = runCell(t, s, bg, "%%host\n1 + 1")
	if ce == nil || ce.Name != "HostBlockedError" || !strings.Contains(strings.Join(ce.Traceback, "\n"), "loses 4 definitions: f, kept, wg, x") {
		t.Fatalf("the next cell: %+v, want HostBlockedError offering %%hostreset and naming what it loses", ce)
	}

	rec, ce := runCell(t, s, bg, "%hostreset")
	if ce != nil {
		t.Fatal(ce)
	}
	if want := "A fresh Go interpreter is ready; lost 4 Go definitions: f, kept, wg, x. The board and %store are untouched.\n"; rec.Output().Stdout != want {
		t.Errorf("%%hostreset said %q, want %q", rec.Output().Stdout, want)
	}

	if l, err := net.Listen("tcp", addr); err != nil {
		t.Errorf("the server a cell left running still holds its port after %%hostreset: %v", err)
	} else {
		l.Close()
	}
	rec, ce = runCell(t, s, bg, "%%host\n1 + 1")
	if ce != nil || rec.Output().Result != "2" {
		t.Errorf("a cell after %%hostreset: result %q, error %+v; want 2", rec.Output().Result, ce)
	}
	if _, ce = runCell(t, s, bg, "%%host\nx"); ce == nil || !strings.Contains(ce.Value, "undefined: x") {
		t.Errorf("x after %%hostreset: %+v, want undefined", ce)
	}
	rec, ce = runCell(t, s, bg, "%%host\n%store -r kept\nkept")
	if ce != nil || rec.Output().Result != `kept` {
		t.Errorf("%%store -r after %%hostreset: result %q, error %+v", rec.Output().Result, ce)
	}
	rec, ce = runCell(t, s, bg, "print('hi')")
	if ce != nil || rec.Output().Stdout != "board ok\n" || len(opened) != 1 || opened[0].closed {
		t.Errorf("the board after %%hostreset: %q, %+v, %d opened; want the same board, still open", rec.Output().Stdout, ce, len(opened))
	}
}

// A session closed before its Go interpreter was needed does not build
// one, then or when its delayed build would have begun; asked for it
// afterwards, it says so.
func TestCloseBeforeHostIsBuilt(t *testing.T) {
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(hostWarmDelay + 100*time.Millisecond)
	s.hostMu.Lock()
	built := s.host != nil
	s.hostMu.Unlock()
	if built {
		t.Error("closing the session built the Go interpreter, or its delayed build still ran")
	}
	if in, err := s.interp(); in != nil || err == nil {
		t.Errorf("interp() after Close = %v, %v; want an error", in, err)
	}
}
