package kernel

import (
	"bytes"
	"encoding/json"
	"sync"
	"time"
	"unicode/utf8"
)

// Stream coalescing limits. jupyter_server drops IOPub traffic above 1000
// messages per second, so small writes are merged: a stream is flushed
// flushDelay after its first unsent byte, or as soon as it holds
// flushBytes, whichever comes first.
const (
	flushDelay = 50 * time.Millisecond
	flushBytes = 256 << 10
)

// streamSet holds the stdout and stderr buffers of one cell. Writing to
// one stream first flushes the other, so the client sees the two
// interleaved in the order the cell wrote them.
//
// publish is handed the buffer itself, valid UTF-8, and must not keep it:
// the buffer is reused once publish returns (streamContent encodes it).
type streamSet struct {
	publish func(name string, text []byte) error

	mu      sync.Mutex
	buf     [2][]byte
	timer   *time.Timer
	lastErr error
}

var streamNames = [2]string{"stdout", "stderr"}

func newStreamSet(publish func(name string, text []byte) error) *streamSet {
	return &streamSet{publish: publish}
}

// streamWriter is the io.Writer for one of the two streams.
type streamWriter struct {
	set *streamSet
	idx int
}

func (w streamWriter) Write(p []byte) (int, error) {
	s := w.set
	s.mu.Lock()
	defer s.mu.Unlock()
	if other := 1 - w.idx; len(s.buf[other]) > 0 {
		s.flushLocked(other, true)
	}
	// A big write goes out in messages of about flushBytes each: small
	// messages keep the copies made on the way (string, JSON, frames)
	// small and reusable, where one message of a megabyte would make
	// several megabyte-sized copies for the collector.
	written := len(p)
	for len(p) > 0 {
		take := min(flushBytes-len(s.buf[w.idx]), len(p))
		s.buf[w.idx] = append(s.buf[w.idx], p[:take]...)
		p = p[take:]
		if len(s.buf[w.idx]) >= flushBytes {
			s.flushLocked(w.idx, false)
		}
	}
	if len(s.buf[0])+len(s.buf[1]) > 0 && s.timer == nil {
		s.timer = time.AfterFunc(flushDelay, s.timedFlush)
	}
	err := s.lastErr
	s.lastErr = nil
	return written, err
}

func (s *streamSet) timedFlush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timer = nil
	s.flushLocked(0, false)
	s.flushLocked(1, false)
	// A held-back partial character waits for the next write or the end
	// of the cell; rearming the timer for it would spin.
}

// Flush sends everything buffered, including an incomplete trailing
// UTF-8 sequence (a cell that ends mid-character has nothing more to say).
func (s *streamSet) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.flushLocked(0, true)
	s.flushLocked(1, true)
}

// flushLocked publishes buffer i. Unless all is set, it keeps back a
// trailing incomplete UTF-8 sequence so no character is split between
// two messages.
func (s *streamSet) flushLocked(i int, all bool) {
	b := s.buf[i]
	if len(b) == 0 {
		return
	}
	n := len(b)
	if !all {
		n -= incompleteTail(b)
	}
	if n == 0 {
		return
	}
	text := b[:n]
	if !utf8.Valid(text) {
		text = bytes.ToValidUTF8(text, []byte("\uFFFD"))
	}
	if err := s.publish(streamNames[i], text); err != nil {
		s.lastErr = err
	}
	s.buf[i] = b[:copy(b, b[n:])]
}

// streamContent is the JSON content of a stream message, encoded straight
// from the buffer: json.Marshal would need the text as a string (a copy),
// then grow its own buffer and copy the result out, three copies of each
// message's quarter megabyte. text must be valid UTF-8.
func streamContent(name string, text []byte) json.RawMessage {
	const head, mid, tail = `{"name":"`, `","text":"`, `"}`
	out := make([]byte, 0, len(head)+len(name)+len(mid)+len(tail)+len(text)+jsonEscapes(text))
	out = append(out, head...)
	out = appendJSONText(out, []byte(name))
	out = append(out, mid...)
	out = appendJSONText(out, text)
	return append(out, tail...)
}

// jsonEscapes is how many bytes escaping adds to text in a JSON string.
func jsonEscapes(text []byte) int {
	n := 0
	for _, c := range text {
		switch {
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
			n++ // \" \\ \n \r \t
		case c < 0x20:
			n += 5 // \u00XX
		}
	}
	return n
}

// appendJSONText appends text, valid UTF-8, escaped for the inside of a
// JSON string: quotes, backslashes and control characters; all else as is.
func appendJSONText(out, text []byte) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i, c := range text {
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		out = append(out, text[start:i]...)
		switch c {
		case '"', '\\':
			out = append(out, '\\', c)
		case '\n':
			out = append(out, '\\', 'n')
		case '\r':
			out = append(out, '\\', 'r')
		case '\t':
			out = append(out, '\\', 't')
		default:
			out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	return append(out, text[start:]...)
}

// incompleteTail returns the length of a UTF-8 sequence at the end of b
// that has begun but not finished (0 if b ends on a whole character).
func incompleteTail(b []byte) int {
	for k := 1; k <= utf8.UTFMax-1 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < utf8.RuneSelf {
			return 0 // ASCII: everything before it is whole or invalid anyway
		}
		if utf8.RuneStart(c) {
			if utf8.FullRune(b[len(b)-k:]) {
				return 0
			}
			return k
		}
	}
	return 0
}
