package transport

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/iotkernel/iotkernel/internal/userfile"
	"github.com/iotkernel/iotkernel/transport/boardprog"
)

// localArgv returns the command line that starts the local MicroPython
// Unix port as a board for the "local" URL: the micropython binary found
// through $IOTKERNEL_MICROPYTHON or PATH, given the embedded board-side
// program (package boardprog). The program is used for every Unix port:
// those up to 1.25 have no raw REPL, and it behaves the same on newer ones.
func localArgv() ([]string, error) {
	mp, err := findMicroPython()
	if err != nil {
		return nil, err
	}
	path, err := boardprog.WriteFile(boardProgramDir())
	if err != nil {
		return nil, err
	}
	return boardprog.Args(mp, path), nil
}

// findMicroPython locates the Unix port: $IOTKERNEL_MICROPYTHON (a path,
// or a name looked up on PATH), else "micropython" on PATH.
func findMicroPython() (string, error) {
	if env := os.Getenv("IOTKERNEL_MICROPYTHON"); env != "" {
		path, err := exec.LookPath(env)
		if err != nil {
			return "", fmt.Errorf("IOTKERNEL_MICROPYTHON=%s: %w", env, err)
		}
		return path, nil
	}
	path, err := exec.LookPath("micropython")
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return "", errors.New("no micropython on PATH: install MicroPython's Unix port (Debian 13: apt install micropython; any Debian: scripts/install-boards.sh) or set IOTKERNEL_MICROPYTHON to its path")
		}
		return "", fmt.Errorf("find micropython: %w", err)
	}
	return path, nil
}

// boardProgramDir is where the board program is written for the Unix port
// to run: the user's cache directory, or the temporary directory when
// there is none.
func boardProgramDir() string {
	if dir, err := userfile.CacheDir(os.Getenv); err == nil {
		return dir
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("iotkernel-%d", os.Getuid()))
}
