package host

import (
	"fmt"
	"sort"
	"strings"
)

// What tracking cannot unblock (a deadlocked mutex, sync.WaitGroup.Wait,
// a select inside library code) leaves the interrupted cell's goroutine
// inside the interpreter for good. The cell still ends on the interrupt;
// later cells get a *StuckError until the goroutine returns, and the
// router can replace the interpreter (%hostreset): the fresh one has none
// of the Go definitions, while the kernel, its board and its store live on.

// StuckError reports that an interrupted cell's Go code is still blocked
// in a call no interrupt reaches, so the interpreter cannot run cells
// until it returns.
type StuckError struct {
	// Lost are the names cells defined, which a fresh interpreter would
	// not have, sorted.
	Lost []string
	// Err, when the cell that was interrupted returns this error, is its
	// ctx.Err(); nil for the cells after it.
	Err error
}

func (e *StuckError) Error() string {
	if e.Err != nil {
		return e.Err.Error() + ": the cell's Go code is still blocked in a call no interrupt reaches (" + stuckCalls + ")"
	}
	return "the Go interpreter is still blocked in the cell that was interrupted, inside a call no interrupt reaches (" + stuckCalls + "), so it cannot run this cell"
}

func (e *StuckError) Unwrap() error { return e.Err }

// Advice says how to go on, naming what a fresh interpreter loses.
func (e *StuckError) Advice() string {
	return "%hostreset starts a fresh Go interpreter, " + LostText(e.Lost) + "; the board and %store are kept."
}

const stuckCalls = "a locked mutex, sync.WaitGroup.Wait, a select inside library code"

// LostText describes the definitions a fresh interpreter loses.
func LostText(names []string) string {
	switch len(names) {
	case 0:
		return "which loses no definitions (none were made)"
	case 1:
		return "which loses the definition of " + names[0]
	}
	const most = 30
	shown := names
	more := ""
	if len(names) > most {
		shown = names[:most]
		more = fmt.Sprintf(" and %d more", len(names)-most)
	}
	return fmt.Sprintf("which loses %d definitions: %s%s", len(names), strings.Join(shown, ", "), more)
}

// Defined returns the names cells defined at top level (variables,
// constants, functions, types, and those %store defined), sorted. It
// does not wait for a cell stuck in a blocked call.
func (in *Interp) Defined() []string {
	in.evalMu.Lock()
	defer in.release()
	return in.definedNames()
}

// definedNames is Defined with evalMu held.
func (in *Interp) definedNames() []string {
	names := make([]string, 0, len(in.defined))
	for n := range in.defined {
		if !strings.HasPrefix(n, "_") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// stuckError is the error of a cell run while the interpreter is stuck
// (err nil), or of the interrupted cell that left it stuck.
func (in *Interp) stuckError(err error) error {
	return &StuckError{Lost: in.definedNames(), Err: err}
}
