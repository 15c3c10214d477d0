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
	host bool       // the cell is a %%host cell: %store acts on Go variables
	run  *cellRun   // the cell's run, which holds the boards its code ran on
	on   *boardConn // the board of a %%board cell; nil: the current board
	// noInput, when set, is why input() on the board fails (a cell on
	// several boards at once, or in the background, asks nobody).
	noInput string
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

// Board returns the cell's board: the current one, unless the cell runs
// on another. A nil Board (no board) must come back as a nil interface,
// not as an interface holding a nil value.
func (e *cellEnv) Board() magics.Board {
	c := e.conn()
	if c == nil {
		return nil
	}
	return guarded{c, e.run}
}

// conn returns the cell's board, or nil.
func (e *cellEnv) conn() *boardConn {
	if e.on != nil {
		return e.on
	}
	return e.s.currentConn()
}

// holdBoard makes the cell hold its board until it ends, and returns it.
func (e *cellEnv) holdBoard() (guarded, error) {
	c := e.conn()
	if c == nil {
		return guarded{}, magics.ErrNoBoard
	}
	release, err := c.hold(e.run)
	if err != nil {
		return guarded{}, err
	}
	e.run.mu.Lock()
	e.run.releases = append(e.run.releases, release)
	e.run.mu.Unlock()
	return guarded{c, e.run}, nil
}

// release gives back the boards the cell held.
func (e *cellEnv) release() {
	e.run.mu.Lock()
	rs := e.run.releases
	e.run.releases = nil
	e.run.mu.Unlock()
	for _, r := range rs {
		r()
	}
}

// askPassword lets a WebREPL board with no password elsewhere ask for it
// in the notebook.
func (e *cellEnv) askPassword(ctx context.Context) context.Context {
	return transport.WithPasswordPrompt(ctx, func(ctx context.Context, prompt string) (string, error) {
		return e.out.Input(ctx, prompt, true)
	})
}

// Connect replaces the current board with the board at url, kept under
// its URL as name (magics.BoardSet's ConnectAs keeps several).
func (e *cellEnv) Connect(ctx context.Context, url string) (magics.Board, error) {
	if err := e.Disconnect(); err != nil {
		fmt.Fprintf(e.Stderr(), "closing the previous board: %v\n", err)
	}
	c, err := e.s.connectAs(e.askPassword(ctx), url, url)
	if err != nil {
		return nil, err
	}
	return guarded{c, e.run}, nil
}

// Disconnect closes the current board, if any.
func (e *cellEnv) Disconnect() error {
	c, _ := e.s.removeBoard("")
	if c == nil {
		return nil
	}
	return e.s.closeBoard(c)
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
