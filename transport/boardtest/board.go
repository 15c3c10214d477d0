// Package boardtest is a scriptable fake MicroPython board for tests: it
// speaks the board side of the friendly REPL, the raw REPL and raw-paste
// (as MicroPython's shared/runtime/pyexec.c does) over any
// io.ReadWriteCloser, typically one end of Pipe. It can model a small
// input buffer that drops what overflows, a slow board, old firmware
// without raw-paste, code that ignores Ctrl-C, and faults injected by the
// test: garbage, silence, a spontaneous reset, a vanished link.
//
// It tests the host's reactions; it is no evidence that real MicroPython
// behaves the same (package realboard starts real firmware to test against).
package boardtest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Protocol bytes, as in pyexec.c.
const (
	ctrlA = 0x01 // enter raw REPL / raw-paste flow-control grant
	ctrlB = 0x02 // leave raw REPL
	ctrlC = 0x03 // interrupt / clear line
	ctrlD = 0x04 // end of input / soft reset / end markers
	ctrlE = 0x05 // raw-paste request prefix
)

const (
	rawBanner   = "raw REPL; CTRL-B to exit\r\n"
	helpLine    = "Type \"help()\" for more information.\r\n"
	versionLine = "MicroPython v1.99.0 on 2026-01-01; fake board with ESP32\r\n"
	romBootLog  = "ets Jul 29 2019 12:21:46\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"
)

// SyntaxErrorMark, anywhere in a cell, makes the board stop reading a
// raw-paste upload there and raise SyntaxError, as a real board does when
// its compiler fails part way through a streamed cell.
const SyntaxErrorMark = "<syntax-error>"

// Config describes the board. The zero value is a board with raw-paste
// off, an unlimited input buffer and the Python-like interpreter Interp.
type Config struct {
	RawPaste    bool // offer raw-paste (MicroPython >= 1.14)
	RefusePaste bool // answer raw-paste requests with "R\x00"
	// Window is the raw-paste window in bytes; default half the input
	// buffer (as pyexec.c does), or 128.
	Window int
	// InputBuffer is the size of the board's input buffer; bytes that
	// arrive when it is full are dropped (see Stats). 0 is unlimited.
	InputBuffer int
	// ConsumeRate is how many bytes per second the board takes from its
	// input buffer; 0 is as fast as it can.
	ConsumeRate int
	// MaxRawCell makes plain raw cells longer than this many bytes fail
	// with MemoryError, as on a board with little RAM. 0: no limit.
	MaxRawCell int
	// IgnoreCtrlC makes running code impossible to interrupt.
	IgnoreCtrlC bool
	// IgnoreCtrlCInPaste makes cells sent in raw-paste mode deaf to a
	// 0x03 on the line, while plain raw cells and Interrupt (the SIGINT
	// of a process board) still stop them: the upstream Unix port's
	// native raw REPL on a tty, which runs raw-paste cells with the
	// terminal still in raw mode.
	IgnoreCtrlCInPaste bool
	// SoftRebootLine is printed on a soft reset; default "MPY: soft reboot".
	SoftRebootLine string
	// BootOutput is what boot.py prints after a (soft) reset.
	BootOutput string
	// Handler runs each cell; default Interp.
	Handler func(r *Run)
}

// Stats counts what the board saw.
type Stats struct {
	Received   int // bytes that reached the input buffer
	Dropped    int // bytes lost to a full input buffer
	Cells      int // cells run
	SoftResets int
	PasteCells int // cells received in raw-paste mode
}

var errClosed = errors.New("boardtest: link closed")

// Board is a fake board. Its namespace (Vars) survives interrupts and is
// cleared by resets.
type Board struct {
	cfg Config

	serving sync.Mutex // one Serve at a time
	next    time.Time  // when the next input byte may be taken (ConsumeRate)

	mu       sync.Mutex
	cond     *sync.Cond
	in       []byte // the input buffer
	closed   bool   // the link is gone
	running  *Run   // the cell running now, if any
	resetReq string // a reset requested by the test
	mute     bool
	stats    Stats
	vars     map[string]string
	out      io.Writer
	rw       io.ReadWriteCloser
	outMu    sync.Mutex
}

