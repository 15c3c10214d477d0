package host

import (
	"context"
	"net/http"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"unsafe"
	"weak"
)

// Cells open listeners, connections, pipes, processes and timers through
// the standard library, and then block on them in compiled code (Accept,
// Serve, Read, Wait), where no interpreter step comes to notice an
// interrupt. The tracker knows which cell opened each such resource, so
// that interrupting a cell closes what that cell opened, which unblocks
// the call, while the servers earlier cells left running keep serving.
// Closing the interpreter closes everything cells opened.
//
// A resource belongs to the cell whose goroutine opened it. Goroutines are
// told apart by their profiler labels: the goroutine that runs a cell's
// code carries a label set made for that cell, and the runtime hands a
// goroutine's labels on to the goroutines it starts (interpreted go
// statements, an http.Server's connection goroutines), so what a server
// started by cell 3 opens while cell 7 runs belongs to cell 3. A goroutine
// without a cell's labels (a timer callback from compiled code) opens on
// behalf of the latest cell.
//
// The tracker holds resources weakly where it can (the cell keeps its own
// references), so a resource the cell dropped is forgotten once collected,
// and a silent cell leaves nothing behind.

// getProfLabel returns the label set of the calling goroutine: the
// pointer that pprof.SetGoroutineLabels installed, inherited by the
// goroutines it starts. Only its identity is used.
//
//go:linkname getProfLabel runtime/pprof.runtime_getProfLabel
func getProfLabel() unsafe.Pointer

// byLabels finds the scope of a goroutine from its label set, for code
// that cannot know its interpreter (the methods of http.Server in cells).
// Label sets are process-wide, so this index is too; each entry mirrors
// one of a tracker's scopes.
var byLabels sync.Map // unsafe.Pointer -> *scope

// live holds the trackers not yet closed. When a goroutine's label set
// is not in byLabels (its cell's scope was dropped while it had nothing
// open) and one interpreter is live, as in a kernel, that is its.
var live sync.Map // *tracker -> struct{}

// callerTracker returns the tracker of the calling goroutine's cell, or nil.
func callerTracker() *tracker {
	if v, ok := byLabels.Load(getProfLabel()); ok {
		return v.(*scope).t
	}
	var only *tracker
	n := 0
	live.Range(func(k, _ any) bool {
		only = k.(*tracker)
		n++
		return n < 2
	})
	if n == 1 {
		return only
	}
	return nil
}

// tracker records the resources cells open. Its methods are safe for
// concurrent use: cell goroutines call them.
type tracker struct {
	mu sync.Mutex
	// closing is held while interrupt or close runs closers, so that a
	// second interrupt of a cell (Eval's, beside its unit's watch) returns
	// only once what the first took is closed.
	closing sync.Mutex
	// scopes holds, by label set, the scopes that have open resources,
	// and the latest cell's.
	scopes map[unsafe.Pointer]*scope
	cur    *scope // the latest cell's; nil before the first
	closed bool

	// cmds holds the cancel function of the context of each command
	// cells made with exec.Command, by weak pointer to the command.
	cmds sync.Map

	// mux is http.DefaultServeMux as cells see it (servemux.go). Cells
	// may assign it, unsynchronised, as Go programs may.
	mux *http.ServeMux
	// sideEffects holds the packages whose import registered handlers on
	// mux. Guarded by mu.
	sideEffects map[string]bool
}

// scope is what one cell opened.
type scope struct {
	t      *tracker
	cell   int             // 0 when unknown (a cell whose scope was dropped)
	labels context.Context // carries the label set naming the cell's goroutines
	key    unsafe.Pointer  // the label set itself

	// Guarded by t.mu.
	next    uint64
	res     map[uint64]func() // how to close each open resource
	stopped bool              // the cell was interrupted
}

func newTracker() *tracker {
	t := &tracker{scopes: map[unsafe.Pointer]*scope{}, mux: http.NewServeMux()}
	live.Store(t, struct{}{})
	return t
}

// enter labels the calling goroutine, which is about to run code of cell,
// and so every goroutine started from it, as cell's; leave removes the
// label. A cell's units all enter the same scope.
func (t *tracker) enter(cell int) (leave func()) {
	if cell <= 0 {
		return func() {}
	}
	t.mu.Lock()
	s := t.cur
	t.mu.Unlock()
	labels := context.Context(nil)
	if s != nil && s.cell == cell && s.labels != nil {
		labels = s.labels
	} else {
		s = nil
		labels = pprof.WithLabels(context.Background(), pprof.Labels("iotkernel_cell", strconv.Itoa(cell)))
	}
	pprof.SetGoroutineLabels(labels)
	key := getProfLabel()
	t.mu.Lock()
	if s == nil {
		if old := t.cur; old != nil && len(old.res) == 0 && !old.stopped && t.scopes[old.key] == old {
			// Its goroutines, if any remain, get a fresh scope if they
			// ever open something. An interrupted cell's scope stays, so
			// that what its goroutines open is still closed at once.
			t.drop(old)
		}
		s = &scope{t: t, cell: cell, labels: labels, key: key, res: map[uint64]func(){}}
		t.cur = s
	}
	t.set(s)
	t.mu.Unlock()
	return func() { pprof.SetGoroutineLabels(context.Background()) }
}

