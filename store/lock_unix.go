//go:build unix

package store

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// lockFile takes a flock(2) lock on path, creating the file if needed, and
// returns the function that releases it. The lock file holds nothing, so
// others may read it (0644): a user who may only read the store can
// still take the shared lock. flock locks belong to the open
// file description, so two goroutines of one process exclude each other
// just as two kernels do. lockFile blocks until the lock is granted;
// holders keep it only for one read or one read-modify-write.
func lockFile(path string, exclusive bool) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if errors.Is(err, fs.ErrPermission) {
		// Another user's lock file: flock needs no write access, so a
		// read-only descriptor locks it just as well, and the store then
		// says clearly what it cannot do.
		f, err = os.Open(path)
	}
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, &os.PathError{Op: "flock", Path: path, Err: err}
	}
	// Closing the descriptor releases the lock.
	return func() { f.Close() }, nil
}
