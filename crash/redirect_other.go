//go:build !unix

package crash

import "os"

func redirectCrashOutput(f *os.File) (restore func(), err error) { return setCrashOutput(f) }
