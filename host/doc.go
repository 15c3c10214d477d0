// Package host owns the in-process Go interpreter behind %%host cells: one
// yaegi interpreter for the kernel's life, per-cell output, stdin and
// display routing, cancellation, completion and inspection of Go code.
//
// It is the only package that imports github.com/traefik/yaegi. It knows
// nothing of Jupyter or of boards: output goes to the writers and callbacks
// in the IO value each cell is given, never to os.Stdout.
//
// Contract used by the router (see router.Session):
//
//	in, err := host.New(host.Options{})          // one per kernel
//	res, err := in.Eval(ctx, code, host.IO{...})  // serial: one Eval at a time
//	matches, start, end := in.Complete(code, cursor)
//	text, found := in.Inspect(code, cursor)
//	status, indent := host.IsComplete(code)
//	in.Lookup(name) (any, bool) / in.Define(name string, v any) error   // for %store
//
// Eval blocks until the cell returns or ctx is done; on ctx done it returns
// an error matching context.Canceled within about a second.
//
// Cells see the standard library's listeners, connections, http servers
// and clients, processes, pipes and timers through wrappers that record
// which cell opened them (track.go, tracksyms.go): an interrupt closes
// what the interrupted cell opened, so that its blocked call returns,
// and whatever that cell's goroutines open afterwards (a listener bound
// as the interrupt came) is closed as soon as it is opened; when Eval
// returns, the cell's listeners are closed and their ports free. Close
// closes what every cell opened. A cell blocked where no tracking reaches
// leaves the interpreter stuck: later cells fail with a *StuckError, and
// the router replaces the interpreter (reset.go). Each interpreter has
// an http.DefaultServeMux of its own, empty until cells register on it
// or import net/http/pprof or expvar (servemux.go).
//
// What would end a compiled Go program ends only a cell, a goroutine or a
// callback here. A panic in a goroutine a cell started, or in a cell's
// function that compiled code calls on a goroutine of its own (a
// time.AfterFunc callback, an HTTP handler), is recovered and shown on the
// stderr of the cell running now, else of the last cell, with the line of
// the go statement or of the function. Calls nested deeper than
// Options.MaxCallDepth fail with RecursionError before Go's stack
// overflows. Both are done in yaegi itself (third_party/yaegi, see its
// README), not by rewriting cells: every go statement, and every
// interpreted function compiled code can call (func values, method values,
// named functions, not only function literals), passes through a few
// places in yaegi's run.go, and a patch there keeps the tracebacks and the
// semantics of panics unwinding through interpreted calls. What the Go
// runtime makes fatal without a panic (concurrent map writes, running out
// of memory) cannot be caught in-process and still ends the kernel; package crash reports it after the restart.
package host
