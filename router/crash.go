package router

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/iotkernel/iotkernel/kernel"
)

// afterCrash runs before the first cell of a kernel that replaces one
// that died: it shows what killed the previous kernel and reconnects the
// board it had, as it was (opening a link enters the raw REPL, which
// interrupts what the board runs but keeps its variables). A silent
// cell, whose output nobody sees, reconnects the board but leaves the
// report to the next cell.
func (s *Session) afterCrash(ctx context.Context, out kernel.Output) {
	p := s.crash.Previous()
	var b strings.Builder
	b.WriteString(p.Report())
	if !s.crashReconnected {
		s.crashReconnected = true
		if p.Board != "" && s.currentConn() == nil {
			board, err := s.open(ctx, p.Board)
			if err != nil {
				fmt.Fprintf(&b, "Could not reconnect the board %s: %v\n(%%connect %s tries again.)\n", p.Board, err, p.Board)
			} else {
				s.addBoard(&boardConn{name: p.Board, url: p.Board, b: board})
				fmt.Fprintf(&b, "Reconnected the board %s, without resetting it.\n", p.Board)
			}
		}
	}
	if out.Silent() && b.Len() > 0 {
		return
	}
	s.crashReported = true
	if b.Len() > 0 {
		b.WriteString("\n")
		io.WriteString(out.Stderr(), b.String())
	}
}
