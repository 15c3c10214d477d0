package interp

// This file is not part of yaegi v0.16.1: it was added for iotkernel (see
// ../README.md). It keeps a long-lived interpreter alive through the
// panics that would end a compiled program, and stops runaway recursion
// before Go's stack overflow, which no recover can catch.

import (
	"fmt"
	"go/token"
	"reflect"
	"runtime"
	"strings"
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
//
//go:noinline
func (interp *Interpreter) runGoroutine(goStmt *node, fn func()) {
	if interp.opt.onGoPanic != nil {
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
// func value. With Options.OnGoPanic set, a panic that nothing would
// recover, because compiled code called the function on a goroutine the
// interpreter did not start, is recovered here and reported. active counts
// the calls of this function value now running: the caller's frame, and so
// the depth, is unknown here.
//
//go:noinline
func runFunc(start *node, fr *frame, def, call *node, active *int64) {
	interp := def.interp
	n := atomic.AddInt64(active, 1)
	defer atomic.AddInt64(active, -1)
	fr.depth += int(n)
	interp.checkDepth(fr.depth)
	if interp.opt.onGoPanic == nil || !calledFirst() {
		runCfg(start, fr, def, call)
		return
	}
	defer func() {
		if r := recover(); r != nil {
			interp.opt.onGoPanic(GoPanic{Value: r, Pos: interp.fset.Position(def.pos), Callback: true})
		}
	}()
	runCfg(start, fr, def, call)
}

// calledFirst reports whether runFunc's call is the first, the lowest, of
// the interpreter on its goroutine: whether no frame of this package is
// below. Otherwise a panic unwinds to a frame below that recovers it
// (Execute, runGoroutine, or the first runFunc), through interpreted code
// as in Go. Most calls come from interpreted code, which the first frames
// show; only calls from compiled code need a walk of the whole stack.
//
//go:noinline
func calledFirst() bool {
	// 0 is runtime.Callers, 1 calledFirst, 2 runFunc, 3 the function
	// that reflect.MakeFunc was given.
	const skip = 4
	var buf [16]uintptr
	pcs := buf[:runtime.Callers(skip, buf[:])]
	for _, pc := range pcs {
		if interpFrame(pc) {
			return false
		}
	}
	if len(pcs) < len(buf) {
		return true
	}
	all := make([]uintptr, 1024)
	for {
		n := runtime.Callers(skip, all)
		if n < len(all) {
			pcs = all[:n]
			break
		}
		all = make([]uintptr, 2*len(all))
	}
	for _, pc := range pcs[len(buf):] {
		if interpFrame(pc) {
			return false
		}
	}
	return true
}

// interpPCs caches whether a return PC is in this package: pcs are few
// and each is looked up once.
var interpPCs sync.Map // uintptr -> bool

var interpPrefix = sync.OnceValue(func() string {
	name := runtime.FuncForPC(reflect.ValueOf(newFrame).Pointer()).Name()
	return strings.TrimSuffix(name, "newFrame")
})

func interpFrame(pc uintptr) bool {
	if v, ok := interpPCs.Load(pc); ok {
		return v.(bool)
	}
	f := runtime.FuncForPC(pc - 1)
	in := f != nil && strings.HasPrefix(f.Name(), interpPrefix())
	interpPCs.Store(pc, in)
	return in
}
