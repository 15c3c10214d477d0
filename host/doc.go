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
// what the interrupted cell opened, so that its blocked call returns;
// Close closes what every cell opened. A cell blocked where no tracking
// reaches leaves the interpreter stuck: later cells fail with a
// *StuckError, and the router replaces the interpreter (reset.go).
package host
