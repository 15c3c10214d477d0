package transport

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// readResult reads the cell's output, traceback and prompt through sc.
// It handles interrupts (ctx done), resets and a vanished link. src is
// the cell, nil for the raw-paste probe's empty program.
func (b *Board) readResult(ctx context.Context, c *conn, sc *scanner, src []byte) error {
	r := &resultReader{b: b, c: c, sc: sc, ctx: ctx, cell: src != nil}
	defer r.stopTimer()
	if r.waitingAck() {
		r.setTimer(b.opts.HandshakeTimeout)
	}
	for {
		p, err := c.take(r.ctx, r.timerC)
		if err != nil {
			if err := r.onError(err); err != nil {
				return err
			}
			continue
		}
		if done, err := r.feed(p); done {
			return err
		}
	}
}

// resultReader is the state of one readResult around the pure scanner:
// the deadline it waits under, whether the cell was cancelled, and the
// interrupts sent. It does the I/O the scanner does not: it takes the
// board's bytes, writes Ctrl-C, and puts back what follows the prompt.
type resultReader struct {
	b    *Board
	c    *conn
	sc   *scanner
	cell bool // reading a user's cell, not the raw-paste probe

	// ctx is the cell's until its cancellation is handled, then
	// context.Background: from then on only the interrupt's deadline ends
	// the wait.
	ctx        context.Context
	cancelled  bool
	interrupts int
	pendingInt bool // Ctrl-C wanted once the board runs the code

	timer  *time.Timer
	timerC <-chan time.Time // nil: no deadline
}

// waitingAck reports whether the board has yet to acknowledge the cell.
func (r *resultReader) waitingAck() bool {
	return r.sc.phase == phaseOK || r.sc.phase == phaseAck
}

// setTimer makes the wait end after d.
func (r *resultReader) setTimer(d time.Duration) {
	r.stopTimer()
	r.timer = time.NewTimer(d)
	r.timerC = r.timer.C
}

func (r *resultReader) stopTimer() {
	if r.timer != nil {
		r.timer.Stop()
	}
}

// onError handles what take returned instead of bytes: the cell's
// cancellation, a deadline, a broken link. A nil result means read on.
func (r *resultReader) onError(err error) error {
	switch {
	case !r.cancelled && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		return r.cancel()
	case err == errDeadline:
		return r.deadline()
	}
	return r.b.linkError("read cell output", err)
}

// cancel interrupts the cell whose ctx is done, once.
func (r *resultReader) cancel() error {
	r.cancelled, r.ctx = true, context.Background()
	if r.waitingAck() {
		// A Ctrl-C before the board starts the code would be read as
		// input; send it once the code runs.
		r.pendingInt = true
		return nil
	}
	return r.interrupt()
}

// deadline handles a wait that ran out: no acknowledgement of the cell,
// or no KeyboardInterrupt after a Ctrl-C, which is sent once more before
// giving up.
func (r *resultReader) deadline() error {
	if r.waitingAck() && r.interrupts == 0 {
		r.b.state = stateResync
		return r.b.handshakeError("cell acknowledgement", r.sc.noise)
	}
	if r.interrupts < 2 {
		return r.interrupt()
	}
	r.b.state = stateResync
	return fmt.Errorf("board %s: %w: it is still running after two Ctrl-C; %%hardreset restarts it (its state will be lost)", r.b.url, ErrInterruptIgnored)
}

// interrupt sends Ctrl-C and waits for its effect until b.intWait.
func (r *resultReader) interrupt() error {
	r.interrupts++
	r.b.log.Debug("interrupt", "n", r.interrupts)
	if _, lk := r.b.current(); lk.signal != nil {
		if err := lk.signal(); err != nil {
			return r.b.linkError("interrupt", err)
		}
	} else if err := r.c.write([]byte{ctrlC}); err != nil {
		return r.b.linkError("interrupt", err)
	}
	r.setTimer(r.b.intWait)
	return nil
}

// feed gives p to the scanner and acts on what it finds. done is true
// when the result is complete (err is then the cell's outcome) or
// reading must stop.
func (r *resultReader) feed(p []byte) (done bool, err error) {
	wasAck := r.waitingAck()
	n, ev := r.sc.feed(p)
	if wasAck && !r.waitingAck() {
		// The board runs the code: no deadline until an interrupt.
		r.timerC = nil
		if r.pendingInt {
			r.pendingInt = false
			if err := r.interrupt(); err != nil {
				return true, err
			}
		}
	}
	switch ev {
	case evReset:
		r.b.state = stateResync
		r.b.log.Debug("reset during cell", "reason", r.sc.reset)
		return true, &ResetError{URL: r.b.url, Reason: r.sc.reset}
	case evDone:
		if rest := p[n:]; len(rest) > 0 {
			r.c.unread(rest) // checked before the next call
		}
		if len(r.sc.noise) > 0 {
			r.b.log.Debug("unexpected bytes in cell result", "bytes", string(r.sc.noise))
		}
		if len(r.sc.tb) > 0 {
			return true, parseTraceback(string(r.sc.tb))
		}
		if r.interrupts > 0 && r.cell {
			r.b.log.Debug("cell ended before the interrupt took effect")
		}
		return true, nil
	}
	return false, nil
}
