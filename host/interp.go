package host

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/constant"
	"io"
	"log/slog"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/iotkernel/iotkernel/host/display"
	"github.com/traefik/yaegi/interp"
)

// Options configure an interpreter.
type Options struct {
	// Logger receives diagnostics about the interpreter itself (never cell
	// output). Nil means slog.Default().
	Logger *slog.Logger

	// GOROOT is where Inspect looks for the standard library's sources
	// (GOROOT/src) to show documentation. Empty means runtime.GOROOT();
	// when the sources are absent Inspect still shows signatures.
	GOROOT string

	// Line, if set, is called with the line of each top-level statement
	// of a cell as it starts (see markLines), on the cell's goroutine.
	Line func(line int)

	// Env is the environment cells see through os.Getenv and friends.
	// Nil means the process's real environment, shared with %%bash and !.
	Env []string

	// MaxCallDepth limits how deep interpreted calls nest: deeper, a cell
	// fails with RecursionError. Zero means DefaultMaxCallDepth.
	MaxCallDepth int

	// Boards is what the board package of cells reaches; nil makes its
	// calls fail.
	Boards Boards
}

// IO is where one cell's effects go. Writers and callbacks may be called
// from goroutines the cell started, also after Eval returned (until the
// next Eval replaces them), so they must be safe for concurrent use.
type IO struct {
	Stdout, Stderr io.Writer

	// Input asks the user for one line (without its newline). Nil means
	// the client accepts no input: reading stdin fails with ErrNoInput.
	Input func(ctx context.Context, prompt string) (string, error)

	// Display shows (or, with update, replaces) a MIME bundle; displayID
	// names the output for later updates. Nil drops displays.
	Display func(data map[string]any, metadata map[string]any, displayID string, update bool)

	// Clear clears the cell's output. Nil ignores clears.
	Clear func(wait bool)
}

// Result is the value of a cell's last expression.
type Result struct {
	Value string // formatted like %v
	Has   bool   // false when the cell did not end with a single-valued expression
}

// PanicError is a panic raised by interpreted code.
type PanicError struct {
	Value     string
	Traceback []string // innermost frame first; lines count within their cell
}

func (e *PanicError) Error() string { return "panic: " + e.Value }

// CompileError is code that does not parse or type-check.
type CompileError struct {
	Line int // within the cell, 1-based; 0 if unknown
	Col  int // 1-based; 0 if unknown
	Msg  string
}

