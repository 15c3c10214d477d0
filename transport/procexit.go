package transport

import (
	"fmt"
	"strings"
)

// A ProcessExitError reports that the process behind an exec: or local
// board ended: how, and the last line it printed (its stderr shares the
// pty with its stdout). It is the Err of the link failure that revealed it.
type ProcessExitError struct {
	Name     string // the command, as started
	Status   string // how it ended: "exit status 1", "signal: killed"
	LastLine string // the last non-blank line it printed, if any
	Err      error  // the read error that revealed the exit
}

func (e *ProcessExitError) Error() string {
	s := fmt.Sprintf("process %s exited (%s)", e.Name, e.Status)
	if e.LastLine != "" {
		s += fmt.Sprintf(", last printing %q", e.LastLine)
	}
	return s + ": " + e.Err.Error()
}

func (e *ProcessExitError) Unwrap() error { return e.Err }

// lastLine returns the last non-blank line of out, trimmed.
func lastLine(out []byte) string {
	lines := strings.Split(string(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}
