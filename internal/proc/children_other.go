//go:build !linux

package proc

import "time"

// Lead does nothing on this system (see the package doc).
func Lead() error { return nil }

// EndChildren does nothing on this system (see the package doc).
func EndChildren(grace time.Duration) (int, error) { return 0, nil }

func isZombie(pid int) bool { return false }