func (e *CompileError) Error() string {
	if e.Line <= 0 {
		return e.Msg
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// ExitError reports that a cell called os.Exit (or log.Fatal, which
// calls it) or syscall.Exit. The kernel keeps running; only the cell ends.
type ExitError struct {
	Code int
	Func string // the function called: "os.Exit" or "syscall.Exit"
}

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// ErrClosed is returned by an Interp used after Close.
var ErrClosed = errors.New("host interpreter is closed")

// Interp is the Go interpreter of one kernel. Eval, Complete, Inspect,
// Lookup and Define are serialised: one at a time, each blocking the
// others. Goroutines that cells start keep running between cells.
type Interp struct {
	yi     *interp.Interpreter
	log    *slog.Logger
	disp   *display.Display
	stdin  *stdin
	goroot string
	pkgs   *packageIndex
	// displayExports are the display package's symbols as cells see them.
	displayExports map[string]reflect.Value
	// boardSyms are the board package's symbols.
	boardSyms map[string]reflect.Value
	// vars are the variables cells publish with expvar (expvar.go).
	vars   *cellVars
	docs   *docCache
	track  *tracker // what cells opened, closed on interrupt
	onLine func(line int)

	evalMu sync.Mutex       // held by every call that touches yi
	cells  int              // numbers the cells, naming their sources cellN/cell.go; written also under mu
	srcs   map[int][]string // each cell's lines; written also under mu
	// imports maps each package name visible in cells to its path;
	// defined holds the names cells declared at top level. Both feed
	// auto-import and completion; guarded by evalMu.
	imports map[string]string
	defined map[string]bool
	stuck   chan struct{} // closed when an interrupted run left running finally stops
	halted  bool          // stopAll ran after Close
	// typeDefs holds each type's last definition, renames counts the
	// renamed redefinitions (see renameRedefinedTypes).
	typeDefs map[string]string
	renames  int

	mu     sync.Mutex // guards the fields below, also used by cell goroutines
	io     IO
	ctx    context.Context // the running cell's, or the last one's
	run    *run            // the unit executing now; nil between units
	trace  []string        // panic lines yaegi printed during the current unit
	result *resultValue
	pend   any // value handed to Define's generated code
	// parkCancel interrupts stopAll's program once it runs.
	parkCancel context.CancelFunc
	done       chan struct{}
	closed     bool
}

// run is one compiled unit of a cell while it executes.
type run struct {
	stop      chan struct{} // closed on interrupt, after yaegi's stop: wakes time.Sleep
	cancel    func()        // makes ExecuteWithContext stop the interpreted code
	cancelled bool          // the cell's ctx ended before the unit finished
	finished  bool          // the unit's code returned; interrupts are too late
	returned  chan struct{} // closed when ExecuteWithContext returned (after yaegi's stop)
	parked    chan struct{} // closed when the interrupted goroutine stopped touching the interpreter
	exited    bool
	exitCode  int
	exitFunc  string // what the cell called to exit (ExitError.Func)
}

type resultValue struct {
	text   string
	hidden bool
}

// programName is os.Args[0] in cells.
const programName = "iotkernel"

// New starts an interpreter. It is meant to live as long as the kernel.
func New(opts Options) (*Interp, error) {
	in := &Interp{
		log:      opts.Logger,
		goroot:   opts.GOROOT,
		srcs:     map[int][]string{},
		imports:  map[string]string{},
		defined:  map[string]bool{},
		typeDefs: map[string]string{},
		done:     make(chan struct{}),
		ctx:      context.Background(),
		track:    newTracker(),
		onLine:   opts.Line,
	}
	if in.log == nil {
		in.log = slog.Default()
	}
	if in.goroot == "" {
		in.goroot = runtime.GOROOT()
	}
	in.stdin = &stdin{in: in}
	in.disp = display.New(sink{in})
	in.docs = newDocCache(in.goroot)
	// Unrestricted: cells use the process's real environment (so that
	// os.Setenv in a %%host cell reaches the next %%bash), and may import
	// os/exec and syscall. os.Exit and the stdio stay bound to the cell
	// (useSymbols). With opts.Env set, cells get that private copy.
	yopts := interp.Options{
		Stdin:        in.stdin,
		Stdout:       &stream{in: in},
		Stderr:       &stream{in: in, stderr: true},
		Args:         []string{programName},
		Unrestricted: opts.Env == nil,
		// A kernel compiles thousands of cells and never runs yaegi's
		// debugger: keeping each cell's code for it grew the process by
		// kilobytes per cell.
		NoDebugInfo: true,
		// A panic in a goroutine or callback of a cell ends that goroutine
		// or call, not the kernel.
		OnGoPanic:    in.goPanic,
		MaxCallDepth: opts.MaxCallDepth,
	}
	if yopts.MaxCallDepth == 0 {
		yopts.MaxCallDepth = DefaultMaxCallDepth
	}
	if opts.Env != nil {
		yopts.Env = opts.Env
	}
	in.yi = interp.New(yopts)
	in.boardSyms = in.boardExports(opts.Boards)
	if err := in.useSymbols(); err != nil {
		return nil, fmt.Errorf("host: load symbols: %w", err)
	}
	in.pkgs = newPackageIndex(in.displayExports, in.boardSyms)
	// Every program yaegi compiles after "main" exists runs main last; our
	// main is the point where an interrupted unit hands control back.
	hook := "import " + hostPkgName + ` "` + hostPkgPath + `"` + "\nfunc main() { " + hostPkgName + ".AfterRun() }"
	if err := in.evalInternal(hook); err != nil {
		return nil, fmt.Errorf("host: install run hook: %w", err)
	}
	in.imports[hostPkgName] = hostPkgPath
	return in, nil
}

// Close ends the interpreter. Later calls fail with ErrClosed (Lookup
// finds nothing); a running cell is interrupted and its Eval returns
// ErrClosed; cell output written after Close is dropped.
//
// Goroutines that cells started stop at their next interpreted step,
// running their deferred calls, and time.Sleep in cells returns at once.
// Close does not wait for them, and it cannot wake a goroutine blocked in a
// channel operation or select when the cell that started it has returned
// (yaegi only cancels those of the running program), nor one blocked in
// compiled code (a mutex, a listening http.Server): such a goroutine stops
// at its next interpreted step, if it ever gets one.
//
// Close is idempotent and may be called while another method runs: then
// the goroutines are stopped as that call returns.
func (in *Interp) Close() error {
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		return nil
	}
	in.closed = true
	r := in.run
	in.mu.Unlock()
	if r != nil {
		// Before waking sleepers, lest the running cell's code, woken,
		// run past the point where yaegi stops it.
		in.interrupt(r)
	}
	close(in.done)
	in.track.close()
	if in.evalMu.TryLock() {
		in.release()
	}
	in.mu.Lock()
	in.io = IO{}
	in.mu.Unlock()
	return nil
}

// release unlocks evalMu; first, once the interpreter is closed, it stops
// the goroutines of cells. Every holder of evalMu unlocks it with release,
// so that a Close during a call still stops them.
func (in *Interp) release() {
	defer in.evalMu.Unlock()
	if in.halted || !in.isClosed() {
		return
	}
	in.halted = true
	if in.stuck != nil {
		select {
		case <-in.stuck:
		default:
			// The interrupt that left a run stuck has already stopped
			// every interpreted goroutine, and no cell ran since; running
			// stopAll beside the stuck run could confuse the two.
			return
		}
	}
	in.stopAll()
}

// stopAll interrupts a program that does nothing but wait to be
// interrupted: yaegi's stop then makes every interpreted frame, of any
// goroutine, return at its next step (see Close for what it cannot reach).
func (in *Interp) stopAll() {
	node, err := parseUnit(in.yi.FileSet(), 0, unit{kind: stmtUnit, text: hostPkgName + ".Park()", line: 1, col: 1}, false)
	if err != nil {
		in.log.Error("host: stop goroutines", "err", err)
		return
	}
	prog, err := in.compile(node)
	if err != nil {
		in.log.Error("host: stop goroutines", "err", err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	in.mu.Lock()
	in.parkCancel = cancel
	in.mu.Unlock()
	_ = in.execute(ctx, 0, prog)
	cancel()
}

// park is the body of stopAll's program. It returns once yaegi stopped
// the program (r.stop is closed after that), so that the program ends
// in the main hook like any interrupted unit.
func (in *Interp) park() {
	in.mu.Lock()
	cancel, r := in.parkCancel, in.run
	in.mu.Unlock()
	if cancel == nil || r == nil {
		return
	}
	cancel()
	<-r.stop
}

func (in *Interp) isClosed() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.closed
}

// Eval runs one cell. It blocks until the cell returns or ctx is done; on
// ctx done it returns ctx.Err() within about a second, and the definitions
// of earlier cells (and of the units of this cell that completed) remain.
// Errors are *CompileError, *PanicError, *ExitError, ctx.Err(), ErrClosed,
// or others describing the interpreter's state.
func (in *Interp) Eval(ctx context.Context, code string, cellIO IO) (Result, error) {
	in.evalMu.Lock()
	defer in.release()
	if in.isClosed() {
		return Result{}, ErrClosed
	}
	if in.stuck != nil {
		select {
		case <-in.stuck:
			in.stuck = nil
		default:
			return Result{}, in.stuckError(nil)
		}
	}
	in.mu.Lock()
	in.io, in.ctx, in.result = cellIO, ctx, nil
	in.mu.Unlock()
	in.stdin.reset()

	in.mu.Lock() // goPanic reads them from other goroutines
	in.cells++
	cell := in.cells
	in.srcs[cell] = strings.Split(code, "\n")
	in.mu.Unlock()
	units, err := splitCell(code)
	if err != nil {
		return Result{}, err
	}
	for _, u := range units {
		err := ctx.Err()
		if err == nil {
			if in.isClosed() {
				return Result{}, ErrClosed
			}
			err = in.evalUnit(ctx, cell, u)
		}
		if err != nil {
			if ctx.Err() != nil {
				// Interrupted, maybe between two units, where no unit's
				// watch saw it: what the cell's earlier units opened (a
				// listener) closes as it would have inside a unit.
				in.track.interrupt(cell)
			}
			return Result{}, err
		}
	}
	in.mu.Lock()
	r := in.result
	in.mu.Unlock()
	if r == nil || r.hidden {
		return Result{}, nil
	}
	return Result{Value: r.text, Has: true}, nil
}

// evalUnit compiles and runs one unit of cell.
func (in *Interp) evalUnit(ctx context.Context, cell int, u unit) error {
	if u.kind == importUnit {
		return in.evalImports(ctx, cell, u)
	}
	in.at(u.line) // the unit's first statement; markLines marks the others
	if u.kind == exprUnit {
		node, err := parseUnit(in.yi.FileSet(), cell, u, true)
		if err != nil {
			return err
		}
		if err := in.autoImport(ctx, cell, node); err != nil {
			return err
		}
		// A void or multi-valued expression does not compile as the
		// argument of Result: then run it as a plain statement.
		if prog, err := in.compile(node); err == nil {
			return in.execute(ctx, cell, prog)
		}
		u.kind = stmtUnit
	}
	node, err := parseUnit(in.yi.FileSet(), cell, u, false)
	if err != nil {
		return err
	}
	if err := in.autoImport(ctx, cell, node); err != nil {
		return err
	}
	var typeDefs map[string]string
	if f, ok := node.(*ast.File); ok {
		typeDefs = in.renameRedefinedTypes(f)
	}
	prog, err := in.compile(node)
	if err != nil {
		return in.compileError(cell, err, node)
	}
	for name, def := range typeDefs {
		in.typeDefs[name] = def
	}
	if err := in.execute(ctx, cell, prog); err != nil {
		return err
	}
	in.recordDefinitions(node)
	return nil
}

// execute runs a compiled unit until it returns or ctx is done.
//
// yaegi stops interpreted code by bumping a run id that every frame checks,
// but the goroutine it ran the code on goes on for a moment and then
// touches the interpreter's state. Our main hook (AfterRun), which yaegi
// runs after every program even a stopped one, ends that goroutine
// (runtime.Goexit) once ExecuteWithContext has returned; execute waits for
// that before returning, so the next cell never runs beside the remains of
// this one.
func (in *Interp) execute(ctx context.Context, cell int, prog *interp.Program) error {
	stopCtx, cancelStop := context.WithCancel(context.Background())
	defer cancelStop()
	r := &run{stop: make(chan struct{}), cancel: cancelStop, returned: make(chan struct{}), parked: make(chan struct{})}
	in.mu.Lock()
	// Checked under mu, where Close interrupts in.run, so that no unit
	// starts unseen by Close. Cell 0 is stopAll, which runs after Close.
	if in.closed && cell != 0 {
		in.mu.Unlock()
		return ErrClosed
	}
	in.run, in.trace = r, nil
	in.mu.Unlock()
	stopWatch := context.AfterFunc(ctx, func() { in.interruptCell(r, cell) })
	leave := in.track.enter(cell)
	_, err := in.yi.ExecuteWithContext(stopCtx, prog)
	leave()
	close(r.returned)
	stopWatch()

	in.mu.Lock()
	cancelled, exited, code, exitFunc, trace := r.cancelled, r.exited, r.exitCode, r.exitFunc, in.trace
	in.mu.Unlock()
	if cancelled {
		select {
		case <-r.parked:
		case <-time.After(time.Second):
			// Blocked in compiled code that tracking could not unblock (a
			// mutex): it ends when that returns. Until then no cell may
			// run (see StuckError).
			in.stuck = r.parked
			in.log.Warn("host: interrupted cell still running inside a Go call")
		}
		in.mu.Lock()
		in.run = nil
		in.mu.Unlock()
		if ctx.Err() != nil {
			if in.stuck != nil {
				return in.stuckError(ctx.Err())
			}
			return ctx.Err()
		}
		if in.isClosed() {
			return ErrClosed
		}
		return context.Canceled
	}
	in.mu.Lock()
	in.run = nil
	in.mu.Unlock()
	if exited {
		return &ExitError{Code: code, Func: exitFunc}
	}
	var p interp.Panic
	if errors.As(err, &p) {
		return in.panicError(cell, p.Value, trace)
	}
	if err != nil {
		return in.compileError(cell, err, nil)
	}
	return nil
}

// interrupt stops the unit r unless its code already returned or it was
// stopped before. Only once ExecuteWithContext has returned, that is once
// yaegi has stopped every frame, does it wake the cell's time.Sleep:
// woken earlier, the unit's code could run on into the main hook and
// escape the stop, never to park.
func (in *Interp) interrupt(r *run) {
	in.mu.Lock()
	if r.finished || r.cancelled {
		in.mu.Unlock()
		return
	}
	r.cancelled = true
	in.mu.Unlock()
	r.cancel()
	<-r.returned
	close(r.stop)
}

// globals returns the variables and constants of cells. yaegi's Globals
// indexes past the end of its frame after a unit compiled but never ran;
// running an empty program resizes the frame.
func (in *Interp) globals() map[string]reflect.Value {
	if g, ok := in.tryGlobals(); ok {
		return g
	}
	if err := in.evalInternal(""); err != nil {
		return map[string]reflect.Value{}
	}
	g, _ := in.tryGlobals()
	return g
}

func (in *Interp) tryGlobals() (g map[string]reflect.Value, ok bool) {
	defer func() {
		if recover() != nil {
			g, ok = map[string]reflect.Value{}, false
		}
	}()
	return in.yi.Globals(), true
}

// compile compiles a unit. yaegi panics on some invalid code; that is a
// compile error too.
func (in *Interp) compile(node ast.Node) (prog *interp.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
			if m := strings.Index(err.Error(), "CFG post-order panic: "); m >= 0 {
				err = errors.New(err.Error()[m+len("CFG post-order panic: "):])
			}
		}
	}()
	return in.yi.CompileAST(node)
}

