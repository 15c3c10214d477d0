package transport

import (
	"context"
	"errors"
	"fmt"
	"time"
)

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
