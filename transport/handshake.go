package transport

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

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
