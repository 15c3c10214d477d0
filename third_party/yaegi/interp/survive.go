package interp

// This file is not part of yaegi v0.16.1: it was added for iotkernel (see
// ../README.md). It keeps a long-lived interpreter alive through the
// panics that would end a compiled program, and stops runaway recursion
// before Go's stack overflow, which no recover can catch.

import (
	"fmt"
	"go/token"
	"sync"
	"sync/atomic"
)

// GoPanic describes a panic that the interpreter recovered because
// nothing else would have: one in a goroutine that an interpreted go
// statement started, or in an interpreted function that compiled code
// called on a goroutine of its own (a callback of time.AfterFunc, an
// http.Handler).
type GoPanic struct {
	Value any
	// Pos is where the go statement is, or for a callback where the
	// interpreted function is defined.
	Pos      token.Position
	Callback bool
	// Frames are the traceback lines of the panic, innermost first, that
	// the interpreter would otherwise have written to Options.Stderr.
	Frames []string
}

// CallDepthError is the value of the panic raised by a call that would
// exceed Options.MaxCallDepth interpreted frames.
type CallDepthError struct {
	Depth int
}

func (e CallDepthError) Error() string {
	return fmt.Sprintf("maximum call depth exceeded (%d interpreted calls deep)", e.Depth)
}

// checkDepth raises CallDepthError if a frame at depth would be too deep.
func (interp *Interpreter) checkDepth(depth int) {
	if max := interp.opt.maxCallDepth; max > 0 && depth > max {
		panic(CallDepthError{Depth: max})
	}
}

// runGoroutine is the body of every goroutine that a go statement starts:
// fn, with a panic in it reported rather than fatal when Options.OnGoPanic
// is set. goStmt is the go statement.
func (interp *Interpreter) runGoroutine(goStmt *node, fn func()) {
	if interp.opt.onGoPanic != nil {
		g, _ := enter(true)
		defer leave(g)
		defer func() {
			if r := recover(); r != nil {
				interp.opt.onGoPanic(GoPanic{Value: r, Pos: interp.fset.Position(goStmt.pos), Frames: takeFrames(g)})
			}
		}()
	}
	fn()
}

// runFunc runs the body of an interpreted function called through the
// reflect.MakeFunc value that stands for it, by compiled code or through a
// func value. With Options.OnGoPanic set, a call that is the first into
// the interpreter on its goroutine (compiled code called it on a goroutine
// of its own) recovers a panic and reports it; other calls let it unwind
// to the frames below, as in Go. active counts the calls of this function
// value now running: the caller's frame, and so the depth, is unknown here.
func runFunc(start *node, fr *frame, def, call *node, active *int64) {
	interp := def.interp
	n := atomic.AddInt64(active, 1)
	defer atomic.AddInt64(active, -1)
	fr.depth += int(n)
	interp.checkDepth(fr.depth)
	if interp.opt.onGoPanic == nil {
		runCfg(start, fr, def, call)
		return
	}
	g, first := enter(true)
	defer leave(g)
	if first {
		defer func() {
			if r := recover(); r != nil {
				interp.opt.onGoPanic(GoPanic{Value: r, Pos: interp.fset.Position(def.pos), Callback: true, Frames: takeFrames(g)})
			}
		}()
	}
	runCfg(start, fr, def, call)
}

// entered counts, per goroutine, the calls into interpreters running on
// it (Execute, runGoroutine, runFunc), so that runFunc knows whether a
// frame below will recover a panic. Goroutines are told apart by getg.
var entered = struct {
	sync.Mutex
	g map[uintptr]*goState
}{g: map[uintptr]*goState{}}

type goState struct {
	calls   int
	reports bool     // the first call reports a panic to OnGoPanic
	frames  []string // traceback lines of a panic on its way there
}

// enter counts a call into the interpreter on the running goroutine, and
// reports whether it is the first; reports tells whether that call would
// hand a panic to OnGoPanic. The caller must call leave(g).
func enter(reports bool) (g uintptr, first bool) {
	g = getg()
	entered.Lock()
	st := entered.g[g]
	if st == nil {
		st = &goState{reports: reports}
		entered.g[g] = st
	}
	st.calls++
	first = st.calls == 1
	entered.Unlock()
	return g, first
}

func leave(g uintptr) {
	entered.Lock()
	if st := entered.g[g]; st != nil {
		if st.calls--; st.calls == 0 {
			delete(entered.g, g)
		}
	}
	entered.Unlock()
}

// panicFrame writes one traceback line of a panic unwinding: to
// Options.Stderr, or, on a goroutine whose panics go to OnGoPanic, to
// the report.
func (interp *Interpreter) panicFrame(line error) {
	if interp.opt.onGoPanic != nil {
		g := getg()
		entered.Lock()
		st := entered.g[g]
		if st != nil && st.reports {
			st.frames = append(st.frames, line.Error())
			entered.Unlock()
			return
		}
		entered.Unlock()
	}
	fmt.Fprintln(interp.stderr, line)
}

// takeFrames returns the traceback lines kept for goroutine g's panic.
func takeFrames(g uintptr) []string {
	entered.Lock()
	defer entered.Unlock()
	st := entered.g[g]
	if st == nil {
		return nil
	}
	frames := st.frames
	st.frames = nil
	return frames
}
