package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
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
	// signal interrupts the board's process with SIGINT (local boards:
	// the Unix port, which may ignore a 0x03 on its tty while it runs a
	// raw-paste cell); nil: interrupts are a Ctrl-C on the line.
	signal func() error
	// files is the WebREPL connection, whose file protocol ReadFile
	// and WriteFile use; nil on other links.
	files *wsConn
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

	mu     sync.Mutex // guards c, lk, closed, serve
	c      *conn
	lk     link
	closed bool
	serve  RequestHandler // answers the board's requests (Serve), or nil

	// Guarded by turn.
	state    boardState
	window   int  // raw-paste window size; 0 when the board has no raw-paste
	probed   bool // raw-paste support is known
	hasInput bool // the input() shim is defined on the board

	// generation counts the times the board may have lost its Python
	// state; sent and received count the link's bytes, over every link.
	generation     atomic.Uint64
	sent, received atomic.Int64
}

// lostState notes that the board's variables and shims may be gone. The
// caller holds the turn.
func (b *Board) lostState() {
	b.hasInput = false
	b.generation.Add(1)
}

// Generation changes whenever the board may have lost its Python state
// (a new link, a reset): what the kernel defines on a board for later
// cells is defined again when it changed. Safe for concurrent use.
func (b *Board) Generation() uint64 { return b.generation.Load() }

// Traffic returns the bytes written to and read from the board's links
// since it was opened (the raw REPL's framing included). Safe for
// concurrent use.
func (b *Board) Traffic() (sent, received int64) { return b.sent.Load(), b.received.Load() }

// countingLink counts the bytes that pass through a link.
type countingLink struct {
	io.ReadWriteCloser
	sent, received *atomic.Int64
}

func (l countingLink) Read(p []byte) (int, error) {
	n, err := l.ReadWriteCloser.Read(p)
	l.received.Add(int64(n))
	return n, err
}

func (l countingLink) Write(p []byte) (int, error) {
	n, err := l.ReadWriteCloser.Write(p)
	l.sent.Add(int64(n))
	return n, err
}

// Open opens the link named by url and enters the raw REPL (which
// interrupts whatever the board was running), under opts.HandshakeTimeout.
// URLs: "serial:///dev/ttyUSB0", a bare device path ("/dev/ttyACM0",
// "COM3"), each with an optional "?baud=N"; "socket://host:port" (raw TCP);
// "rfc2217://host:port" (a serial port shared by an RFC 2217 server such
// as ser2net, rfc2217.go);
// "exec:COMMAND ARGS..." (a process under a pty); "local" (the local
// MicroPython Unix port); "ws://HOST[:PORT][/]" and "wss://..." (WebREPL,
// webrepl.go).
func Open(ctx context.Context, url string, opts Options) (*Board, error) {
	if isWebREPL(url) {
		return openWebREPL(ctx, url, opts)
	}
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
	c := newConn(countingLink{lk.rw, &b.sent, &b.received})
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		c.close()
		return fmt.Errorf("board %s: %w: closed", b.url, ErrNotConnected)
	}
	b.c, b.lk = c, lk
	b.mu.Unlock()
	b.lostState() // a new link: the board may have restarted
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

// linkError wraps an error of the link itself, marking the board down.
func (b *Board) linkError(what string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("board %s: %s: %w", b.url, what, err)
	}
	b.state = stateDown
	return &ResetError{URL: b.url, Reason: what + ": the link closed", Err: err}
}
