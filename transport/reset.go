package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// SoftReset restarts MicroPython on the board, clearing its state, and
// writes what boot.py prints to out. It returns once the board is back at
// its raw prompt, or after HandshakeTimeout. A process board (exec:,
// local) is restarted instead.
func (b *Board) SoftReset(ctx context.Context, out io.Writer) error {
	if err := b.acquire(ctx); err != nil {
		return err
	}
	defer b.release()
	b.lostState()
	if _, lk := b.current(); lk.process {
		return b.restart(ctx)
	}
	if err := b.readyForReset(ctx); err != nil {
		return err
	}
	c, _ := b.current()
	// 0x04 at an empty raw prompt: "OK\r\n", the reboot line, boot.py's
	// output, then the raw banner and prompt again.
	if err := c.write([]byte{ctrlD}); err != nil {
		return b.linkError("soft reset", err)
	}
	got, err := b.readUntilPrompt(ctx, c)
	if _, lk := b.current(); err != nil && lk.files != nil && errors.Is(err, ErrStateLost) {
		// An ESP32's WebREPL closes its connection on a soft reset:
		// log in again.
		return b.reconnect(ctx)
	}
	if err != nil {
		return err
	}
	i := bytes.Index(got, []byte("soft reboot\r\n"))
	if i < 0 {
		b.state = stateResync
		return b.handshakeError("soft reset (no \"soft reboot\" line)", got)
	}
	boot := got[i+len("soft reboot\r\n"):]
	boot = boot[:bytes.LastIndex(boot, []byte("raw REPL"))]
	tw := newTextWriter(out)
	tw.Write(boot)
	return tw.Flush()
}

// readyForReset is ready for calls that reset the board anyway: a state
// loss found on the way does not matter.
func (b *Board) readyForReset(ctx context.Context) error {
	err := b.ready(ctx)
	if errors.Is(err, ErrStateLost) && b.state == stateReady {
		return nil
	}
	return err
}

// readUntilPrompt collects the board's output until the raw banner and
// prompt end it, under HandshakeTimeout.
func (b *Board) readUntilPrompt(ctx context.Context, c *conn) ([]byte, error) {
	deadline := time.NewTimer(b.opts.HandshakeTimeout)
	defer deadline.Stop()
	var got []byte
	for !hasRawPrompt(got) {
		p, err := c.take(ctx, deadline.C)
		if err == errDeadline {
			b.state = stateResync
			return got, b.handshakeError("soft reset", got)
		}
		if err != nil {
			return got, b.linkError("soft reset", err)
		}
		got = append(got, p...)
	}
	b.state = stateReady
	return got, nil
}

// restart ends a process board and starts it again.
func (b *Board) restart(ctx context.Context) error {
	b.state = stateDown
	if err := b.reconnect(ctx); err != nil {
		return err
	}
	return nil
}

// HardReset resets the board's chip, clearing its state, and enters the
// raw REPL again; out receives the board's boot messages. Boards on a
// USB-UART bridge get an RTS pulse on EN (esptool's sequence), process
// boards are restarted, others run machine.reset(); then HardReset waits
// for the link to come back (a native USB port re-enumerates).
func (b *Board) HardReset(ctx context.Context, out io.Writer) error {
	if err := b.acquire(ctx); err != nil {
		return err
	}
	defer b.release()
	b.lostState()
	c, lk := b.current()
	if lk.process {
		return b.restart(ctx)
	}
	var boot bytes.Buffer
	if lk.pulseReset != nil && c.broken() == nil {
		if err := lk.pulseReset(); err != nil {
			return fmt.Errorf("board %s: hard reset: set RTS/DTR: %w", b.url, err)
		}
		err := b.enterRaw(ctx, c, true, func(p []byte) { boot.Write(p) })
		writeBootLines(out, boot.Bytes())
		if err == nil {
			b.state = stateReady
			return nil
		}
		if !errors.Is(err, ErrStateLost) {
			b.state = stateResync
			return err
		}
		return b.reconnect(ctx) // the port went away and must come back
	}
	if err := b.readyForReset(ctx); err != nil {
		return err
	}
	c, _ = b.current()
	// machine.reset() never returns: "OK", then the board reboots and
	// either its banner appears or its USB port goes away.
	if err := c.write([]byte("import machine\nmachine.reset()\n\x04")); err != nil {
		return b.linkError("hard reset", err)
	}
	deadline := time.NewTimer(machineResetRun)
	defer deadline.Stop()
	var w lineWatch
	for reset := false; !reset; {
		p, err := c.take(ctx, deadline.C)
		if err == errDeadline {
			return b.handshakeError("hard reset (machine.reset())", boot.Bytes())
		}
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			writeBootLines(out, boot.Bytes())
			b.state = stateDown
			return b.reconnect(ctx)
		}
		boot.Write(p)
		for _, ch := range p {
			if w.add(ch) != "" {
				reset = true
			}
		}
	}
	err := b.enterRaw(ctx, c, true, func(p []byte) { boot.Write(p) })
	writeBootLines(out, boot.Bytes())
	if errors.Is(err, ErrStateLost) {
		// The link went once the board printed its banner (a WebREPL
		// board's network restarts): it must come back.
		return b.reconnect(ctx)
	}
	if err != nil {
		b.state = stateResync
		return err
	}
	b.state = stateReady
	return nil
}

// writeBootLines writes the readable lines of a boot log to out, leaving
// out our own handshake, the raw banner and line noise (an ESP8266 ROM
// prints at 74880 baud).
func writeBootLines(out io.Writer, log []byte) {
	if out == nil {
		return
	}
	tw := newTextWriter(out)
	log = bytes.TrimPrefix(log, []byte(execAck))
	for _, line := range bytes.Split(log, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		l := bytes.TrimSpace(line)
		if len(l) == 0 || string(l) == ">>>" || string(l) == ">" || bytes.Contains(l, []byte("raw REPL")) || !printable(l) {
			continue
		}
		tw.Write(append(line, '\n'))
	}
	tw.Flush()
}

func printable(p []byte) bool {
	for _, c := range p {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
