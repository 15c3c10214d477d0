package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/iotkernel/iotkernel/kernel"
	"github.com/iotkernel/iotkernel/magics"
	"github.com/iotkernel/iotkernel/store"
	"github.com/iotkernel/iotkernel/transport"
)

// cellEnv is the session as the magics of one cell see it (magics.Env).
// It lives for one cell; the board, interpreter and store it reaches are
// the session's.
type cellEnv struct {
	s    *Session
	out  kernel.Output
	host bool // the cell is a %%host cell: %store acts on Go variables
}

var _ magics.Env = (*cellEnv)(nil)

func (e *cellEnv) Stdout() io.Writer { return e.out.Stdout() }
func (e *cellEnv) Stderr() io.Writer { return e.out.Stderr() }

func (e *cellEnv) Display(data map[string]any, id string, update bool) {
	e.out.Display(kernel.MIMEBundle(data), nil, id, update)
}

func (e *cellEnv) Host() bool { return e.host }

func (e *cellEnv) SetNextInput(text string, replace bool) {
	if n, ok := e.out.(kernel.NextInputSetter); ok {
		n.SetNextInput(text, replace)
	}
}

func (e *cellEnv) Capture(w io.Writer) io.Writer {
	e.s.captureMu.Lock()
	defer e.s.captureMu.Unlock()
	old := e.s.capture
	e.s.capture = w
	return old
}

// Board returns the current board. A nil Board (no board) must come back
// as a nil interface, not as an interface holding a nil pointer.
func (e *cellEnv) Board() magics.Board {
	b := e.s.currentBoard()
	if b == nil {
		return nil
	}
	return b
}

// Connect closes the current board first, so that a %connect to the same
// serial port can open it again, then opens url.
func (e *cellEnv) Connect(ctx context.Context, url string) (magics.Board, error) {
	if err := e.Disconnect(); err != nil {
		fmt.Fprintf(e.Stderr(), "closing the previous board: %v\n", err)
	}
	// A WebREPL board with no password elsewhere asks in the notebook.
	ctx = transport.WithPasswordPrompt(ctx, func(ctx context.Context, prompt string) (string, error) {
		return e.out.Input(ctx, prompt, true)
	})
	b, err := e.s.open(ctx, url)
	if err != nil {
		return nil, err
	}
	e.s.setBoard(b)
	return b, nil
}

func (e *cellEnv) Disconnect() error {
	b := e.s.setBoard(nil)
	if b == nil {
		return nil
	}
	return b.Close()
}

func (e *cellEnv) LookupGo(name string) (any, bool) {
	in, err := e.s.interp()
	if err != nil {
		return nil, false
	}
	return in.Lookup(name)
}

func (e *cellEnv) DefineGo(name string, v any) error {
	in, err := e.s.interp()
	if err != nil {
		return err
	}
	return in.Define(name, v)
}

func (e *cellEnv) SetPlot(o *magics.PlotOptions) { e.s.plot = o }

func (e *cellEnv) ResetHost(ctx context.Context) ([]string, error) {
	return e.s.resetHost()
}

// Store opens the store on first use. A corrupt store file is moved aside
// by store.Open, which still returns a usable empty store: the user is
// told where the old file went, and the magic goes on.
func (e *cellEnv) Store() (*store.Store, error) {
	e.s.storeMu.Lock()
	defer e.s.storeMu.Unlock()
	if e.s.store != nil {
		return e.s.store, nil
	}
	path := e.s.storePath
	if path == "" {
		p, err := store.DefaultPath()
		if err != nil {
			return nil, err
		}
		path = p
	}
	st, err := store.Open(path)
	if st == nil {
		return nil, err
	}
	if err != nil {
		fmt.Fprintf(e.Stderr(), "store: %v\n", err)
	}
	e.s.store = st
	return st, nil
}

// Dir is the process's working directory: %cd changes it for the shell
// and for Go code in %%host cells alike.
func (e *cellEnv) Dir() string {
	d, err := os.Getwd()
	if err != nil {
		return "."
	}
	return d
}

func (e *cellEnv) Chdir(dir string) error {
	if err := os.Chdir(dir); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return fmt.Errorf("cd %s: %w", dir, pe.Err)
		}
		return err
	}
	return nil
}

func (e *cellEnv) Environ() []string { return os.Environ() }
