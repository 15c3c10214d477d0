//go:build unix

package host

import (
	"os"
	"os/signal"
	"syscall"
)

// Cells share the kernel's process, whose SIGINT is the interrupt (a
// terminal's Ctrl-C, a client with interrupt_mode "signal") and whose
// SIGTERM and SIGHUP end it cleanly (see main). signal.Reset in a cell
// made the next SIGINT kill the kernel, and signal.Ignore stopped
// interrupts. Ignoring SIGCHLD would also have the system reap the
// processes of %%bash and exec.Command before they are waited for, and
// ignoring SIGURG would drop the Go runtime's preemption. In cells both
// act on every signal but these.
var kernelSignals = map[os.Signal]bool{
	syscall.SIGINT: true, syscall.SIGTERM: true, syscall.SIGHUP: true,
	syscall.SIGCHLD: true, syscall.SIGURG: true,
}

// cellSignals returns sigs without the kernel's signals; no signals
// means all of them, as for signal.Ignore and signal.Reset.
func cellSignals(sigs []os.Signal) []os.Signal {
	if len(sigs) == 0 {
		for n := 1; n <= 64; n++ { // past the highest on Linux; others are skipped
			sigs = append(sigs, syscall.Signal(n))
		}
	}
	var out []os.Signal
	for _, s := range sigs {
		if !kernelSignals[s] {
			out = append(out, s)
		}
	}
	return out
}

// signalIgnore is signal.Ignore in cells.
func signalIgnore(sigs ...os.Signal) {
	if s := cellSignals(sigs); len(s) > 0 {
		signal.Ignore(s...)
	}
}

// signalReset is signal.Reset in cells.
func signalReset(sigs ...os.Signal) {
	if s := cellSignals(sigs); len(s) > 0 {
		signal.Reset(s...)
	}
}
