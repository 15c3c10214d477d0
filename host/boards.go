package host

import (
	"context"
	"errors"
	"reflect"
)

// boardPath is the import path of the board package in cells.
const boardPath = "board"

// Boards is what the board package of %%host cells reaches: the boards
// the session holds, by name. The host knows nothing more of boards; the
// session passes one in Options. Its methods are called from any
// goroutine a cell started, concurrently; ctx ends when the running cell
// is interrupted or the interpreter closes.
type Boards interface {
	// Eval evaluates a Python expression on the named board and returns
	// its value as Go (int, float64, string, []byte, bool, nil, slices,
	// maps).
	Eval(ctx context.Context, name, expr string) (any, error)
	// Exec runs Python code on the named board and returns what it
	// printed.
	Exec(ctx context.Context, name, code string) (string, error)
	// Call calls the named board's function fn with args (Go values the
	// store can hold) and returns its result as Eval does.
	Call(ctx context.Context, name, fn string, args ...any) (any, error)
	// Names lists the connected boards.
	Names() []string
}

// errNoBoards is what the board package says in an interpreter that was
// given no Boards.
var errNoBoards = errors.New("board: no boards in this interpreter")

// boardExports are the board package's symbols, bound to in.
func (in *Interp) boardExports(b Boards) map[string]reflect.Value {
	return map[string]reflect.Value{
		"Eval": reflect.ValueOf(func(name, expr string) (any, error) {
			if b == nil {
				return nil, errNoBoards
			}
			ctx, cancel := in.callContext()
			defer cancel()
			return b.Eval(ctx, name, expr)
		}),
		"Exec": reflect.ValueOf(func(name, code string) (string, error) {
			if b == nil {
				return "", errNoBoards
			}
			ctx, cancel := in.callContext()
			defer cancel()
			return b.Exec(ctx, name, code)
		}),
		"Call": reflect.ValueOf(func(name, fn string, args ...any) (any, error) {
			if b == nil {
				return nil, errNoBoards
			}
			ctx, cancel := in.callContext()
			defer cancel()
			return b.Call(ctx, name, fn, args...)
		}),
		"Names": reflect.ValueOf(func() []string {
			if b == nil {
				return nil
			}
			return b.Names()
		}),
	}
}

// callContext is the context of a blocking call made by interpreted
// code: it ends when the running cell is interrupted (as time.Sleep
// does) or the interpreter closes. The caller cancels it when the call
// returns.
func (in *Interp) callContext() (context.Context, context.CancelFunc) {
	in.mu.Lock()
	var stop chan struct{}
	if in.run != nil {
		stop = in.run.stop
	}
	in.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-stop:
		case <-in.done:
		case <-ctx.Done():
		}
		cancel()
	}()
	return ctx, cancel
}
