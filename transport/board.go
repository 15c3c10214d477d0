package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Options configure a Board. The zero value is ready to use.
type Options struct {
	// Logger receives protocol diagnostics; nil discards them.
	Logger *slog.Logger
	// Baud is the serial line speed, 115200 by default; a "?baud=" in the
	// URL overrides it. Plain raw uploads are paced for it on every link.
	Baud int
	// HandshakeTimeout bounds each handshake: entering the raw REPL, a soft
	// reset, the board's acknowledgement of a cell. Default 5 s.
	HandshakeTimeout time.Duration
	// ReconnectTimeout bounds how long a reconnect waits for the link to
	// come back (a busy or re-enumerating port). Default 5 s.
	ReconnectTimeout time.Duration
	// InputBuffer is the smallest board input buffer, in bytes, that plain
	// raw uploads must not overflow. Default 64.
	InputBuffer int
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Baud <= 0 {
		o.Baud = 115200
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 5 * time.Second
	}
	if o.ReconnectTimeout <= 0 {
		o.ReconnectTimeout = 5 * time.Second
	}
	if o.InputBuffer <= 0 {
		o.InputBuffer = 64
	}
	return o
}

// Timings of the protocol. None of them synchronises with the board: each
// bounds a wait for a marker or paces writes the board cannot acknowledge.
const (
	interruptWait   = time.Second            // wait for KeyboardInterrupt before Ctrl-C again, then before giving up
	enterRetryEvery = time.Second            // resend the enter sequence if no raw prompt came
	reopenEvery     = 200 * time.Millisecond // retry interval while a port is busy or gone
	resetPulse      = 100 * time.Millisecond // EN held low by RTS during a hard reset (esptool's hard_reset)
	machineResetRun = 2 * time.Second        // wait for the link to drop after machine.reset()
)

// link is an open byte stream to a board and what it can do besides bytes.
type link struct {
	rw io.ReadWriteCloser
	// process is true for exec: boards, which a soft reset restarts.
	process bool
	// pulseReset toggles the modem lines to reset the chip (USB-UART
	// bridge boards); nil when the link has no such lines.
	pulseReset func() error
}

type dialFunc func(ctx context.Context) (link, error)

// boardState says what must happen before the next cell can run.
type boardState int

const (
	stateReady  boardState = iota // at the raw prompt
	stateResync                   // the link works but the board may not be at the raw prompt
	stateDown                     // the link is gone: reopen it
)

// Board is a MicroPython board held in its raw REPL over one link. Only one
// call runs at a time; the others wait for it (or for their ctx). Close may
// be called at any time, from any goroutine.
type Board struct {
	url  string
	opts Options
	log  *slog.Logger
	dial dialFunc // nil: the link cannot be reopened
	turn chan struct{}
	// intWait is how long an interrupt waits for the board before Ctrl-C
	// again and before giving up (interruptWait; shorter in tests).
	intWait time.Duration
	// pasteGrace is how long a raw REPL banner must stand alone before
	// it is taken as the answer of firmware without raw-paste. A board
	// that has raw-paste answers within a few milliseconds.
	pasteGrace time.Duration

	mu     sync.Mutex // guards c, lk, closed
	c      *conn
	lk     link
	closed bool

	// Guarded by turn.
	state  boardState
	window int  // raw-paste window size; 0 when the board has no raw-paste
	probed bool // raw-paste support is known
}

