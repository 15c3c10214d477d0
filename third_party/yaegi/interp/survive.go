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
		g, _ := enter()
		defer leave(g)
		defer func() {
			if r := recover(); r != nil {
				interp.opt.onGoPanic(GoPanic{Value: r, Pos: interp.fset.Position(goStmt.pos)})
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
	g, first := enter()
	defer leave(g)
	if first {
		defer func() {
			if r := recover(); r != nil {
				interp.opt.onGoPanic(GoPanic{Value: r, Pos: interp.fset.Position(def.pos), Callback: true})
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
	n map[uintptr]int
}{n: map[uintptr]int{}}

// enter counts a call into the interpreter on the running goroutine, and
// reports whether it is the only one. The caller must call leave(g).
func enter() (g uintptr, first bool) {
	g = getg()
	entered.Lock()
	n := entered.n[g]
	entered.n[g] = n + 1
	entered.Unlock()
	return g, n == 0
}

func leave(g uintptr) {
	entered.Lock()
	if n := entered.n[g] - 1; n > 0 {
		entered.n[g] = n
	} else {
		delete(entered.n, g)
	}
	entered.Unlock()
}
