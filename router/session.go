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
	"sync"
	"sync/atomic"
	"time"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/crash"
	"github.com/iotkernel/iotkernel/host"
	"github.com/iotkernel/iotkernel/kernel"
	"github.com/iotkernel/iotkernel/magics"
	"github.com/iotkernel/iotkernel/pysource"
	"github.com/iotkernel/iotkernel/store"
	"github.com/iotkernel/iotkernel/transport"
)

// Board is what the session needs of a connected board: what the magics
// need (Exec, the resets, URL, Protocol), Run for cells, which may call
// input(), and Close. *transport.Board is one.
type Board interface {
	magics.Board
	Run(ctx context.Context, code string, cio transport.IO) error
	Close() error
}

// Options configure a Session. The zero value uses the real system.
type Options struct {
	Logger *slog.Logger
	// Open opens a board link for %connect; default transport.Open.
	Open func(ctx context.Context, url string) (Board, error)
	// Magics configures the magic registry (discovery, clock...).
	Magics magics.Options
	// StorePath is the %store file; default store.DefaultPath().
	StorePath string
	// Crash records the running %%host cell and the board for the report
	// after a fatal error, and holds what the previous kernel left; nil
	// records nothing.
	Crash *crash.Log
}

// Session is one kernel's state: the host interpreter, the connected
// boards (by name, one of them current), the background cells, the
// store. Execute is called one cell at a time; Complete, Inspect and
// IsComplete may be called while a cell runs (the kernel answers them on
// its shell goroutine), and background cells and Go code reach the boards
// from goroutines of their own, so the board set is guarded, each board
// knows which cell holds it (boards.go), and board completion is skipped
// while a cell runs.
type Session struct {
	log     *slog.Logger
	open    func(ctx context.Context, url string) (Board, error)
	magics  *magics.Registry
	running atomic.Bool // a cell is executing

	boardMu  sync.Mutex
	boards   []*boardConn // in the order they were connected
	current  *boardConn   // the board plain board cells run on; nil until %connect
	cells    atomic.Int64 // cells run, for the numbers of cells whose Output has none
	displays atomic.Int64 // display ids made

	bgMu sync.Mutex
	bg   []*bgCell      // background cells started, oldest first
	bgWG sync.WaitGroup // their goroutines

	crash *crash.Log
	// crashReported: a cell has shown what the previous kernel left;
	// crashReconnected: its board was reconnected.
	crashReported    bool
	crashReconnected bool
	goLine           atomic.Int32 // the cell line where the Go code being run starts

	plot   *magics.PlotOptions // %plot on: plot every board cell's output
	rich   richState           // the board's display module
	timing *boardTiming        // measures the board parts of a %%time cell, or nil

	captureMu sync.Mutex
	capture   io.Writer // %capture's copy of board cells' output, or nil

	storeMu   sync.Mutex
	storePath string
	store     *store.Store // opened by the first %store

	// The Go interpreter takes a few milliseconds to build the first time
	// in a process, so it is built in the background, from hostWarmDelay
	// after the session starts: the kernel answers its first requests
	// meanwhile, without the build competing for the CPU. Whatever needs
	// it first (a %%host cell, completion) starts the build at once and
	// waits for it.
	hostStart sync.Once
	hostReady chan struct{}
	hostMu    sync.Mutex // guards host and hostErr once hostReady is closed
	host      *host.Interp
	hostErr   error
	hostOpts  host.Options
}

// NewSession starts building the host interpreter and returns at once.
func NewSession(opts Options) (*Session, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	open := opts.Open
	if open == nil {
		open = func(ctx context.Context, url string) (Board, error) {
			b, err := transport.Open(ctx, url, transport.Options{Logger: log})
			if err != nil {
				return nil, err
			}
			return b, nil
		}
	}
	s := &Session{
		log:       log,
		open:      open,
		magics:    magics.NewRegistry(opts.Magics),
		storePath: opts.StorePath,
		hostReady: make(chan struct{}),
		crash:     opts.Crash,
	}
	s.hostOpts = host.Options{Logger: log, Boards: goBoards{s}, Line: func(line int) {
		s.crash.At(int(s.goLine.Load()) + line - 1)
	}}
	time.AfterFunc(hostWarmDelay, s.startHost)
	return s, nil
}

// hostWarmDelay is how long after the session starts the interpreter's
// build begins by itself: past a kernel's start-up and first replies (50
// ms on two busy cores), which an immediate build slowed by a quarter
// when it took 13 ms.
const hostWarmDelay = 200 * time.Millisecond