// Open opens the link named by url and enters the raw REPL (which
// interrupts whatever the board was running), under opts.HandshakeTimeout.
// URLs: "serial:///dev/ttyUSB0", a bare device path ("/dev/ttyACM0",
// "COM3"), each with an optional "?baud=N"; "socket://host:port" (raw TCP);
// "exec:COMMAND ARGS..." (a process under a pty); "local" (the local
// MicroPython Unix port).
func Open(ctx context.Context, url string, opts Options) (*Board, error) {
	dial, opts, err := parseURL(url, opts)
	if err != nil {
		return nil, err
	}
	b := newBoard(url, dial, opts)
	lk, err := b.dialRetry(ctx, false)
	if err != nil {
		return nil, err
	}
	if err := b.start(ctx, lk); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// NewBoard speaks the protocol over rw, which is already open, and enters
// the raw REPL. A board made this way cannot reconnect: once rw fails,
// calls return errors matching ErrNotConnected.
func NewBoard(rw io.ReadWriteCloser, url string, opts Options) (*Board, error) {
	b := newBoard(url, nil, opts.withDefaults())
	if err := b.start(context.Background(), link{rw: rw}); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

func newBoard(url string, dial dialFunc, opts Options) *Board {
	opts = opts.withDefaults()
	return &Board{
		url:  url,
		opts: opts,
		log:  opts.Logger.With("board", url),
		dial: dial,
		turn: make(chan struct{}, 1),

		intWait:    interruptWait,
		pasteGrace: 300 * time.Millisecond,
	}
}

// start installs lk as the board's link and brings the board to the raw
// prompt, learning once whether it offers raw-paste.
func (b *Board) start(ctx context.Context, lk link) error {
	c := newConn(lk.rw)
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		c.close()
		return fmt.Errorf("board %s: %w: closed", b.url, ErrNotConnected)
	}
	b.c, b.lk = c, lk
	b.mu.Unlock()
	// A process board just started runs no user code: a Ctrl-C, which
	// the pty turns into SIGINT, could kill it before it is ready.
	if err := b.enterRaw(ctx, c, !lk.process, nil); err != nil {
		b.state = stateResync
		return err
	}
	b.state = stateReady
	if !b.probed {
		if err := b.probePaste(ctx, c); err != nil {
			b.state = stateResync
			return err
		}
	}
	return nil
}

// URL returns the URL the board was opened with.
func (b *Board) URL() string { return b.url }

// Protocol returns "raw-paste" when the board accepts MicroPython's
// raw-paste mode (used for cells bigger than the input buffer), and "raw"
// when every cell goes through plain raw mode with paced writes.
func (b *Board) Protocol() string {
	b.acquireNow()
	defer b.release()
	if b.window > 0 {
		return "raw-paste"
	}
	return "raw"
}

// acquireNow takes the turn without a deadline; used by quick accessors.
func (b *Board) acquireNow() { b.turn <- struct{}{} }

func (b *Board) acquire(ctx context.Context) error {
	select {
	case b.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *Board) release() { <-b.turn }

// Close closes the link, which ends any call in progress with an error.
// It is idempotent and safe to call concurrently with other methods.
func (b *Board) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	c := b.c
	b.mu.Unlock()
	if c == nil {
		return nil
	}
	return c.close()
}

func (b *Board) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// current returns the conn and link in use.
func (b *Board) current() (*conn, link) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.c, b.lk
}

// dialRetry opens the link, retrying for ReconnectTimeout while it is busy,
// and while it is absent if waitMissing (a port coming back).
func (b *Board) dialRetry(ctx context.Context, waitMissing bool) (link, error) {
	ctx, cancel := context.WithTimeout(ctx, b.opts.ReconnectTimeout)
	defer cancel()
	for {
		lk, err := b.dial(ctx)
		if err == nil {
			return lk, nil
		}
		var perm *permanentError
		if errors.As(err, &perm) {
			return link{}, perm.err
		}
		if !waitMissing && errors.Is(err, errPortMissing) {
			return link{}, err
		}
		select {
		case <-ctx.Done():
			return link{}, err
		case <-time.After(reopenEvery):
		}
	}
}

// permanentError marks a dial error that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }

// reconnect closes the current link and opens a new one.
func (b *Board) reconnect(ctx context.Context) error {
	if b.dial == nil {
		return fmt.Errorf("board %s: %w: the link closed and cannot be reopened", b.url, ErrNotConnected)
	}
	if c, _ := b.current(); c != nil {
		c.close()
	}
	lk, err := b.dialRetry(ctx, true)
	if err != nil {
		return fmt.Errorf("board %s: %w: reconnect: %w", b.url, ErrNotConnected, err)
	}
	return b.start(ctx, lk)
}

