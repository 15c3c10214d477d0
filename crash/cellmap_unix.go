//go:build unix

package crash

import (
	"os"
	"syscall"
)

// mapCell maps the first size bytes of the cell file, which it extends
// to that size, into memory shared with the file.
func mapCell(f *os.File, size int) ([]byte, error) {
	if err := f.Truncate(int64(size)); err != nil {
		return nil, err
	}
	return syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
}

func unmapCell(b []byte) error { return syscall.Munmap(b) }
