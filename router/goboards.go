package router

import (
	"context"
	"fmt"
	"strings"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/host"
	"github.com/iotkernel/iotkernel/store"
)

// goBoards is the session's boards as the board package of %%host cells
// reaches them (host.Boards). Calls take turns on each board (its link
// runs one at a time) and run beside calls on other boards; a board that
// a cell holds, in the foreground or the background, fails them at once
// with a *BusyError.
type goBoards struct{ s *Session }

var _ host.Boards = goBoards{}

func (g goBoards) board(name string) (guarded, error) {
	c, err := g.s.boardNamed(name)
	if err != nil {
		return guarded{}, fmt.Errorf("board %q: %w", name, err)
	}
	return guarded{c, nil}, nil
}

func (g goBoards) Eval(ctx context.Context, name, expr string) (any, error) {
	b, err := g.board(name)
	if err != nil {
		return nil, err
	}
	v, err := boardpy.Eval(ctx, b, expr)
	if err != nil {
		return nil, goBoardError(name, err)
	}
	return v.Go(), nil
}

func (g goBoards) Exec(ctx context.Context, name, code string) (string, error) {
	b, err := g.board(name)
	if err != nil {
		return "", err
	}
	var out strings.Builder
	if err := b.Exec(ctx, code, &out, nil); err != nil {
		return out.String(), goBoardError(name, err)
	}
	return strings.ReplaceAll(out.String(), "\r\n", "\n"), nil
}

func (g goBoards) Call(ctx context.Context, name, fn string, args ...any) (any, error) {
	vals := make([]store.Value, len(args))
	for i, a := range args {
		v, err := store.FromGo(a)
		if err != nil {
			return nil, fmt.Errorf("board %s: call %s: argument %d: %w", name, fn, i+1, err)
		}
		vals[i] = v
	}
	expr, err := boardpy.CallExpr(fn, vals...)
	if err != nil {
		return nil, fmt.Errorf("board %s: call %s: %w", name, fn, err)
	}
	return g.Eval(ctx, name, expr)
}

func (g goBoards) Names() []string { return g.s.connectedNames() }

// goBoardError names the board in an error that does not already.
func goBoardError(name string, err error) error {
	if _, ok := err.(*BusyError); ok {
		return err
	}
	return fmt.Errorf("board %s: %w", name, err)
}
