//go:build unix

package host

import (
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// A cell's signal.Ignore and signal.Reset leave the kernel's signals to
// the kernel, and work on the others. SIGHUP stands for them here: the
// test's own SIGINT is go test's.
func TestCellsLeaveTheKernelsSignals(t *testing.T) {
	in := newInterp(t)
	kernel := make(chan os.Signal, 1)
	signal.Notify(kernel, syscall.SIGHUP)
	defer signal.Stop(kernel)
	received := func(what string) {
		t.Helper()
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		select {
		case <-kernel:
		case <-time.After(5 * time.Second):
			t.Fatalf("after a cell's %s, the kernel's SIGHUP handler got nothing", what)
		}
	}
	// Ignore first: without the fix it only stops delivery, where Reset
	// would end the test process.
	for _, cell := range []string{"signal.Ignore(syscall.SIGHUP)", "signal.Ignore()", "signal.Reset(syscall.SIGHUP)", "signal.Reset()"} {
		mustEval(t, in, cell)
		received(cell)
		// Processes are still waited for (SIGCHLD is not ignored).
		if err := exec.Command("true").Run(); err != nil {
			t.Fatalf("after a cell's %s, running a command: %v", cell, err)
		}
	}
	// The cell's own signals work as in Go.
	wantValue(t, in, "signal.Ignore(syscall.SIGUSR2)\nsignal.Ignored(syscall.SIGUSR2)", "true")
	wantValue(t, in, "c := make(chan os.Signal, 1)\nsignal.Notify(c, syscall.SIGUSR1)\nsyscall.Kill(os.Getpid(), syscall.SIGUSR1)\n(<-c).String()", "user defined signal 1")
	mustEval(t, in, "signal.Reset()")
}
