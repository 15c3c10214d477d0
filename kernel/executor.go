package kernel

import (
	"context"
	"errors"
	"io"
)

// Executor gives meaning to cells. The kernel calls its methods from one
// goroutine, one request at a time, in the order the requests arrived on
// shell: never two at once. Interrupts cancel the ctx of the running call.
type Executor interface {
	// Execute runs one cell. Output goes to out while it runs. A non-nil
	// error becomes an IOPub error message and an error reply; an error
	// that is (or wraps) a *CellError keeps its ename, evalue and
	// traceback. When the cell ends by interruption, Execute returns an
	// error (a *CellError named KeyboardInterrupt reads best to users).
	Execute(ctx context.Context, code string, out Output) error

	// Complete returns completions for code at cursor (a rune offset).
	Complete(ctx context.Context, code string, cursor int) Completion

	// Inspect returns what is known of the name at cursor; found false if
	// nothing. detail is the client's detail_level (0 or 1).
	Inspect(ctx context.Context, code string, cursor, detail int) (data MIMEBundle, found bool)

	// IsComplete says whether code is ready to run: "complete",
	// "incomplete" (with the indent for the next line), "invalid" or
	// "unknown".
	IsComplete(code string) (status, indent string)

	// Close releases what the executor holds (the board's port first);
	// it is called once, at shutdown or restart, before the process exits.
	Close() error
}

// Output is what a running cell writes to. Its methods are safe for
// concurrent use (goroutines started by a cell may keep writing after the
// cell ended; that output goes to the cell running then, else to the last).
type Output interface {
	// Stdout and Stderr are stream writers that coalesce small writes,
	// flush at least every 50 ms, and never split a UTF-8 character.
	Stdout() io.Writer
	Stderr() io.Writer

	// Result publishes execute_result for this cell (at most once; later
	// calls replace nothing and are ignored). Must carry "text/plain".
	Result(data MIMEBundle, metadata map[string]any)

	// Display publishes display_data, or update_display_data when update
	// is true. A non-empty displayID goes into transient.display_id.
	Display(data MIMEBundle, metadata map[string]any, displayID string, update bool)

	// ClearOutput publishes clear_output.
	ClearOutput(wait bool)

	// Input asks the notebook user for a line through input_request on
	// the stdin channel and returns the answer without its newline. It
	// returns ErrNoStdin when the request had allow_stdin false, and
	// ctx.Err() when interrupted.
	Input(ctx context.Context, prompt string, password bool) (string, error)

	// Silent reports the request's silent flag; outputs are dropped when
	// true, and executors may skip work that only produces output.
	Silent() bool
}

// NextInputSetter is an Output that can fill the notebook's next cell:
// SetNextInput puts text in a new cell below, or with replace in place
// of the cell that ran (the set_next_input payload of the execute_reply,
// as IPython's %load sends it). The kernel's Output is one; the last
// call of a cell wins, and a cell that fails sends none.
type NextInputSetter interface {
	SetNextInput(text string, replace bool)
}

// MIMEBundle maps a MIME type to its data, as in display_data.
type MIMEBundle map[string]any

// Completion is a complete_reply's payload; offsets count runes.
type Completion struct {
	Matches     []string
	CursorStart int
	CursorEnd   int
	Metadata    map[string]any
}

// CellError is a failure as Jupyter shows it: the exception's name, its
// value, and the traceback lines (ANSI colours allowed).
type CellError struct {
	Name      string
	Value     string
	Traceback []string
}

func (e *CellError) Error() string {
	if e.Value == "" {
		return e.Name
	}
	return e.Name + ": " + e.Value
}

// ErrNoStdin is returned by Output.Input when the client does not accept
// input requests (allow_stdin false).
var ErrNoStdin = errors.New("this client does not accept input (allow_stdin is false); run the cell from a notebook or console that does")
