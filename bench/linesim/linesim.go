// Package linesim emulates a board behind a slow serial line, for the
// benchmarks of bench/boardbench.
//
// StartBoard runs MicroPython's Unix port with the transport's board
// program (package transport/boardprog) under a pty of its own, as the
// transport's exec: link does, so that the process answers like a board's
// UART: raw REPL, raw-paste, Ctrl-C as KeyboardInterrupt.
//
// NewLine puts a throttled wire between that board and a second pty pair
// whose slave (Line.Path, /dev/pts/N) is what a host tool opens as its
// serial port: iotkernel through go.bug.st/serial, mpremote through
// pyserial. Each direction carries at most Rate bytes a second (11,520
// for 115,200 baud, 8N1). Bytes are timed one by one and delivered in
// pieces of at most 16 bytes (1.4 ms at 115,200 baud), each at the moment
// its last byte would have left a real wire, so latency is realistic too:
// a byte that finds the wire idle arrives one byte-time later, never
// sooner. Waits are nanosleep on a thread with the least timer slack
// (Go's time.Sleep rounds sub-millisecond waits up to about 1 ms, which
// would add latency no wire has); a piece arrives some tens of
// microseconds late at worst, and lateness never accumulates, since each
// piece's time is reckoned from the wire's schedule, not from the last
// wake-up. The wire has no buffer credit (a real UART cannot send faster
// after an idle spell); what the sender writes while the wire is busy
// waits in the pty and in a queue of about 4 KB, as in a driver's
// transmit buffer.
//
// The Line keeps the slave open itself, so that a client closing the port
// does not hang up the relay, and counts the bytes of each direction.
package linesim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/iotkernel/iotkernel/internal/tty"
	"github.com/iotkernel/iotkernel/transport/boardprog"
)

// Rate115200 is the payload rate of a 115,200-baud 8N1 line: 10 bits a
// byte (start, 8 data, stop).
const Rate115200 = 115200 / 10

// piece is the most bytes delivered at once.
const piece = 16

// Board is the MicroPython Unix port running the board program under a
// pty: the emulated board's UART is the pty master.
type Board struct {
	// Dir is the board's working directory: its filesystem as files
	// copied to ":name" see it.
	Dir string

	ptmx   *os.File
	cmd    *exec.Cmd
	exited chan struct{}
	state  error
}

// StartBoard starts micropython (the Unix port, a path) as a board whose
// current directory is dir. The board program is written to progDir.
func StartBoard(micropython, dir, progDir string) (*Board, error) {
	// The process starts in dir: a relative path would be looked up there.
	if abs, err := filepath.Abs(micropython); err == nil && filepath.Base(micropython) != micropython {
		micropython = abs
	}
	prog, err := boardprog.WriteFile(progDir)
	if err != nil {
		return nil, err
	}
	argv := boardprog.Args(micropython, prog)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	// Raw until the board program sets the line up itself, with ISIG so
	// that 0x03 is SIGINT, as the transport's exec: link does.
	ptmx, err := tty.Start(cmd)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", micropython, err)
	}
	b := &Board{Dir: dir, ptmx: ptmx, cmd: cmd, exited: make(chan struct{})}
	go func() {
		b.state = cmd.Wait()
		close(b.exited)
	}()
	// Until the program has set the line up, 0x03 would kill the
	// process: wait for its prompt, as a board boots before a host
	// opens its port.
	booted := make(chan error, 1)
	go func() {
		var seen []byte
		buf := make([]byte, 512)
		for !bytes.Contains(seen, []byte(">>> ")) {
			n, err := ptmx.Read(buf)
			seen = append(seen, buf[:n]...)
			if err != nil {
				booted <- fmt.Errorf("%w; it printed %q", err, seen)
				return
			}
		}
		booted <- nil
	}()
	select {
	case err = <-booted:
	case <-time.After(bootTimeout):
		err = fmt.Errorf("no prompt after %v", bootTimeout)
	}
	if err != nil {
		b.Close()
		if st := b.ExitState(); st != nil {
			err = fmt.Errorf("%w (exit: %v)", err, st)
		}
		return nil, fmt.Errorf("start %s: %w", micropython, err)
	}
	return b, nil
}

// bootTimeout bounds the board program's start.
const bootTimeout = 20 * time.Second

// Close ends the board process (its session) and closes its pty.
func (b *Board) Close() error {
	err := b.ptmx.Close()
	pgid := b.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-b.exited:
	case <-time.After(time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-b.exited
	}
	return err
}

// Exited is closed when the board process has ended.
func (b *Board) Exited() <-chan struct{} { return b.exited }

// ExitState says how the process ended, once Exited is closed.
func (b *Board) ExitState() error { return b.state }

// Wire is one direction of the line.
type Wire struct {
	rate    atomic.Int64 // bytes a second; 0 is unthrottled
	bytes   atomic.Int64 // delivered
	pending atomic.Int64 // read from the sender, not yet delivered
	last    atomic.Int64 // UnixNano of the last read or delivery
}

