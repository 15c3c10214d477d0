package transport

import (
	"errors"
	"fmt"
	"strings"
)

// Link errors: the board could not be reached or did not answer. They are
// apart from *ExecError, which means the board ran the cell and raised.
var (
	// ErrNotConnected means the link is closed or could not be (re)opened.
	ErrNotConnected = errors.New("board not connected")
	// ErrTimeout means a handshake (entering the raw REPL, a soft reset,
	// an acknowledgement) did not complete within its deadline.
	ErrTimeout = errors.New("board did not answer in time")
	// ErrStateLost means the board reset or its link vanished: its
	// variables and imports are gone. Errors that match it are
	// *ResetError values; the next Exec reconnects.
	ErrStateLost = errors.New("board state lost")
	// ErrInterruptIgnored means the board kept running after two Ctrl-C.
	ErrInterruptIgnored = errors.New("board does not respond to Ctrl-C")
	// ErrReservedByte means a cell holds a byte the raw REPL reserves.
	ErrReservedByte = errors.New("cell holds a reserved control byte")
)

// errLocalNotBuilt is returned by localArgv until the local board lands.
var errLocalNotBuilt = errors.New("the local board is not built yet")

// ExecError is an exception the board raised while running a cell
// (NameError, SyntaxError, KeyboardInterrupt, MemoryError...).
type ExecError struct {
	Type  string // exception class, e.g. "NameError"
	Value string // its message, may be empty
	// Traceback holds the board's traceback lines, the last being
	// "Type: value".
	Traceback []string
	// Hint is advice for the user, set for a MemoryError while a big
	// cell compiles in plain raw mode; empty otherwise.
	Hint string
}

func (e *ExecError) Error() string {
	s := e.Type
	if e.Value != "" {
		s += ": " + e.Value
	}
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// ResetError reports that the board reset or vanished during a call, so
// its state was lost. errors.Is(err, ErrStateLost) holds for it.
type ResetError struct {
	URL    string
	Reason string // what was seen: "reset banner", "ROM boot log", "link closed"...
	Err    error  // the link error, if any
}

func (e *ResetError) Error() string {
	msg := fmt.Sprintf("board %s: %s: board state was lost (variables, imports); the next cell reconnects", e.URL, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *ResetError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrStateLost) true.
func (e *ResetError) Is(target error) bool { return target == ErrStateLost }

// parseTraceback turns what the board printed after its first 0x04 into an
// ExecError. text has already had "\r\n" turned into "\n".
func parseTraceback(text string) *ExecError {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if lines == nil {
		lines = []string{} // marshals as [], never null
	}
	e := &ExecError{Type: "Error", Traceback: lines}
	if len(lines) == 0 {
		return e
	}
	last := strings.TrimSpace(lines[len(lines)-1])
	name, value, found := strings.Cut(last, ":")
	if isDottedName(name) {
		e.Type = name
		if found {
			e.Value = strings.TrimSpace(value)
		}
	} else {
		e.Value = last
	}
	return e
}

// isDottedName reports whether s looks like an exception class name such
// as "OSError" or "mymod.MyError".
func isDottedName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z':
		case i > 0 && (r >= '0' && r <= '9' || r == '.'):
		default:
			return false
		}
	}
	return true
}
