package main

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/iotkernel/iotkernel/magics"
	"github.com/iotkernel/iotkernel/store"
)

// cpEnv is the smallest magics.Env that %cp needs: a connected board, a
// working directory, output streams. Everything else is refused.
type cpEnv struct {
	board          magics.Board
	dir            string
	stdout, stderr io.Writer
}

func (e *cpEnv) Stdout() io.Writer                                   { return e.stdout }
func (e *cpEnv) Stderr() io.Writer                                   { return e.stderr }
func (e *cpEnv) Display(data map[string]any, id string, update bool) {}
func (e *cpEnv) Host() bool                                          { return false }
func (e *cpEnv) Board() magics.Board                                 { return e.board }
func (e *cpEnv) Connect(ctx context.Context, url string) (magics.Board, error) {
	return nil, errors.New("the benchmark does not reconnect")
}
func (e *cpEnv) Disconnect() error                { return errors.New("the benchmark does not disconnect") }
func (e *cpEnv) LookupGo(name string) (any, bool) { return nil, false }
func (e *cpEnv) DefineGo(name string, v any) error {
	return errors.New("no Go interpreter in the benchmark")
}
func (e *cpEnv) ResetHost(ctx context.Context) ([]string, error) {
	return nil, errors.New("no Go interpreter in the benchmark")
}
func (e *cpEnv) Store() (*store.Store, error) { return nil, errors.New("no store in the benchmark") }
func (e *cpEnv) Dir() string                  { return e.dir }
func (e *cpEnv) Chdir(dir string) error       { e.dir = dir; return nil }
func (e *cpEnv) Environ() []string            { return os.Environ() }