// ready brings the board to an idle raw prompt before a call. It returns a
// *ResetError when it finds that the board lost its state since the last
// call (the board is ready again by then).
func (b *Board) ready(ctx context.Context) error {
	if b.isClosed() {
		return fmt.Errorf("board %s: %w: closed", b.url, ErrNotConnected)
	}
	c, _ := b.current()
	if b.state == stateReady && c.broken() != nil {
		// The link went away between cells (unplugged, process exited).
		err := c.broken()
		b.state = stateDown
		if rerr := b.reconnect(ctx); rerr != nil {
			return rerr
		}
		return &ResetError{URL: b.url, Reason: "the link closed after the last cell; the cell did not run", Err: err}
	}
	switch b.state {
	case stateDown:
		return b.reconnect(ctx)
	case stateResync:
		if err := b.enterRaw(ctx, c, true, nil); err != nil {
			return err
		}
		b.state = stateReady
		return nil
	}
	// Bytes that arrived while the board was idle: a second banner from
	// a retried handshake is harmless; a reset is reported; anything else
	// means the board is not where we think, so enter the raw REPL again.
	p := c.pending()
	if len(p) == 0 {
		return nil
	}
	b.log.Debug("bytes between cells", "bytes", string(p))
	var w lineWatch
	reason := ""
	for _, ch := range p {
		if r := w.add(ch); r != "" {
			reason = r
		}
	}
	if reason == "" && hasRawPrompt(p) {
		return nil
	}
	if err := b.enterRaw(ctx, c, true, nil); err != nil {
		b.state = stateResync
		return err
	}
	if reason != "" {
		return &ResetError{URL: b.url, Reason: reason + " after the last cell; the cell did not run"}
	}
	return nil
}

// hasRawPrompt reports whether p ends with the raw REPL banner and prompt,
// ignoring '\r' (some ports send "\r\r\n").
func hasRawPrompt(p []byte) bool {
	const want = "raw REPL; CTRL-B to exit\n>"
	p = bytes.TrimRight(p, "\r")
	i, j := len(p)-1, len(want)-1
	for ; i >= 0 && j >= 0; i-- {
		if p[i] == '\r' {
			continue
		}
		if p[i] != want[j] {
			return false
		}
		j--
	}
	return j < 0
}

// tail is the end of p for error messages.
func tail(p []byte, n int) []byte {
	if len(p) > n {
		return p[len(p)-n:]
	}
	return p
}

// enterRaw interrupts the board (if interrupt) and enters the raw REPL,
// waiting for its banner and prompt under HandshakeTimeout. Bytes read on
// the way are passed to seen, if not nil.
func (b *Board) enterRaw(ctx context.Context, c *conn, interrupt bool, seen func([]byte)) error {
	end := time.Now().Add(b.opts.HandshakeTimeout)
	send := func() error {
		// "\r\x03" stops a running program (or clears a raw input
		// line); "\r\x01" then enters, or restarts, the raw REPL.
		if interrupt {
			if err := c.write([]byte{'\r', ctrlC}); err != nil {
				return err
			}
		}
		if p := c.pending(); len(p) > 0 && seen != nil {
			seen(p)
		}
		return c.write([]byte{'\r', ctrlA})
	}
	if err := send(); err != nil {
		return b.linkError("enter raw REPL", err)
	}
	var got []byte
	nextRetry := time.Now().Add(enterRetryEvery)
	for {
		if hasRawPrompt(got) {
			return nil
		}
		left := time.Until(end)
		if left <= 0 {
			return b.handshakeError("enter raw REPL", got)
		}
		t := time.NewTimer(min(left, time.Until(nextRetry)))
		p, err := c.take(ctx, t.C)
		t.Stop()
		switch {
		case err == errDeadline:
			if time.Now().After(nextRetry) {
				nextRetry = time.Now().Add(enterRetryEvery)
				if err := send(); err != nil {
					return b.linkError("enter raw REPL", err)
				}
			}
			continue
		case err != nil:
			return b.linkError("enter raw REPL", err)
		}
		if seen != nil {
			seen(p)
		}
		got = append(got, p...)
		if len(got) > 4096 {
			got = append(got[:0], got[len(got)-1024:]...)
		}
	}
}

