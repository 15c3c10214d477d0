package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

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
// traceback to stderr as they arrive (either may be nil); it is Run with
// no Input.
func (b *Board) Exec(ctx context.Context, code string, stdout, stderr io.Writer) error {
	return b.Run(ctx, code, IO{Stdout: stdout, Stderr: stderr})
}

// Run runs code on the board with the cell's I/O: output and traceback
// are written as they arrive, and input() on the board asks cio.Input. It
// returns nil when the cell ran, an *ExecError when the board raised, a
// *ResetError (errors.Is ErrStateLost) when the board reset or vanished,
// and other errors for link failures. Run has no timeout: it returns when
// the board is back at its raw prompt. When ctx is done Run sends Ctrl-C
// and returns the board's KeyboardInterrupt; if the board ignores two
// Ctrl-C a second apart, Run returns an error matching
// ErrInterruptIgnored. Calls wait for each other.
//
// A board that reset or whose link vanished is reconnected by the next
// call: a lost link is reopened (retrying for ReconnectTimeout) and the raw
// REPL entered again. If Run finds the board lost its state since the last
// call, it returns a *ResetError without running code.
func (b *Board) Run(ctx context.Context, code string, cio IO) error {
	if err := checkCode(code); err != nil {
		return err
	}
	if err := b.acquire(ctx); err != nil {
		return err
	}
	defer b.release()
	err := b.ready(ctx)
	if err == nil {
		err = b.runIO(ctx, code, cio)
	}
	if errors.Is(err, ErrStateLost) {
		b.lostState()
	}
	return err
}

// runIO runs a cell at the idle raw prompt, defining the input() shim
// first when the cell may call input() and answering its prompts. The
// caller holds the turn.
func (b *Board) runIO(ctx context.Context, code string, cio IO) error {
	if mayCallInput(code) {
		if err := b.defineInput(ctx); err != nil {
			return err
		}
		stdout := cio.Stdout
		if stdout == nil {
			stdout = io.Discard
		}
		cio.Stdout = &inputFilter{w: stdout, ask: func(prompt string) error {
			return b.answer(ctx, cio, prompt)
		}}
	}
	if h := b.handler(); h != nil {
		stdout := cio.Stdout
		if stdout == nil {
			stdout = io.Discard
		}
		cio.Stdout = &requestFilter{w: stdout, serve: func(req string) (bool, error) {
			reply, ok := h(req)
			if !ok {
				return false, nil
			}
			return true, b.reply(reply)
		}}
	}
	return b.run(ctx, code, cio)
}

// run sends one cell at the idle raw prompt and reads its result. The
// caller holds the turn.
func (b *Board) run(ctx context.Context, code string, cio IO) error {
	c, _ := b.current()
	out, errw := newTextWriter(cio.Stdout), newTextWriter(cio.Stderr)
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
	if err := b.writePaced(ctx, c, msg); err != nil {
		if err != ctx.Err() {
			return nil, b.linkError("send cell", err)
		}
		// Ctrl-C at the raw prompt clears the input line: the cell
		// never runs and nothing comes back.
		if err := c.write([]byte{ctrlC}); err != nil {
			return nil, b.linkError("interrupt upload", err)
		}
		return nil, &ExecError{Type: "KeyboardInterrupt", Value: "interrupted while sending the cell; it did not run", Traceback: []string{}}
	}
	return newScanner(phaseOK, out, errw), nil
}

// writePaced writes msg to the board for a reader that does not
// acknowledge (plain raw mode, or a running cell's input()): at once when
// the board's input buffer holds it, else in chunks paced by rawPacing.
// When ctx is done between chunks it stops and returns ctx.Err(), having
// written part of msg; a write's failure is returned as it is.
func (b *Board) writePaced(ctx context.Context, c *conn, msg []byte) error {
	if len(msg) <= b.opts.InputBuffer {
		return c.write(msg)
	}
	chunk, every := b.rawPacing()
	next := time.Now()
	for i := 0; i < len(msg); i += chunk {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if wait := time.Until(next); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
		}
		// No catching up after a late timer: a burst could overflow.
		next = time.Now().Add(every)
		if err := c.write(msg[i:min(i+chunk, len(msg))]); err != nil {
			return err
		}
	}
	return nil
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