// startHost starts building the host interpreter, once.
func (s *Session) startHost() {
	s.hostStart.Do(func() {
		go func() {
			defer close(s.hostReady)
			s.host, s.hostErr = host.New(s.hostOpts)
			if s.hostErr != nil {
				s.hostErr = fmt.Errorf("start the Go interpreter: %w", s.hostErr)
				s.log.Error("host interpreter", "err", s.hostErr)
			}
		}()
	})
}

// interp waits for the host interpreter, starting its build if it has
// not started.
func (s *Session) interp() (*host.Interp, error) {
	s.startHost()
	<-s.hostReady
	s.hostMu.Lock()
	defer s.hostMu.Unlock()
	if s.host == nil && s.hostErr == nil {
		return nil, errors.New("the session is closed: its Go interpreter was never built")
	}
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
	s.running.Store(true)
	defer s.running.Store(false)
	if !s.crashReported {
		s.afterCrash(ctx, out)
	}
	c := Parse(code)
	if c.Unknown() {
		return cellError(s.magics.UnknownCell(c.Magic))
	}
	env := &cellEnv{s: s, out: out, host: c.Kind == HostCell, run: &cellRun{cell: s.cellNumber(out)}}
	defer env.release()
	if c.Timed {
		return s.runTimed(ctx, c, env, code)
	}
	return s.runCell(ctx, c, env, code)
}

// runCell runs a parsed cell where its kind says.
func (s *Session) runCell(ctx context.Context, c Cell, env *cellEnv, code string) error {
	switch c.Kind {
	case HostCell:
		s.crash.Running(code)
		defer s.crash.Finished()
		return s.runSegments(ctx, c, env, s.runGo)
	case BoardCell:
		switch name, _, _ := strings.Cut(c.Magic, " "); name {
		case "board":
			return s.runOnBoards(ctx, c, env)
		case "bg":
			return s.runBackground(c, env)
		}
		return s.runBoardCell(ctx, c, env)
	case MagicCell:
		name, _, _ := strings.Cut(c.Magic, " ")
		return cellError(magicOutOfMemory("%%"+name, s.magics.RunCell(ctx, c.Magic, c.Body, env)))
	}
	return fmt.Errorf("cell kind %d has no runner", c.Kind)
}

// runSegments runs a cell's segments in order, code through run, line
// magics through the registry and shell lines through bash, and stops at
// the first failure.
func (s *Session) runSegments(ctx context.Context, c Cell, env *cellEnv, run func(context.Context, string, int, kernel.Output) error) error {
	for _, seg := range c.Segments {
		var err error
		switch seg.Kind {
		case Code:
			err = run(ctx, seg.Text, seg.Line, env.out)
		case LineMagic:
			if code, ok := timedLine(seg.Text); ok {
				err = s.runTimedLine(ctx, c.Kind, code, seg.Line, env, run)
				break
			}
			name, _, _ := strings.Cut(strings.TrimSpace(seg.Text), " ")
			err = magicOutOfMemory("%"+name, s.magics.Run(ctx, seg.Text, env))
		case Shell:
			err = magics.RunShell(ctx, seg.Text, env)
		}
		if err != nil {
			return cellError(err)
		}
	}
	return nil
}