// handshakeError says which handshake failed and what the board sent.
func (b *Board) handshakeError(what string, got []byte) error {
	var sent string
	switch {
	case len(got) == 0:
		sent = "the board sent nothing (is it powered, on this port, at this baud rate?)"
	case len(got) >= 1024:
		sent = fmt.Sprintf("the board keeps printing (a program that ignores Ctrl-C?), last: %q", tail(got, 120))
	default:
		sent = fmt.Sprintf("the board sent %q", tail(got, 200))
	}
	return fmt.Errorf("board %s: %s: %w after %v; %s", b.url, what, ErrTimeout, b.opts.HandshakeTimeout, sent)
}

// linkError wraps an error of the link itself, marking the board down.
func (b *Board) linkError(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("board %s: %s: %w", b.url, what, err)
	}
	b.state = stateDown
	return &ResetError{URL: b.url, Reason: what + ": the link closed", Err: err}
}

// probePaste asks once whether the board offers raw-paste, so Protocol is
// known from Open on.
func (b *Board) probePaste(ctx context.Context, c *conn) error {
	w, err := b.requestPaste(ctx, c)
	if err != nil {
		return err
	}
	b.probed = true
	b.window = w
	if w == 0 {
		b.log.Debug("raw-paste not available: plain raw mode")
		return nil
	}
	b.log.Debug("raw-paste available", "window", w)
	// Send a program that does nothing and read its empty result. (Not
	// an empty one: some bridges turn that into a soft reset.)
	if err := c.write([]byte{'\n', ctrlD}); err != nil {
		return b.linkError("raw-paste probe", err)
	}
	sc := newScanner(phaseAck, io.Discard, io.Discard)
	return b.readResult(ctx, c, sc, nil)
}

// requestPaste sends the raw-paste request at the raw prompt. It returns
// the window size, or 0 when the board refused or does not know raw-paste;
// in that case the board is back at its raw prompt.
//
// Firmware before 1.14 answers with the raw REPL banner and prompt, which
// is also what a retried handshake may still have on the way: banners
// before the answer are skipped, and a banner alone is taken for old
// firmware only when nothing follows it within b.pasteGrace.
func (b *Board) requestPaste(ctx context.Context, c *conn) (int, error) {
	if err := c.write([]byte(pasteRequest)); err != nil {
		return 0, b.linkError("raw-paste request", err)
	}
	var got []byte
	deadline := time.Now().Add(b.opts.HandshakeTimeout)
	for {
		rest, banners := skipRawBanners(got)
		var grace time.Time // set while only banners have come
		switch {
		case len(rest) >= 4 && string(rest[:2]) == pasteOK:
			c.unread(rest[4:]) // the first 0x01 grant, if it came
			return int(rest[2]) | int(rest[3])<<8, nil
		case len(rest) >= 3 && string(rest[:2]) == pasteRefused && rest[2] == rawPrompt:
			c.unread(rest[3:])
			return 0, nil
		case len(rest) == 0 && banners > 0:
			grace = time.Now().Add(b.pasteGrace)
		case len(rest) >= 2 && string(rest[:2]) != pasteOK && string(rest[:2]) != pasteRefused && hasRawPrompt(rest):
			return 0, nil // old firmware, after some noise
		}
		wait := time.Until(deadline)
		if !grace.IsZero() {
			wait = min(wait, time.Until(grace))
		}
		t := time.NewTimer(wait)
		p, err := c.take(ctx, t.C)
		t.Stop()
		if err == errDeadline {
			if !grace.IsZero() && !time.Now().Before(grace) {
				return 0, nil // a banner and nothing after it: no raw-paste
			}
			return 0, b.handshakeError("raw-paste request", got)
		}
		if err != nil {
			return 0, b.linkError("raw-paste request", err)
		}
		got = append(got, p...)
	}
}

