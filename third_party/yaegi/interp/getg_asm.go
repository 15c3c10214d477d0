// Not part of yaegi v0.16.1: added for iotkernel, see survive.go.

//go:build amd64 || arm64

package interp

// getg returns the address of the running goroutine's runtime structure:
// the same for a goroutine's whole life, and cheap to get.
func getg() uintptr
