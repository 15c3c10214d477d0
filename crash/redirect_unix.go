//go:build unix

package crash

import (
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
	return func() {
		dup2(orig, 2)
		os.Stderr = oldStderr
	}, nil
}