// afterRun is the body of the interpreter's main hook, run at the end of
// every program on the goroutine that ran it.
func (in *Interp) afterRun() {
	in.mu.Lock()
	r := in.run
	if r == nil || !r.cancelled {
		if r != nil {
			r.finished = true
		}
		in.mu.Unlock()
		return
	}
	in.mu.Unlock()
	// Wait until yaegi has stopped every frame and ExecuteWithContext
	// returned: only then may this goroutine vanish without ExecuteWithContext
	// seeing it finish.
	<-r.returned
	close(r.parked)
	runtime.Goexit()
}

// exit is os.Exit for cells: it ends the calling goroutine, never the process.
func (in *Interp) exit(code int) { in.exitVia("os.Exit", code) }

// exitVia ends the cell that called fn(code) instead of the kernel.
func (in *Interp) exitVia(fn string, code int) {
	in.mu.Lock()
	if r := in.run; r != nil {
		r.exited, r.exitCode, r.exitFunc = true, code, fn
	}
	in.mu.Unlock()
	runtime.Goexit()
}

// sleep is time.Sleep for cells: an interrupt or Close wakes it.
func (in *Interp) sleep(d time.Duration) {
	in.mu.Lock()
	var stop chan struct{}
	if in.run != nil {
		stop = in.run.stop
	}
	in.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-stop:
	case <-in.done:
	}
}