// owner returns the scope of the calling goroutine.
func (t *tracker) owner() *scope {
	key := getProfLabel()
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.scopes[key]; ok && key != nil {
		return s
	}
	if key == nil {
		if t.cur == nil {
			s := &scope{t: t, res: map[uint64]func(){}}
			s.key = unsafe.Pointer(s)
			t.cur = s
		}
		return t.cur
	}
	// A goroutine of a cell whose scope was dropped while it had nothing
	// open: it gets its scope back, though not its cell number.
	s := &scope{t: t, key: key, res: map[uint64]func(){}}
	t.set(s)
	return s
}

// set makes s the scope of its key; t.mu is held.
func (t *tracker) set(s *scope) {
	t.scopes[s.key] = s
	byLabels.Store(s.key, s)
}

// drop forgets s; t.mu is held.
func (t *tracker) drop(s *scope) {
	delete(t.scopes, s.key)
	byLabels.CompareAndDelete(s.key, s)
}

// add registers a resource with s and returns the scope that holds it
// (s, or the scope that replaced s for the same goroutines) and its id.
// When the tracker is closed, or the calling goroutine is one of a cell
// that was interrupted, it closes the resource at once and returns a nil
// scope: an interrupt can come between a call opening a resource (a
// listener already bound) and this registration, and what the cell opens
// then must not outlive it.
func (s *scope) add(closeFn func()) (*scope, uint64) {
	t := s.t
	key := getProfLabel()
	t.mu.Lock()
	o, held := t.scopes[s.key]
	if held {
		s = o
	}
	if t.closed || s.stopped && key == s.key {
		t.mu.Unlock()
		closeFn()
		return nil, 0
	}
	if !held {
		t.set(s)
	}
	s.next++
	id := s.next
	s.res[id] = closeFn
	t.mu.Unlock()
	return s, id
}

// remove forgets resource id of s (it was closed or collected).
func (s *scope) remove(id uint64) {
	t := s.t
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(s.res, id)
	if len(s.res) == 0 && s != t.cur && !s.stopped && t.scopes[s.key] == s {
		t.drop(s)
	}
}

// closingPtr is what the tracker holds weakly: a pointer to something that
// closes.
type closingPtr[T any] interface {
	*T
	Close() error
}

// trackWeak registers p with s, to be closed by closeFn, without keeping p
// alive: once the cell drops p and the collector frees it, s forgets it.
func trackWeak[T any](s *scope, p *T, closeFn func(*T)) {
	if p == nil {
		return
	}
	w := weak.Make(p)
	s, id := s.add(func() {
		if v := w.Value(); v != nil {
			closeFn(v)
		}
	})
	if s != nil {
		runtime.AddCleanup(p, s.remove, id)
	}
}

// track registers p with the calling goroutine's scope, closed by Close.
func track[T any, P closingPtr[T]](t *tracker, p P) {
	trackWeak(t.owner(), (*T)(p), func(p *T) { P(p).Close() })
}

// interrupt closes what cell opened: its listeners and connections, its
// processes (killing their process groups), its pipes and timers. What
// the cell's goroutines open afterwards is closed as soon as it is opened.
func (t *tracker) interrupt(cell int) {
	t.closing.Lock()
	defer t.closing.Unlock()
	t.mu.Lock()
	var fns []func()
	for _, s := range t.scopes {
		if s.cell == cell {
			s.stopped = true
			fns = append(fns, s.take()...)
		}
	}
	t.mu.Unlock()
	for _, f := range fns {
		f()
	}
}

// take empties s and returns its closers; t.mu is held.
func (s *scope) take() []func() {
	fns := make([]func(), 0, len(s.res))
	for id, f := range s.res {
		fns = append(fns, f)
		delete(s.res, id)
	}
	return fns
}

// close closes everything every cell opened; what cells open afterwards
// is closed at once.
func (t *tracker) close() {
	live.Delete(t)
	t.closing.Lock()
	defer t.closing.Unlock()
	t.mu.Lock()
	t.closed = true
	var fns []func()
	for _, s := range t.scopes {
		fns = append(fns, s.take()...)
	}
	t.mu.Unlock()
	for _, f := range fns {
		f()
	}
}

// open counts the resources cells hold open (for tests).
func (t *tracker) open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, s := range t.scopes {
		n += len(s.res)
	}
	return n
}

// interruptCell stops the unit r of cell, then closes what the cell
// opened, so that a call blocked on it returns and the unit's goroutine
// reaches its next interpreted step, where it stops. Closing comes second
// so that the cell's code, seeing its listener fail, runs no further.
func (in *Interp) interruptCell(r *run, cell int) {
	in.interrupt(r)
	in.mu.Lock()
	stopped := r.cancelled
	in.mu.Unlock()
	if stopped && cell > 0 {
		in.track.interrupt(cell)
	}
}