// runGo evaluates Go code in the host interpreter.
func (s *Session) runGo(ctx context.Context, code string, firstLine int, out kernel.Output) error {
	in, err := s.interp()
	if err != nil {
		return err
	}
	s.goLine.Store(int32(firstLine))
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

// errNoStdin is what input() on the board raises, as an OSError, when
// the notebook client allows no input.
var errNoStdin = errors.New("input() cannot ask: this notebook client does not allow input (allow_stdin is false)")

// runBoard runs MicroPython code on the cell's board, showing the value
// of a final expression as the REPL would. The cell holds the board from
// its first code on to its end. firstLine is the code's line in the
// cell: blank lines in front make the board's tracebacks name cell lines.
func (e *cellEnv) runBoard(ctx context.Context, code string, firstLine int, out kernel.Output) error {
	b, err := e.holdBoard()
	if err != nil {
		// With no board, never run it somewhere else.
		return err
	}
	def, err := e.s.prepareDisplay(ctx, b, code)
	if err != nil {
		return err
	}
	rich := def != 0
	wrapped, _ := boardpy.WithResult(code)
	if rich {
		wrapped, _ = boardpy.WithRichResult(code)
	}
	wrapped = strings.Repeat("\n", firstLine-1) + wrapped
	timing := e.s.timing
	if timing != nil {
		wrapped = timing.wrap(ctx, b, wrapped)
	}
	e.s.captureMu.Lock()
	capture := e.s.capture
	e.s.captureMu.Unlock()
	cellOut := out.Stdout()
	if capture != nil {
		cellOut = io.MultiWriter(cellOut, capture)
	}
	stdout := boardpy.NewResultFilter(cellOut)
	displays := &boardDisplays{s: e.s, def: def, out: out}
	var cellStdout io.Writer = stdout
	if rich {
		cellStdout = boardpy.NewDisplayFilter(stdout, displays.show)
	}
	cio := transport.IO{
		Stdout: cellStdout,
		// What a board prints after its first 0x04 is the traceback of
		// the exception it raised: it comes back in the
		// *transport.ExecError and is shown once, as the cell's error.
		Stderr: io.Discard,
		Input: func(ctx context.Context, prompt string) (string, error) {
			if e.noInput != "" {
				return "", errors.New(e.noInput)
			}
			answer, err := out.Input(ctx, prompt, false)
			if errors.Is(err, kernel.ErrNoStdin) {
				return "", errNoStdin
			}
			return answer, err
		},
	}
	if timing != nil {
		timing.begin(b)
	}
	err = b.Run(ctx, wrapped, cio)
	if timing != nil {
		timing.end(ctx, b, err)
	}
	if err != nil {
		var ee *transport.ExecError
		if capture != nil && errors.As(err, &ee) {
			io.WriteString(capture, strings.Join(ee.Traceback, "\n")+"\n")
		}
		return err
	}
	if r, ok := stdout.Result(); ok {
		out.Result(displays.resultBundle(r), nil)
		if capture != nil {
			io.WriteString(capture, r+"\n")
		}
	}
	return nil
}

// IsComplete judges Go cells as Go and board cells as Python, ignoring
// magic and shell lines (kernel.Executor). A cell that starts with a cell
// magic is, as in IPython, incomplete until its last line is empty: a
// console runs it on the Enter of an empty line, not on the first Enter
// after "%%host", and a Go body still open (a brace) waits for its close.
func (s *Session) IsComplete(code string) (string, string) {
	c := Parse(code)
	status, indent := "complete", ""
	switch {
	case c.Unknown():
		return "invalid", ""
	case c.Kind == HostCell:
		status, indent = host.IsComplete(codeOnly(c))
	case c.Kind == BoardCell:
		status, indent = pysource.IsComplete(codeOnly(c))
		if c.Magic == "" && !c.Timed {
			return status, indent
		}
	}
	if status != "complete" {
		return status, indent
	}
	lines := strings.Split(code, "\n")
	if len(lines) < 2 || strings.TrimSpace(lines[len(lines)-1]) != "" {
		return "incomplete", ""
	}
	return "complete", ""
}

// codeOnly is a cell's body without its magic and shell lines, with
// everything else kept as typed: the trailing blank lines too, since
// "for i in x:\n    f(i)\n\n" is complete for Python's REPL rules and
// "for i in x:\n    f(i)\n" is not.
func codeOnly(c Cell) string {
	drop := map[int]bool{}
	for _, seg := range c.Segments {
		if seg.Kind != Code {
			drop[seg.Line] = true
		}
	}
	if len(drop) == 0 {
		return c.Body
	}
	lines := strings.Split(c.Body, "\n")
	kept := lines[:0]
	for i, l := range lines {
		if !drop[c.BodyLine+i] {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

// Close releases the boards and the interpreter (kernel.Executor).
func (s *Session) Close() error {
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), stopWait)
	defer cancel()
	s.stopBackground(ctx, nil)
	s.boardMu.Lock()
	boards := s.boards
	s.boards, s.current = nil, nil
	s.boardMu.Unlock()
	for _, c := range boards {
		errs = append(errs, c.b.Close())
	}
	bgDone := make(chan struct{})
	go func() { s.bgWG.Wait(); close(bgDone) }()
	select {
	case <-bgDone:
	case <-time.After(stopWait):
		s.log.Warn("background cells still running after their boards closed")
	}
	// An interpreter not built yet is not built now, nor later.
	s.hostStart.Do(func() { close(s.hostReady) })
	<-s.hostReady
	s.hostMu.Lock()
	in := s.host
	s.hostMu.Unlock()
	if in != nil {
		errs = append(errs, in.Close())
	}
	s.captureMu.Lock()
	if c, ok := s.capture.(io.Closer); ok {
		errs = append(errs, c.Close())
	}
	s.capture = nil
	s.captureMu.Unlock()
	return errors.Join(errs...)
}

// cellNumber is the execution count of the cell writing to out, as the
// kernel numbers it; an Output that does not say gets the session's own
// count.
func (s *Session) cellNumber(out kernel.Output) int {
	n := s.cells.Add(1)
	if ro, ok := out.(kernel.RequestOutput); ok {
		return ro.ExecutionCount()
	}
	return int(n)
}