// setResult receives the value of a cell's last expression; yaegi has
// already wrapped values of interpreted types with String or Error
// methods, so %v uses them.
func (in *Interp) setResult(v any) {
	r := &resultValue{}
	switch v.(type) {
	case *display.Handle, *display.Chart, nil:
		// A display shows itself; nil (os.Setenv's error) is Go's None.
		r.hidden = true
	default:
		r.text = fmt.Sprintf("%v", v)
	}
	in.mu.Lock()
	in.result = r
	in.mu.Unlock()
}

// evalInternal runs declarations of ours (not a cell's), in cell 0.
func (in *Interp) evalInternal(src string) error {
	node, err := parseUnit(in.yi.FileSet(), 0, unit{kind: declUnit, text: src, line: 1, col: 1}, false)
	if err != nil {
		return err
	}
	prog, err := in.compile(node)
	if err != nil {
		return err
	}
	_, err = in.yi.Execute(prog)
	return err
}

// Lookup returns the current value of a variable or constant defined by
// cells.
func (in *Interp) Lookup(name string) (any, bool) {
	in.evalMu.Lock()
	defer in.release()
	if in.isClosed() {
		return nil, false
	}
	v, ok := in.globals()[name]
	if !ok || !v.IsValid() || !v.CanInterface() {
		return nil, false
	}
	x := v.Interface()
	if c, ok := x.(constant.Value); ok {
		return constant.Val(c), true
	}
	return x, true
}

