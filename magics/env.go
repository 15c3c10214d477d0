package magics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/store"
	"github.com/iotkernel/iotkernel/transport"
)

// Board is what magics need of a connected board. *transport.Board
// satisfies it.
type Board interface {
	// Exec runs Python code on the board, writing its output as it comes;
	// it returns when the board is ready again or ctx is done. A Python
	// exception on the board is a *transport.ExecError. Magics pass the
	// board to package boardpy, which writes the code.
	boardpy.Execer
	// SoftReset and HardReset reset the board, writing what it prints.
	SoftReset(ctx context.Context, out io.Writer) error
	HardReset(ctx context.Context, out io.Writer) error
	// URL is the link's URL; Protocol is "raw-paste" or "raw".
	URL() string
	Protocol() string
}

// Env is the running session as a magic sees it. The router implements it
// for one cell at a time; its methods are called from the goroutine that
// runs the magic, except Stdout and Stderr, whose writers %%bash feeds from
// two goroutines at once (each writer from one).
type Env interface {
	// Stdout and Stderr are the cell's output streams.
	Stdout() io.Writer
	Stderr() io.Writer
	// Display shows a MIME bundle (e.g. "text/plain", "text/html"). With
	// update false it adds an output with the given display id; with update
	// true it replaces the output shown under that id (progress bars).
	Display(data map[string]any, id string, update bool)

	// SetNextInput puts text in place of the running cell (replace), or
	// in a new cell below it, once the cell has run without error.
	SetNextInput(text string, replace bool)
	// Capture makes w receive a copy of what the board cells that follow
	// print (their output, results and errors), until Capture is called
	// again; nil stops capturing. It returns the writer it replaces, or
	// nil, for the caller to close.
	Capture(w io.Writer) io.Writer

	// Host reports whether the magic runs in a %%host cell (Go) rather
	// than a board cell (MicroPython); %store acts on that side.
	Host() bool

	// Board returns the current board, or nil when none is connected.
	Board() Board
	// Connect opens the board link at url (a transport URL), closing the
	// current board first so that the same port can be reopened, and
	// makes it current. On error no board is current.
	Connect(ctx context.Context, url string) (Board, error)
	// Disconnect closes the current board, if any; the slot is empty after.
	Disconnect() error

	// LookupGo returns a variable of the host Go interpreter.
	LookupGo(name string) (any, bool)
	// DefineGo defines (or redefines) a variable in the host interpreter.
	DefineGo(name string, v any) error
	// ResetHost replaces the host interpreter with a fresh one, closing
	// what the old one's cells opened, and returns the names that were
	// defined in the old one, sorted.
	ResetHost(ctx context.Context) (lost []string, err error)

	// SetPlot makes the session plot the output of the board cells that
	// follow with o (%plot on), or stop with nil.
	SetPlot(o *PlotOptions)

	// Store returns the %store store, opened on first use.
	Store() (*store.Store, error)

	// Dir is the host working directory used by %cd, ! and %%bash, and
	// for relative host paths.
	Dir() string
	// Chdir changes it. The router's Env calls os.Chdir, so that the host
	// interpreter sees the same directory.
	Chdir(dir string) error
	// Environ is the environment for ! and %%bash, as os.Environ gives it
	// at the time of the call (so os.Setenv in a %%host cell is seen).
	Environ() []string
}

// ErrNoBoard is the error for code or a magic that needs a board when
// none is connected. It matches transport.ErrNotConnected, as a link that
// closed does: the router tells the user how to connect one, once for both.
var ErrNoBoard error = noBoardError{}

type noBoardError struct{}

func (noBoardError) Error() string        { return "no board is connected" }
func (noBoardError) Is(target error) bool { return target == transport.ErrNotConnected }

// board returns env's current board or ErrNoBoard.
func board(env Env) (Board, error) {
	b := env.Board()
	if b == nil {
		return nil, ErrNoBoard
	}
	return b, nil
}

// getenv looks key up in env's environment.
func getenv(env Env, key string) string {
	for _, kv := range env.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// A UsageError reports a magic used the wrong way: an unknown magic or
// flag, a missing argument. The router shows it as ename "UsageError".
type UsageError struct {
	Magic string // the magic's name, without '%'; "" for an unknown magic
	Err   error
	Usage string // the magic's synopsis, "" when not relevant
}

func (e *UsageError) Error() string {
	s := e.Err.Error()
	if e.Magic != "" {
		s = "%" + e.Magic + ": " + s
	}
	if e.Usage != "" {
		s += "\nusage: " + e.Usage
	}
	return s
}

func (e *UsageError) Unwrap() error { return e.Err }

// usageErrorf returns a *UsageError with a formatted message; the
// registry fills in the magic and its synopsis.
func usageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// isUsage reports whether err is a *UsageError.
func isUsage(err error) (*UsageError, bool) {
	var ue *UsageError
	ok := errors.As(err, &ue)
	return ue, ok
}
