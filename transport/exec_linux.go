//go:build linux

package transport

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// dialExec starts argv under a new pty and treats it as a board.
func dialExec(argv []string) dialFunc {
	return func(ctx context.Context) (link, error) {
		ptmx, tty, err := pty.Open()
		if err != nil {
			return link{}, &permanentError{fmt.Errorf("exec %s: open pty: %w", argv[0], err)}
		}
		if err := boardTermios(int(tty.Fd())); err != nil {
			ptmx.Close()
			tty.Close()
			return link{}, &permanentError{fmt.Errorf("exec %s: set pty mode: %w", argv[0], err)}
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
		// A session of its own with the pty as controlling terminal, so
		// that 0x03 from the host reaches it as SIGINT.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
		err = cmd.Start()
		tty.Close()
		if err != nil {
			ptmx.Close()
			return link{}, &permanentError{fmt.Errorf("exec %s: %w", argv[0], err)}
		}
		p := &procLink{ptmx: ptmx, cmd: cmd, name: argv[0], exited: make(chan struct{})}
		go p.wait()
		return link{rw: p, process: true}, nil
	}
}

// boardTermios makes the pty pass bytes through unchanged, except that
// 0x03 raises SIGINT in the process as Ctrl-C does on a board: no echo, no
// line editing, no output translation, no other signal characters.
func boardTermios(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.IEXTEN
	t.Lflag |= unix.ISIG
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	t.Cc[unix.VINTR] = ctrlC
	t.Cc[unix.VQUIT] = 0 // disabled: cells may hold 0x1c
	t.Cc[unix.VSUSP] = 0 // disabled: cells may hold 0x1a
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// procLink is the pty master of a process board. It owns the goroutine
// that waits for the process.
type procLink struct {
	ptmx   *os.File
	cmd    *exec.Cmd
	name   string
	exited chan struct{} // closed once the process was reaped
	state  error         // how it ended; read after exited
}

func (p *procLink) wait() {
	p.state = p.cmd.Wait()
	close(p.exited)
}

func (p *procLink) Read(b []byte) (int, error) {
	n, err := p.ptmx.Read(b)
	if err != nil && !errors.Is(err, os.ErrClosed) {
		// The pty reports EIO once the process is gone; say how it ended.
		select {
		case <-p.exited:
		case <-time.After(200 * time.Millisecond):
		}
		select {
		case <-p.exited:
			status := "exit status 0"
			if p.state != nil {
				status = p.state.Error()
			}
			err = fmt.Errorf("process %s exited (%s): %w", p.name, status, err)
		default:
		}
	}
	return n, err
}

func (p *procLink) Write(b []byte) (int, error) { return p.ptmx.Write(b) }

// Close hangs up the pty and ends the process group with SIGTERM, then
// SIGKILL if it is still there half a second later. A process board keeps
// nothing worth saving.
func (p *procLink) Close() error {
	err := p.ptmx.Close()
	pgid := p.cmd.Process.Pid // Setsid: the group is the process's own
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(500 * time.Millisecond):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.exited
	}
	return err
}
