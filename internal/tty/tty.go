//go:build linux

// Package tty owns pseudo-terminals and their line settings: it is the
// only importer of github.com/creack/pty. The transport runs process
// boards (the Unix port, a board simulator) on a pty whose settings act
// like a board's UART, and the benchmarks' line simulator puts a pty in
// front of such a board; both get their ptys and termios rules here, so
// the two never drift apart.
package tty

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Mode is how a pty's slave side treats the bytes that cross it.
type Mode int

const (
	// Raw passes every byte through unchanged: no echo, no line editing,
	// no output translation, no signal characters.
	Raw Mode = iota
	// Board is Raw except that 0x03 raises SIGINT in the process on the
	// slave side, as Ctrl-C interrupts a board's program. The other signal
	// characters stay off: cells may hold 0x1a and 0x1c.
	Board
)

// Open returns a new pty's master and slave, the slave set to mode.
func Open(mode Mode) (master, slave *os.File, err error) {
	master, slave, err = pty.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("open pty: %w", err)
	}
	if err := SetMode(slave, mode); err != nil {
		master.Close()
		slave.Close()
		return nil, nil, fmt.Errorf("set mode of %s: %w", slave.Name(), err)
	}
	return master, slave, nil
}

// SetMode sets the terminal f to mode.
func SetMode(f *os.File, mode Mode) error {
	fd := int(f.Fd())
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF | unix.IXANY
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.IEXTEN | unix.ISIG
	if mode == Board {
		t.Lflag |= unix.ISIG
		t.Cc[unix.VINTR] = 0x03
		t.Cc[unix.VQUIT] = 0
		t.Cc[unix.VSUSP] = 0
	}
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// Start starts cmd on a new pty in Board mode, in a session of its own
// with the pty as its controlling terminal (so 0x03 written to the master
// interrupts it), and returns the master. cmd's standard files are the
// slave; the caller waits for cmd and closes the master.
func Start(cmd *exec.Cmd) (master *os.File, err error) {
	master, slave, err := Open(Board)
	if err != nil {
		return nil, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	err = cmd.Start()
	slave.Close()
	if err != nil {
		master.Close()
		return nil, err
	}
	return master, nil
}
