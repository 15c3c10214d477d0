package transport

import (
	"io"
	"unicode/utf8"
)

// textWriter turns the board's raw output bytes into text for the caller's
// writer: "\r\n" becomes "\n", invalid UTF-8 becomes U+FFFD, and a
// character split across two reads is held back until it is whole, so a
// rune is never split across two Writes. A write error is remembered and
// later output is dropped: the protocol must still read to the prompt.
type textWriter struct {
	w    io.Writer
	hold []byte // an incomplete rune or a trailing '\r'
	out  []byte
	err  error
}

func newTextWriter(w io.Writer) *textWriter {
	if w == nil {
		w = io.Discard
	}
	return &textWriter{w: w}
}

// Write never fails; see Err.
func (t *textWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(t.hold) > 0 {
		p = append(t.hold, p...)
		t.hold = nil
	}
	t.out = t.out[:0]
	for len(p) > 0 {
		c := p[0]
		if c == '\r' {
			if len(p) == 1 {
				t.hold = append(t.hold[:0], '\r')
				break
			}
			if p[1] == '\n' {
				p = p[1:] // the '\n' is copied next round
				continue
			}
			t.out = append(t.out, '\r')
			p = p[1:]
			continue
		}
		if c < utf8.RuneSelf {
			t.out = append(t.out, c)
			p = p[1:]
			continue
		}
		if !utf8.FullRune(p) {
			t.hold = append(t.hold[:0], p...)
			break
		}
		r, size := utf8.DecodeRune(p)
		if r == utf8.RuneError && size == 1 {
			t.out = utf8.AppendRune(t.out, utf8.RuneError)
		} else {
			t.out = append(t.out, p[:size]...)
		}
		p = p[size:]
	}
	t.emit()
	return n, nil
}

// Flush writes what is held back: a lone '\r', or U+FFFD for a truncated
// character. It returns the first error the underlying writer gave.
func (t *textWriter) Flush() error {
	if len(t.hold) > 0 {
		t.out = t.out[:0]
		if t.hold[0] == '\r' {
			t.out = append(t.out, '\r')
		} else {
			t.out = utf8.AppendRune(t.out, utf8.RuneError)
		}
		t.hold = nil
		t.emit()
	}
	return t.err
}

func (t *textWriter) emit() {
	if len(t.out) == 0 || t.err != nil {
		return
	}
	_, t.err = t.w.Write(t.out)
}
