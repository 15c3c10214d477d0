// Package boardprog holds the board-side program that makes MicroPython's
// Unix port a board for the transport's "local" and "exec:" links.
//
// The Unix port's REPL (up to 1.25) has no raw REPL: it offers the friendly
// REPL and Ctrl-E paste mode, and Ctrl-D ends the process. The program here,
// rawrepl.py, is MicroPython code run by that port. It reads its stdin one
// byte at a time and answers on stdout the way MicroPython's
// shared/runtime/pyexec.c answers on a board's UART: the friendly REPL at
// start, the raw REPL (Ctrl-A), raw-paste with flow control (`\x05A\x01`),
// soft reset (Ctrl-D at an empty raw prompt), with `\r\n` line ends. Cells
// run in one namespace that lives until a soft reset. On a tty it sets the
// line up like a UART and lets Ctrl-C raise KeyboardInterrupt (SIGINT from
// the pty's ISIG) only while a cell runs; micropython.kbd_intr(-1) makes the
// line pass every byte both ways, as binary protocols over the REPL
// (mpremote's mount) expect of a board.
//
// The package only provides the program and the command line that runs it;
// it starts nothing.
package boardprog

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/iotkernel/iotkernel/internal/userfile"
)

//go:embed rawrepl.py
var program []byte

// Window is the raw-paste flow-control window the program announces.
const Window = 256

// Program returns the board-side program's source. The caller may keep the
// slice; it is a copy.
func Program() []byte {
	return bytes.Clone(program)
}

// FileName returns the name under which WriteFile stores the program: it
// changes whenever the program does, so that processes still running an
// older copy keep theirs.
func FileName() string {
	sum := sha256.Sum256(program)
	return "iotkernel-board-" + hex.EncodeToString(sum[:6]) + ".py"
}

// WriteFile stores the program in dir (created if needed) under FileName
// and returns its path. A file already there with the same content is
// reused, so concurrent kernels share one copy; a new copy is written
// to a temporary file and renamed into place, so no reader sees half of it.
func WriteFile(dir string) (string, error) {
	path := filepath.Join(dir, FileName())
	if have, err := os.ReadFile(path); err == nil && bytes.Equal(have, program) {
		return path, nil
	}
	if err := userfile.WriteFile(path, program, 0o644); err != nil {
		return "", fmt.Errorf("board program: %w", err)
	}
	return path, nil
}

// Args returns the command line that runs the program stored at
// programPath with the MicroPython Unix port at micropython. The process
// expects its stdin and stdout on a pty (or pipes, without interrupts).
func Args(micropython, programPath string) []string {
	return []string{micropython, programPath}
}
