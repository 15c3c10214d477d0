//go:build unix

package crash

import (
	"log"
	"os"
	"syscall"
)

// redirectCrashOutput points file descriptor 2, where the runtime writes
// a fatal error, at f, and os.Stderr at a copy of the original.
func redirectCrashOutput(f *os.File) (restore func(), err error) {
	orig, err := syscall.Dup(2)
	if err != nil {
		return nil, err
	}
	syscall.CloseOnExec(orig)
	if err := dup2(int(f.Fd()), 2); err != nil {
		syscall.Close(orig)
		return nil, err
	}
	oldStderr := os.Stderr
	os.Stderr = os.NewFile(uintptr(orig), "/dev/stderr")
	// The log package's default logger (which libraries use) keeps the
	// *os.File it started with, now the crash file.
	stdLog := log.Writer() == oldStderr
	if stdLog {
		log.SetOutput(os.Stderr)
	}
	return func() {
		dup2(orig, 2)
		if stdLog {
			log.SetOutput(oldStderr)
		}
		os.Stderr = oldStderr
	}, nil
}