// New returns a board that serves nothing yet; see Serve.
func New(cfg Config) *Board {
	if cfg.Window <= 0 {
		cfg.Window = 128
		if cfg.InputBuffer > 0 {
			cfg.Window = cfg.InputBuffer / 2
		}
	}
	if cfg.SoftRebootLine == "" {
		cfg.SoftRebootLine = "MPY: soft reboot"
	}
	if cfg.Handler == nil {
		cfg.Handler = Interp
	}
	b := &Board{cfg: cfg, vars: map[string]string{}}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// Stats returns the board's counters.
func (b *Board) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// Var returns a variable of the board's namespace.
func (b *Board) Var(name string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.vars[name]
	return v, ok
}

// Serve runs the board on rw, as if it just powered up at the friendly
// REPL with an empty namespace, until rw fails or is closed. It closes rw.
func (b *Board) Serve(rw io.ReadWriteCloser) error {
	b.serving.Lock()
	defer b.serving.Unlock()
	b.mu.Lock()
	b.in, b.closed, b.running, b.resetReq = nil, false, nil, ""
	b.vars = map[string]string{}
	b.rw, b.out = rw, rw
	b.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.uart(rw)
	}()
	err := b.cpu()
	rw.Close()
	<-done
	if errors.Is(err, errClosed) {
		return nil
	}
	return err
}

// uart moves arriving bytes into the input buffer. Like a board's UART
// interrupt, it turns 0x03 into an interrupt while code runs.
func (b *Board) uart(r io.Reader) {
	buf := make([]byte, 256)
	for {
		n, err := r.Read(buf)
		b.mu.Lock()
		for _, c := range buf[:n] {
			if c == ctrlC && b.running != nil {
				if !b.cfg.IgnoreCtrlC && !(b.cfg.IgnoreCtrlCInPaste && b.running.paste) {
					b.running.stop(true)
				}
				continue
			}
			if b.cfg.InputBuffer > 0 && len(b.in) >= b.cfg.InputBuffer {
				b.stats.Dropped++
				continue
			}
			b.in = append(b.in, c)
			b.stats.Received++
		}
		if err != nil {
			b.closed = true
			if b.running != nil {
				b.running.stop(false)
			}
		}
		b.cond.Broadcast()
		b.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// resetSignal is returned by getByte when the test asked for a reset.
type resetSignal struct{ romLog bool }

func (resetSignal) Error() string { return "reset" }

// getByte takes the next input byte at the board's consume rate.
func (b *Board) getByte() (byte, error) {
	b.mu.Lock()
	waited := false
	for len(b.in) == 0 && !b.closed && b.resetReq == "" {
		waited = true
		b.cond.Wait()
	}
	if b.resetReq != "" {
		rom := b.resetReq == "rom"
		b.resetReq = ""
		b.mu.Unlock()
		return 0, resetSignal{rom}
	}
	if len(b.in) == 0 {
		b.mu.Unlock()
		return 0, errClosed
	}
	c := b.in[0]
	b.in = b.in[1:]
	b.mu.Unlock()
	if r := b.cfg.ConsumeRate; r > 0 {
		// Keep the average rate exact while input is queued; sleep
		// only when more than a millisecond ahead, as timers are
		// coarse.
		now := time.Now()
		if waited && b.next.Before(now) {
			b.next = now
		}
		b.next = b.next.Add(time.Second / time.Duration(r))
		if d := time.Until(b.next); d > time.Millisecond {
			time.Sleep(d)
		}
	}
	return c, nil
}

// write sends board output unless the board is muted.
func (b *Board) write(s string) {
	b.mu.Lock()
	mute, out := b.mute, b.out
	b.mu.Unlock()
	if mute || out == nil {
		return
	}
	b.outMu.Lock()
	defer b.outMu.Unlock()
	out.Write([]byte(s))
}

// Garbage sends p to the host now, whatever the board is doing.
func (b *Board) Garbage(p []byte) { b.write(string(p)) }

// Interrupt acts as a 0x03 from the host would: it interrupts running
// code, or reaches the REPL as input. A process board under a pty gets
// SIGINT instead of the byte; its signal handler calls Interrupt.
func (b *Board) Interrupt() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running != nil {
		if !b.cfg.IgnoreCtrlC {
			b.running.stop(true)
		}
		return
	}
	b.in = append(b.in, ctrlC)
	b.cond.Broadcast()
}

// Mute makes the board silent (on) or normal again (off): a hung board.
func (b *Board) Mute(on bool) {
	b.mu.Lock()
	b.mute = on
	b.mu.Unlock()
}

// Vanish closes the link, as when a USB cable is pulled.
func (b *Board) Vanish() {
	b.mu.Lock()
	rw := b.rw
	b.mu.Unlock()
	if rw != nil {
		rw.Close()
	}
}

// Reset makes the board reset by itself now (a watchdog, a brown-out): any
// running cell stops without a result, the namespace is cleared, and the
// board prints its boot messages (with an ESP32 ROM log if romLog) and
// the friendly banner.
func (b *Board) Reset(romLog bool) {
	b.mu.Lock()
	b.resetReq = "banner"
	if romLog {
		b.resetReq = "rom"
	}
	if b.running != nil {
		b.running.stop(false)
	}
	b.cond.Broadcast()
	b.mu.Unlock()
}

func (b *Board) boot(romLog bool) {
	b.mu.Lock()
	b.vars = map[string]string{}
	b.in = nil
	b.mu.Unlock()
	if romLog {
		b.write(romBootLog)
	}
	b.write(b.cfg.BootOutput + versionLine + helpLine + ">>> ")
}

// cpu is the board's main loop: friendly REPL, raw REPL, raw-paste.
func (b *Board) cpu() error {
	raw := false
	var line []byte
	for {
		c, err := b.getByte()
		var rs resetSignal
		if errors.As(err, &rs) {
			b.boot(rs.romLog)
			raw, line = false, nil
			continue
		}
		if err != nil {
			return err
		}
		if !raw {
			switch c {
			case ctrlA:
				b.write("\r\n" + rawBanner + ">")
				raw, line = true, nil
			case ctrlB:
				b.write("\r\n" + versionLine + helpLine + ">>> ")
			case ctrlC, '\r':
				b.write("\r\n>>> ")
			case ctrlD:
				b.softReset()
				b.write(versionLine + helpLine + ">>> ")
			default:
				b.write(string(c))
			}
			continue
		}
		switch c {
		case ctrlA:
			if len(line) == 2 && line[0] == ctrlE && line[1] == 'A' && (b.cfg.RawPaste || b.cfg.RefusePaste) {
				if b.cfg.RefusePaste {
					b.write("R\x00>")
				} else if err := b.rawPaste(); err != nil {
					var rs resetSignal
					if errors.As(err, &rs) {
						b.boot(rs.romLog)
						raw = false
					} else {
						return err
					}
				}
			} else {
				b.write(rawBanner + ">")
			}
			line = nil
		case ctrlB:
			b.write("\r\n" + versionLine + helpLine + ">>> ")
			raw, line = false, nil
		case ctrlC:
			line = nil
		case ctrlD:
			b.write("OK")
			if len(line) == 0 {
				b.write("\r\n")
				b.softReset()
				b.write(rawBanner + ">")
				continue
			}
			code := string(line)
			line = nil
			if b.cfg.MaxRawCell > 0 && len(code) > b.cfg.MaxRawCell {
				b.write("\x04Traceback (most recent call last):\r\nMemoryError: memory allocation failed, allocating 4096 bytes\r\n\x04>")
				continue
			}
			if !b.execute(code, false) {
				b.boot(b.takeReset())
				raw = false
				continue
			}
			b.write(">")
		default:
			line = append(line, c)
		}
	}
}

func (b *Board) takeReset() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	rom := b.resetReq == "rom"
	b.resetReq = ""
	return rom
}