// skipRawBanners drops the complete raw REPL banners and prompts that p
// starts with (each may follow line ends, and may end "\r\r\n>").
func skipRawBanners(p []byte) (rest []byte, n int) {
	for {
		banner := strings.TrimRight(rawBanner, "\r\n")
		q := bytes.TrimLeft(p, "\r\n")
		if !bytes.HasPrefix(q, []byte(banner)) {
			return p, n
		}
		q = bytes.TrimLeft(q[len(banner):], "\r\n")
		if len(q) == 0 || q[0] != rawPrompt {
			return p, n
		}
		p, n = q[1:], n+1
	}
}

// checkCode refuses cells holding bytes that would break the raw REPL: 0x04
// would end the upload early, 0x01-0x03 restart, leave or clear the raw
// REPL in plain raw mode (and 0x03 becomes SIGINT on a pty).
func checkCode(code string) error {
	line, col := 1, 1
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch c {
		case ctrlA, ctrlB, ctrlC, ctrlD:
			return fmt.Errorf("%w: byte 0x%02x (Ctrl-%c) at line %d, column %d: the raw REPL reserves it; write it as \"\\x%02x\" inside a string",
				ErrReservedByte, c, 'A'+c-1, line, col, c)
		case '\n':
			line, col = line+1, 1
			continue
		}
		if c < 0x80 || c >= 0xC0 { // count characters, not continuation bytes
			col++
		}
	}
	return nil
}

// Exec runs code on the board, writing its output to stdout and its
// traceback to stderr as they arrive (either may be nil). It returns nil
// when the cell ran, an *ExecError when the board raised, a *ResetError
// (errors.Is ErrStateLost) when the board reset or vanished, and other
// errors for link failures. Exec has no timeout: it returns when the board
// is back at its raw prompt. When ctx is done Exec sends Ctrl-C and returns
// the board's KeyboardInterrupt; if the board ignores two Ctrl-C a second
// apart, Exec returns an error matching ErrInterruptIgnored. Calls wait for
// each other.
//
// A board that reset or whose link vanished is reconnected by the next
// call: a lost link is reopened (retrying for ReconnectTimeout) and the raw
// REPL entered again. If Exec finds the board lost its state since the last
// call, it returns a *ResetError without running code.
func (b *Board) Exec(ctx context.Context, code string, stdout, stderr io.Writer) error {
	if err := checkCode(code); err != nil {
		return err
	}
	if err := b.acquire(ctx); err != nil {
		return err
	}
	defer b.release()
	if err := b.ready(ctx); err != nil {
		return err
	}
	return b.run(ctx, code, stdout, stderr)
}

// run sends one cell at the idle raw prompt and reads its result.
func (b *Board) run(ctx context.Context, code string, stdout, stderr io.Writer) error {
	c, _ := b.current()
	out, errw := newTextWriter(stdout), newTextWriter(stderr)
	src := []byte(code)
	// Small cells go in plain raw mode in one write: it fits the board's
	// input buffer and saves raw-paste's round trip.
	paste := b.window > 0 && len(src)+1 > b.opts.InputBuffer
	var sc *scanner
	var err error
	if paste {
		sc, err = b.uploadPaste(ctx, c, src, out, errw)
	} else {
		sc, err = b.uploadRaw(ctx, c, src, out, errw)
	}
	if err == nil {
		err = b.readResult(ctx, c, sc, src)
	}
	if ferr := errors.Join(out.Flush(), errw.Flush()); err == nil && ferr != nil {
		err = fmt.Errorf("board %s: write cell output: %w", b.url, ferr)
	}
	var ee *ExecError
	if errors.As(err, &ee) && ee.Type == "MemoryError" && len(src) > 512 &&
		(!paste || !strings.Contains(strings.Join(ee.Traceback, "\n"), `File "`)) {
		ee.Hint = "the board may have run out of memory holding this cell; split the cell into smaller ones, or copy the code to a file on the board and import it"
	}
	return err
}

