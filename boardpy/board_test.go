package boardpy_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/iotkernel/iotkernel/transport"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

// localBoard opens the real MicroPython Unix port as a board.
func localBoard(t *testing.T) *transport.Board {
	t.Helper()
	t.Setenv("IOTKERNEL_MICROPYTHON", realboard.UnixPort(t))
	b, err := transport.Open(context.Background(), "local", transport.Options{})
	if err != nil {
		t.Fatalf("open the Unix port: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// runOn runs code on b and returns what it printed.
func runOn(t *testing.T, b *transport.Board, code string) string {
	t.Helper()
	var out strings.Builder
	if err := b.Exec(context.Background(), code, &out, io.Discard); err != nil {
		t.Fatalf("%q: %v", code, err)
	}
	return out.String()
}

// checkClean fails the test when the board's globals hold names of the
// package's programs.
func checkClean(t *testing.T, b *transport.Board) {
	t.Helper()
	if got := runOn(t, b, "print([n for n in globals() if n.startswith('_ik')])\n"); got != "[]\n" {
		t.Errorf("names left on the board: %s", got)
	}
}

// failing is an Execer that runs the first n programs on ex, then fails
// every one after, as a board interrupted in the middle of an operation
// would; clean-ups run again once failed is true.
type failing struct {
	ex interface {
		Exec(ctx context.Context, code string, stdout, stderr io.Writer) error
	}
	n      int
	failed bool
}

var errInterrupted = errors.New("interrupted")

func (f *failing) Exec(ctx context.Context, code string, stdout, stderr io.Writer) error {
	if f.n == 0 && !f.failed {
		f.failed = true
		return errInterrupted
	}
	f.n--
	return f.ex.Exec(ctx, code, stdout, stderr)
}
