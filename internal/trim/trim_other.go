//go:build !linux

package trim

// Executable does nothing on this system.
func Executable() (int, error) { return 0, nil }