func (b *Board) softReset() {
	b.mu.Lock()
	b.vars = map[string]string{}
	b.stats.SoftResets++
	b.mu.Unlock()
	b.write(b.cfg.SoftRebootLine + "\r\n" + b.cfg.BootOutput)
}

// rawPaste receives a cell under flow control, as pyexec.c's stdin reader.
func (b *Board) rawPaste() error {
	w := b.cfg.Window
	var hdr [5]byte
	copy(hdr[:], "R\x01")
	binary.LittleEndian.PutUint16(hdr[2:], uint16(w))
	hdr[4] = ctrlA // a second window is free
	b.write(string(hdr[:]))
	b.mu.Lock()
	b.stats.PasteCells++
	b.mu.Unlock()
	var code []byte
	remain := w
	interrupted := false
	for {
		c, err := b.getByte()
		if err != nil {
			return err
		}
		if c == ctrlD || c == ctrlC {
			b.write("\x04")
			interrupted = c == ctrlC
			break
		}
		code = append(code, c)
		if remain--; remain == 0 {
			b.write("\x01")
			remain = w
		}
		if strings.HasSuffix(string(code), SyntaxErrorMark) {
			// The compiler failed: stop reading, wait for the host's
			// 0x04 (or 0x03), then report.
			b.write("\x04")
			for {
				c, err := b.getByte()
				if err != nil {
					return err
				}
				if c == ctrlD || c == ctrlC {
					break
				}
			}
			b.write("\x04Traceback (most recent call last):\r\n  File \"<stdin>\", line 1\r\nSyntaxError: invalid syntax\r\n\x04>")
			return nil
		}
	}
	if interrupted {
		b.write("\x04Traceback (most recent call last):\r\n  File \"<stdin>\", line 1, in <module>\r\nKeyboardInterrupt: \r\n\x04>")
		return nil
	}
	if !b.execute(string(code), true) {
		return resetSignal{b.takeReset()}
	}
	b.write(">")
	return nil
}

