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

	"github.com/iotkernel/iotkernel/internal/tty"
)

// dialExec starts argv under a new pty and treats it as a board.
func dialExec(argv []string) dialFunc {
	return func(ctx context.Context) (link, error) {
		cmd := exec.Command(argv[0], argv[1:]...)
		ptmx, err := tty.Start(cmd)
		if err != nil {
			return link{}, &permanentError{fmt.Errorf("exec %s: %w", argv[0], err)}
		}
		p := &procLink{ptmx: ptmx, cmd: cmd, name: argv[0], exited: make(chan struct{})}
		go p.wait()
		return link{rw: p, process: true}, nil
	}
}

// dialLocal starts the Unix port (argv) as dialExec does, and interrupts
// it with SIGINT rather than a 0x03 on its tty. The two are the same while
// the tty turns 0x03 into SIGINT, but MicroPython's own raw REPL (the Unix
// port after 1.25) runs a raw-paste cell with the terminal in raw mode,
// where a 0x03 is only a byte nobody reads. Other exec: boards keep the
// byte: SIGINT would end a bridge such as Node.js.
func dialLocal(argv []string) dialFunc {
	dial := dialExec(argv)
	return func(ctx context.Context) (link, error) {
		lk, err := dial(ctx)
		if err != nil {
			return lk, err
		}
		p := lk.rw.(*procLink)
		lk.signal = func() error {
			// Setsid: the process leads its own group, as the tty's
			// foreground group would be signalled.
			return syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT)
		}
		return lk, nil
	}
}

// procLink is the pty master of a process board. It owns the goroutine
// that waits for the process.
type procLink struct {
	ptmx   *os.File
	cmd    *exec.Cmd
	name   string
	exited chan struct{} // closed once the process was reaped
	state  error         // how it ended; read after exited
	tail   []byte        // the last bytes read, for ProcessExitError; Read's alone
}

// tailSize bounds procLink.tail: enough for a line of an error message.
const tailSize = 256

func (p *procLink) wait() {
	p.state = p.cmd.Wait()
	close(p.exited)
}

func (p *procLink) Read(b []byte) (int, error) {
	n, err := p.ptmx.Read(b)
	if n > 0 {
		p.tail = append(p.tail, b[:n]...)
		if len(p.tail) > tailSize {
			p.tail = append(p.tail[:0], p.tail[len(p.tail)-tailSize:]...)
		}
	}
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
			err = &ProcessExitError{Name: p.name, Status: status, LastLine: lastLine(p.tail), Err: err}
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
