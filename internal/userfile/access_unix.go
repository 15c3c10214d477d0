//go:build unix

package userfile

import "syscall"

// wOK is access(2)'s W_OK, the same on every Unix.
const wOK = 2

// writable reports whether this process may write the file at path, by
// its real user and groups as access(2) judges (root may write anything).
func writable(path string) bool { return syscall.Access(path, wOK) == nil }