// rawPacing returns the chunk size and the interval between chunks for
// plain raw uploads: half the smallest input buffer per chunk, at 80% of
// the line rate, since the board echoes nothing to pace by.
func (b *Board) rawPacing() (int, time.Duration) {
	chunk := max(b.opts.InputBuffer/2, 8)
	bitsPerByte := 10 // start, 8 data, stop
	perChunk := time.Duration(chunk*bitsPerByte) * time.Second / time.Duration(b.opts.Baud)
	return chunk, perChunk * 5 / 4
}

// uploadRaw sends the cell in plain raw mode.
func (b *Board) uploadRaw(ctx context.Context, c *conn, src []byte, out, errw io.Writer) (*scanner, error) {
	msg := append(src[:len(src):len(src)], ctrlD)
	if len(msg) <= b.opts.InputBuffer {
		if err := c.write(msg); err != nil {
			return nil, b.linkError("send cell", err)
		}
		return newScanner(phaseOK, out, errw), nil
	}
	chunk, every := b.rawPacing()
	next := time.Now()
	cancelled := func() (*scanner, error) {
		// Ctrl-C at the raw prompt clears the input line: the cell
		// never runs and nothing comes back.
		if err := c.write([]byte{ctrlC}); err != nil {
			return nil, b.linkError("interrupt upload", err)
		}
		return nil, &ExecError{Type: "KeyboardInterrupt", Value: "interrupted while sending the cell; it did not run", Traceback: []string{}}
	}
	for i := 0; i < len(msg); i += chunk {
		if ctx.Err() != nil {
			return cancelled()
		}
		if wait := time.Until(next); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return cancelled()
			}
		}
		// No catching up after a late timer: a burst could overflow.
		next = time.Now().Add(every)
		if err := c.write(msg[i:min(i+chunk, len(msg))]); err != nil {
			return nil, b.linkError("send cell", err)
		}
	}
	return newScanner(phaseOK, out, errw), nil
}

// uploadPaste sends the cell in raw-paste mode under the board's flow
// control. If the board turns out not to offer raw-paste, it falls back to
// plain raw and remembers that.
func (b *Board) uploadPaste(ctx context.Context, c *conn, src []byte, out, errw io.Writer) (*scanner, error) {
	w, err := b.requestPaste(ctx, c)
	if err != nil {
		return nil, err
	}
	if w == 0 {
		b.window = 0
		return b.uploadRaw(ctx, c, src, out, errw)
	}
	sc := newScanner(phaseAck, out, errw)
	remain := w
	ack := time.NewTimer(b.opts.HandshakeTimeout)
	defer ack.Stop()
	interrupted := false
	for i := 0; i < len(src); {
		if ctx.Err() != nil {
			// Ctrl-C ends a raw-paste upload: the board answers
			// 0x04 and raises KeyboardInterrupt.
			interrupted = true
			break
		}
		var p []byte
		if remain == 0 {
			ack.Reset(b.opts.HandshakeTimeout)
			p, err = c.take(ctx, ack.C)
			switch {
			case err == errDeadline:
				return nil, b.handshakeError("raw-paste upload (no flow-control grant)", nil)
			case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
				continue
			case err != nil:
				return nil, b.linkError("raw-paste upload", err)
			}
		} else {
			p = c.pending()
		}
		for j, ch := range p {
			switch ch {
			case ctrlA:
				remain += w
			case ctrlD:
				// The board stopped reading (a SyntaxError, say): it
				// waits for our 0x04, then prints the result.
				c.unread(p[j+1:])
				if err := c.write([]byte{ctrlD}); err != nil {
					return nil, b.linkError("raw-paste upload", err)
				}
				sc.phase = phaseStdout
				return sc, nil
			default:
				if r := sc.watch.add(ch); r != "" {
					b.state = stateResync
					return nil, &ResetError{URL: b.url, Reason: r + " while the cell was sent"}
				}
				sc.addNoise(ch)
			}
		}
		if remain == 0 {
			continue
		}
		n := min(remain, len(src)-i)
		if err := c.write(src[i : i+n]); err != nil {
			return nil, b.linkError("raw-paste upload", err)
		}
		remain -= n
		i += n
	}
	end := byte(ctrlD)
	if interrupted {
		end = ctrlC
	}
	if err := c.write([]byte{end}); err != nil {
		return nil, b.linkError("raw-paste upload", err)
	}
	return sc, nil
}

