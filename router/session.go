// Package router owns the per-kernel Session: it parses each cell (its
// cell magic, the line magics and shell commands at column 0), decides
// where each part runs (the board, the host Go interpreter, the shell),
// and turns every failure into the ename/evalue/traceback a notebook
// shows, in one place (errors.go).
//
// It implements kernel.Executor. It never touches sockets, nor raw bytes on
// a serial line: boards are reached through the small Board interface.
package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/iotkernel/iotkernel/host"
	"github.com/iotkernel/iotkernel/kernel"
	"github.com/iotkernel/iotkernel/pysource"
)

// Board is what the session needs of a connected board.
type Board interface {
	// Exec runs code on the board, streaming its output; it returns when
	// the board is ready for the next cell or ctx is done.
	Exec(ctx context.Context, code string, stdout, stderr io.Writer) error
	Close() error
}

// Options configure a Session.
type Options struct {
	Logger *slog.Logger
}

// Session is one kernel's state: the host interpreter and the board.
// Its methods are called one at a time by the kernel (kernel.Executor).
type Session struct {
	log   *slog.Logger
	board Board // nil until %connect

	// The Go interpreter takes a tenth of a second to build, so it is
	// built in the background: the kernel answers kernel_info at once,
	// and the first %%host cell waits for it.
	hostReady chan struct{}
	host      *host.Interp
	hostErr   error
}

// NewSession starts building the host interpreter and returns at once.
func NewSession(opts Options) (*Session, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Session{log: log, hostReady: make(chan struct{})}
	go func() {
		defer close(s.hostReady)
		s.host, s.hostErr = host.New(host.Options{Logger: log})
		if s.hostErr != nil {
			s.hostErr = fmt.Errorf("start the Go interpreter: %w", s.hostErr)
			log.Error("host interpreter", "err", s.hostErr)
		}
	}()
	return s, nil
}

// interp waits for the host interpreter.
func (s *Session) interp() (*host.Interp, error) {
	<-s.hostReady
	return s.host, s.hostErr
}

// LanguageInfo is kernel_info's language_info: board cells are Python.
func LanguageInfo() map[string]any {
	return map[string]any{
		"name":               "python",
		"version":            "3.4",
		"mimetype":           "text/x-python",
		"file_extension":     ".py",
		"pygments_lexer":     "python3",
		"codemirror_mode":    map[string]any{"name": "python", "version": 3},
		"nbconvert_exporter": "python",
	}
}

// Execute runs one cell (kernel.Executor).
func (s *Session) Execute(ctx context.Context, code string, out kernel.Output) error {
	c := Parse(code)
	if c.Unknown() {
		return unknownCellMagic(c.Magic)
	}
	switch c.Kind {
	case HostCell:
		return s.runSegments(ctx, c, out, s.runGo)
	case BoardCell:
		return s.runSegments(ctx, c, out, s.runBoard)
	default:
		return &kernel.CellError{Name: "UsageError", Value: fmt.Sprintf("%%%%%s is not available yet", strings.Fields(c.Magic)[0])}
	}
}

// runSegments runs a cell's segments in order, code through run, and
// stops at the first failure.
func (s *Session) runSegments(ctx context.Context, c Cell, out kernel.Output, run func(context.Context, string, int, kernel.Output) error) error {
	for _, seg := range c.Segments {
		var err error
		switch seg.Kind {
		case Code:
			err = run(ctx, seg.Text, seg.Line, out)
		case LineMagic:
			err = &kernel.CellError{Name: "UsageError", Value: fmt.Sprintf("line magics are not available yet: %%%s", seg.Text)}
		case Shell:
			err = &kernel.CellError{Name: "UsageError", Value: fmt.Sprintf("shell commands are not available yet: !%s", seg.Text)}
		}
		if err != nil {
			return cellError(err)
		}
	}
	return nil
}

// runGo evaluates Go code in the host interpreter.
func (s *Session) runGo(ctx context.Context, code string, _ int, out kernel.Output) error {
	in, err := s.interp()
	if err != nil {
		return err
	}
	res, err := in.Eval(ctx, code, s.hostIO(out))
	if err != nil {
		return err
	}
	if res.Has {
		out.Result(kernel.MIMEBundle{"text/plain": res.Value}, nil)
	}
	return nil
}