// Bytes returns how many bytes the wire has delivered.
func (w *Wire) Bytes() int64 { return w.bytes.Load() }

type chunk struct {
	data []byte
	at   time.Time // when the sender's bytes were read
}

// run relays src to dst at the wire's rate until src fails.
func (w *Wire) run(dst io.Writer, src io.Reader) {
	ch := make(chan chunk, 16)
	go func() {
		defer close(ch)
		for {
			buf := make([]byte, 256)
			n, err := src.Read(buf)
			if n > 0 {
				w.pending.Add(int64(n))
				now := time.Now()
				w.last.Store(now.UnixNano())
				ch <- chunk{buf[:n], now}
			}
			if err != nil {
				return
			}
		}
	}()
	// Sleeps are nanosleep on a thread of its own with the least timer
	// slack: time.Sleep rounds short waits up to about a millisecond,
	// which would add latency no wire has.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
	var free time.Time // when the wire has sent all it was given
	dead := false
	for c := range ch {
		data := c.data
		for len(data) > 0 {
			n := min(len(data), piece)
			if rate := w.rate.Load(); rate > 0 {
				start := c.at
				if free.After(start) {
					start = free
				}
				free = start.Add(time.Duration(int64(n) * int64(time.Second) / rate))
				sleepUntil(free)
			}
			if !dead {
				if _, err := dst.Write(data[:n]); err != nil {
					dead = true // keep draining src: the line is cut
				}
			}
			w.bytes.Add(int64(n))
			w.pending.Add(-int64(n))
			w.last.Store(time.Now().UnixNano())
			data = data[n:]
		}
	}
}

// sleepUntil blocks the calling thread until t.
func sleepUntil(t time.Time) {
	for {
		d := time.Until(t)
		if d <= 0 {
			return
		}
		ts := unix.NsecToTimespec(int64(d))
		unix.Nanosleep(&ts, nil)
	}
}

func (w *Wire) idleFor(d time.Duration) bool {
	return w.pending.Load() == 0 && time.Since(time.Unix(0, w.last.Load())) >= d
}

// Line is the throttled line between a Board and a pty slave at Path.
type Line struct {
	// Path is the pty slave a host tool opens as its serial port.
	Path string
	// Up carries host to board, Down board to host.
	Up, Down Wire

	master *os.File // the user-facing pty master
	hold   *os.File // the slave, held open by the line
	board  *Board
	wg     sync.WaitGroup
}

// NewLine connects board to a new pty slave through a wire of rate bytes
// a second each way (0: unthrottled).
func NewLine(board *Board, rate int) (*Line, error) {
	master, slave, err := tty.Open(tty.Raw)
	if err != nil {
		return nil, fmt.Errorf("line: %w", err)
	}
	l := &Line{Path: slave.Name(), master: master, hold: slave, board: board}
	l.SetRate(rate)
	now := time.Now().UnixNano()
	l.Up.last.Store(now)
	l.Down.last.Store(now)
	l.wg.Add(2)
	go func() { defer l.wg.Done(); l.Up.run(board.ptmx, master) }()
	go func() { defer l.wg.Done(); l.Down.run(master, board.ptmx) }()
	return l, nil
}

// SetRate sets both directions' rate in bytes a second (0: unthrottled).
func (l *Line) SetRate(rate int) {
	l.Up.rate.Store(int64(rate))
	l.Down.rate.Store(int64(rate))
}

// Rate returns the line's rate in bytes a second (0: unthrottled).
func (l *Line) Rate() int { return int(l.Up.rate.Load()) }

// Quiesce waits until neither direction has moved a byte for quiet, then
// drops what the board sent that no client read (a real UART's bytes are
// lost while the port is closed) and clears the exclusive-open flag a
// client may have left on the port (the line's own descriptor keeps the
// tty open, so the flag would otherwise outlive the client).
func (l *Line) Quiesce(ctx context.Context, quiet time.Duration) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !(l.Up.idleFor(quiet) && l.Down.idleFor(quiet)) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("line never went quiet: %w", ctx.Err())
		case <-l.board.exited:
			return l.boardGone()
		case <-tick.C:
		}
	}
	fd := int(l.hold.Fd())
	if err := unix.IoctlSetInt(fd, unix.TCFLSH, unix.TCIFLUSH); err != nil {
		return fmt.Errorf("flush %s: %w", l.Path, err)
	}
	// TIOCNXCL takes no argument.
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TIOCNXCL, 0); errno != 0 {
		return fmt.Errorf("clear exclusive mode of %s: %w", l.Path, errno)
	}
	return nil
}

func (l *Line) boardGone() error {
	msg := "exit status 0"
	if st := l.board.ExitState(); st != nil {
		msg = st.Error()
	}
	return fmt.Errorf("the board process ended (%s)", msg)
}

// Close closes the line's pty. The board is closed by its owner; the relay
// goroutines end once both are closed.
func (l *Line) Close() error {
	err := errors.Join(l.master.Close(), l.hold.Close())
	return err
}

// Wait waits for the relay goroutines, after Close and the board's Close.
func (l *Line) Wait() { l.wg.Wait() }