// readResult reads the cell's output, traceback and prompt through sc.
// It handles interrupts (ctx done), resets and a vanished link.
func (b *Board) readResult(ctx context.Context, c *conn, sc *scanner, src []byte) error {
	var (
		waitCtx    = ctx
		cancelled  = false // ctx is done and was handled
		interrupts = 0
		pendingInt = false // Ctrl-C wanted once the code runs
		timer      *time.Timer
		timerC     <-chan time.Time
	)
	setTimer := func(d time.Duration) {
		if timer != nil {
			timer.Stop()
		}
		timer = time.NewTimer(d)
		timerC = timer.C
	}
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	interrupt := func() error {
		interrupts++
		b.log.Debug("interrupt", "n", interrupts)
		if err := c.write([]byte{ctrlC}); err != nil {
			return b.linkError("interrupt", err)
		}
		setTimer(b.intWait)
		return nil
	}
	waitingAck := func() bool { return sc.phase == phaseOK || sc.phase == phaseAck }
	if waitingAck() {
		setTimer(b.opts.HandshakeTimeout)
	}
	for {
		p, err := c.take(waitCtx, timerC)
		switch {
		case err == nil:
		case !cancelled && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
			cancelled, waitCtx = true, context.Background()
			if waitingAck() {
				// A Ctrl-C before the board starts the code would
				// be read as input; send it once the code runs.
				pendingInt = true
				continue
			}
			if err := interrupt(); err != nil {
				return err
			}
			continue
		case err == errDeadline:
			if waitingAck() && interrupts == 0 {
				b.state = stateResync
				return b.handshakeError("cell acknowledgement", sc.noise)
			}
			if interrupts < 2 {
				if err := interrupt(); err != nil {
					return err
				}
				continue
			}
			b.state = stateResync
			return fmt.Errorf("board %s: %w: it is still running after two Ctrl-C; %%hardreset restarts it (its state will be lost)", b.url, ErrInterruptIgnored)
		default:
			return b.linkError("read cell output", err)
		}
		wasAck := waitingAck()
		n, ev := sc.feed(p)
		if wasAck && !waitingAck() {
			timerC = nil
			if pendingInt {
				pendingInt = false
				if err := interrupt(); err != nil {
					return err
				}
			}
		}
		switch ev {
		case evReset:
			b.state = stateResync
			b.log.Debug("reset during cell", "reason", sc.reset)
			return &ResetError{URL: b.url, Reason: sc.reset}
		case evDone:
			if rest := p[n:]; len(rest) > 0 {
				c.unread(rest) // checked before the next call
			}
			if len(sc.noise) > 0 {
				b.log.Debug("unexpected bytes in cell result", "bytes", string(sc.noise))
			}
			if len(sc.tb) > 0 {
				return parseTraceback(string(sc.tb))
			}
			if interrupts > 0 && src != nil {
				b.log.Debug("cell ended before the interrupt took effect")
			}
			return nil
		}
	}
}

// Input types a line for the running cell, as a user at the board's
// serial console would: text, then a carriage return (a board's readline
// ends the line there). It is meant for a cell blocked in input(): it
// does not wait for the board's turn, so call it only from the stdout
// writer given to the Exec that is running (the goroutine that reads the
// board's output), never from elsewhere. text must hold no line end and
// none of the raw REPL's control bytes (Ctrl-A to Ctrl-E), which would
// end or interrupt the cell.
func (b *Board) Input(text string) error {
	for i := 0; i < len(text); i++ {
		if c := text[i]; (c >= ctrlA && c <= ctrlE) || c == '\r' || c == '\n' {
			return fmt.Errorf("board %s: input holds control byte 0x%02x: %w", b.url, c, ErrReservedByte)
		}
	}
	c, _ := b.current()
	if c == nil {
		return fmt.Errorf("board %s: %w", b.url, ErrNotConnected)
	}
	if err := c.write([]byte(text + "\r")); err != nil {
		return b.linkError("send input", err)
	}
	return nil
}