// Define creates or replaces the variable name with value v. Its type is
// v's dynamic type when that type needs no import (numbers, strings,
// slices and maps of them); otherwise the variable has type any.
func (in *Interp) Define(name string, v any) error {
	in.evalMu.Lock()
	defer in.release()
	if in.isClosed() {
		return ErrClosed
	}
	if !isIdent(name) {
		return fmt.Errorf("define %q: not a Go identifier", name)
	}
	expr := hostPkgName + ".Take()"
	if v != nil {
		if t := reflect.TypeOf(v).String(); !strings.ContainsAny(t, ".") {
			expr += ".(" + t + ")"
		}
	}
	in.mu.Lock()
	in.pend = v
	in.mu.Unlock()
	// var, not :=, so that the new type replaces an old one.
	src := "var " + name + " = " + expr
	if v == nil {
		src = "var " + name + " any"
	}
	if err := in.evalInternal(src); err != nil {
		return fmt.Errorf("define %s: %w", name, err)
	}
	in.defined[name] = true
	return nil
}

func (in *Interp) take() any {
	in.mu.Lock()
	defer in.mu.Unlock()
	v := in.pend
	in.pend = nil
	return v
}

func isIdent(s string) bool {
	if s == "" || s == "_" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || r >= 0x80 || i > 0 && '0' <= r && r <= '9') {
			return false
		}
	}
	return !isKeyword(s)
}

// recordDefinitions notes the top-level names a unit declared.
func (in *Interp) recordDefinitions(node ast.Node) {
	for _, name := range topLevelNames(node) {
		in.defined[name] = true
	}
}

// sink adapts the current cell's IO to display.Sink.
type sink struct{ in *Interp }

func (s sink) Display(data, metadata map[string]any, id string, update bool) {
	s.in.mu.Lock()
	f := s.in.io.Display
	s.in.mu.Unlock()
	if f != nil {
		f(data, metadata, id, update)
	}
}

func (s sink) Clear(wait bool) {
	s.in.mu.Lock()
	f := s.in.io.Clear
	s.in.mu.Unlock()
	if f != nil {
		f(wait)
	}
}