func (s *Session) hostIO(out kernel.Output) host.IO {
	return host.IO{
		Stdout: out.Stdout(),
		Stderr: out.Stderr(),
		Input: func(ctx context.Context, prompt string) (string, error) {
			return out.Input(ctx, prompt, false)
		},
		Display: func(data, metadata map[string]any, displayID string, update bool) {
			out.Display(kernel.MIMEBundle(data), metadata, displayID, update)
		},
		Clear: out.ClearOutput,
	}
}

// errNoBoard is the answer to a board cell when no board is connected:
// never run it somewhere else.
var errNoBoard = &kernel.CellError{
	Name:  "NoBoardError",
	Value: "no board is connected",
	Traceback: []string{
		"NoBoardError: no board is connected, so this MicroPython cell did not run.",
		"  Connect one first:  %connect esp32   (or %connect serial:///dev/ttyUSB0, %connect local)",
		"  or run Go on this computer by starting the cell with %%host",
	},
}

// runBoard runs MicroPython code on the board, showing the value of a
// final expression as the REPL would. firstLine is the code's line in the
// cell: blank lines in front make the board's tracebacks name cell lines.
func (s *Session) runBoard(ctx context.Context, code string, firstLine int, out kernel.Output) error {
	if s.board == nil {
		return errNoBoard
	}
	wrapped, _ := withResult(code)
	wrapped = strings.Repeat("\n", firstLine-1) + wrapped
	stdout := &resultFilter{w: out.Stdout()}
	if err := s.board.Exec(ctx, wrapped, stdout, out.Stderr()); err != nil {
		return err
	}
	if r, ok := stdout.Result(); ok {
		out.Result(kernel.MIMEBundle{"text/plain": r}, nil)
	}
	return nil
}

// Complete returns completions (kernel.Executor). Offsets are runes.
func (s *Session) Complete(ctx context.Context, code string, cursor int) kernel.Completion {
	c := Parse(code)
	if in, err := s.interp(); c.Kind == HostCell && err == nil {
		off := utf8.RuneCountInString(code) - utf8.RuneCountInString(c.Body)
		if cursor >= off {
			matches, start, end := in.Complete(c.Body, cursor-off)
			return kernel.Completion{Matches: matches, CursorStart: start + off, CursorEnd: end + off}
		}
	}
	return kernel.Completion{}
}

// Inspect describes the name at cursor (kernel.Executor).
func (s *Session) Inspect(ctx context.Context, code string, cursor, detail int) (kernel.MIMEBundle, bool) {
	c := Parse(code)
	if in, err := s.interp(); c.Kind == HostCell && err == nil {
		off := utf8.RuneCountInString(code) - utf8.RuneCountInString(c.Body)
		if cursor >= off {
			if text, ok := in.Inspect(c.Body, cursor-off); ok {
				return kernel.MIMEBundle{"text/plain": text}, true
			}
		}
	}
	return nil, false
}

// IsComplete judges Go cells as Go and board cells as Python, ignoring
// magic and shell lines (kernel.Executor).
func (s *Session) IsComplete(code string) (string, string) {
	c := Parse(code)
	switch {
	case c.Unknown():
		return "invalid", ""
	case c.Kind == HostCell:
		return host.IsComplete(codeOnly(c))
	case c.Kind == BoardCell:
		return pysource.IsComplete(codeOnly(c))
	default:
		return "complete", ""
	}
}

// codeOnly joins a cell's code segments, blanking magic and shell lines.
func codeOnly(c Cell) string {
	var parts []string
	for _, seg := range c.Segments {
		if seg.Kind == Code {
			parts = append(parts, seg.Text)
		}
	}
	// Keep the cell's trailing newline: "for i in x:\n" differs from
	// "for i in x:" for Python's REPL rules.
	s := strings.Join(parts, "\n")
	if strings.HasSuffix(c.Body, "\n") {
		s += "\n"
	}
	return s
}

// Close releases the board and the interpreter (kernel.Executor).
func (s *Session) Close() error {
	var errs []error
	if s.board != nil {
		errs = append(errs, s.board.Close())
		s.board = nil
	}
	if in, err := s.interp(); err == nil {
		errs = append(errs, in.Close())
	}
	return errors.Join(errs...)
}
