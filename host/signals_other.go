//go:build !unix

package host

import (
	"os"
	"os/signal"
)

// signalIgnore is signal.Ignore in cells; only Unix has signals the
// kernel depends on (signals.go).
func signalIgnore(sigs ...os.Signal) { signal.Ignore(sigs...) }

// signalReset is signal.Reset in cells.
func signalReset(sigs ...os.Signal) { signal.Reset(sigs...) }