// execute runs a cell and prints its result; false if the board reset.
func (b *Board) execute(code string, paste bool) bool {
	r := &Run{Code: code, b: b, stopped: make(chan struct{}), paste: paste}
	b.mu.Lock()
	if strings.Contains(code, SyntaxErrorMark) {
		b.mu.Unlock()
		b.write("\x04Traceback (most recent call last):\r\n  File \"<stdin>\", line 1\r\nSyntaxError: invalid syntax\r\n\x04")
		return true
	}
	b.running = r
	b.stats.Cells++
	b.mu.Unlock()
	b.cfg.Handler(r)
	b.mu.Lock()
	b.running = nil
	reset := b.resetReq != ""
	b.mu.Unlock()
	if reset {
		return false
	}
	b.write("\x04")
	if r.excType == "" && r.Interrupted() {
		r.Raise("KeyboardInterrupt", "")
	}
	if r.excType != "" {
		b.write("Traceback (most recent call last):\r\n  File \"<stdin>\", line " + fmt.Sprint(r.excLine) + ", in <module>\r\n" + r.excType + ": " + r.excValue + "\r\n")
	}
	b.write("\x04")
	return true
}

// Run is one cell running on the board, given to Config.Handler.
type Run struct {
	Code  string
	b     *Board
	paste bool // sent in raw-paste mode

	once        sync.Once
	stopped     chan struct{}
	interrupted bool

	excType, excValue string
	excLine           int
}

func (r *Run) stop(interrupt bool) {
	r.once.Do(func() {
		r.interrupted = interrupt
		close(r.stopped)
	})
}

// Print writes s to the cell's stdout, with "\n" sent as "\r\n" as boards
// do.
func (r *Run) Print(s string) { r.b.write(strings.ReplaceAll(s, "\n", "\r\n")) }

// Write sends raw bytes as the cell's stdout.
func (r *Run) Write(p []byte) { r.b.write(string(p)) }

// Raise ends the cell with an exception (call it, then return).
func (r *Run) Raise(typ, value string) {
	r.excType, r.excValue = typ, value
	if r.excLine == 0 {
		r.excLine = 1
	}
}

// Stopped is closed when Ctrl-C interrupts the cell, the board resets, or
// the link goes away.
func (r *Run) Stopped() <-chan struct{} { return r.stopped }

// Interrupted reports whether Ctrl-C stopped the cell.
func (r *Run) Interrupted() bool {
	select {
	case <-r.stopped:
		r.b.mu.Lock()
		defer r.b.mu.Unlock()
		return r.interrupted
	default:
		return false
	}
}

// Set and Get access the board's namespace.
func (r *Run) Set(name, value string) {
	r.b.mu.Lock()
	r.b.vars[name] = value
	r.b.mu.Unlock()
}

func (r *Run) Get(name string) (string, bool) { return r.b.Var(name) }

// Del removes a name from the namespace.
func (r *Run) Del(name string) {
	r.b.mu.Lock()
	delete(r.b.vars, name)
	r.b.mu.Unlock()
}

// Reset makes the board reset in the middle of the cell.
func (r *Run) Reset(romLog bool) { r.b.Reset(romLog) }

// Vanish drops the link in the middle of the cell.
func (r *Run) Vanish() { r.b.Vanish() }

// ReadLine reads a line typed on the board's console, as a board's
// input() does: the bytes up to a carriage return, echoed with "\r\n".
// ok is false when the cell was stopped (interrupted, reset, link gone)
// before the line ended.
func (r *Run) ReadLine() (line string, ok bool) {
	b := r.b
	var got []byte
	for {
		b.mu.Lock()
		for len(b.in) == 0 && !b.closed && !r.isStopped() {
			b.cond.Wait()
		}
		if len(b.in) == 0 || r.isStopped() {
			b.mu.Unlock()
			return string(got), false
		}
		c := b.in[0]
		b.in = b.in[1:]
		b.mu.Unlock()
		if c == '\r' {
			b.write(string(got) + "\r\n")
			return string(got), true
		}
		got = append(got, c)
	}
}

func (r *Run) isStopped() bool {
	select {
	case <-r.stopped:
		return true
	default:
		return false
	}
}
