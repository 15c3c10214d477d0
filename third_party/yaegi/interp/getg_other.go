// Not part of yaegi v0.16.1: added for iotkernel, see survive.go.

//go:build !amd64 && !arm64

package interp

import (
	"bytes"
	"runtime"
	"strconv"
)

// getg returns an id of the running goroutine, read from the header of
// its stack trace ("goroutine 18 [running]:"): slower than on amd64 and
// arm64, which read it from a register.
func getg() uintptr {
	var buf [64]byte
	b := bytes.TrimPrefix(buf[:runtime.Stack(buf[:], false)], []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return uintptr(id)
}
