package kernel

import (
	"strings"
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
type streamSet struct {
	publish func(name, text string) error

	mu      sync.Mutex
	buf     [2][]byte
	timer   *time.Timer
	lastErr error
}

var streamNames = [2]string{"stdout", "stderr"}

func newStreamSet(publish func(name, text string) error) *streamSet {
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
	text := string(b[:n])
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	s.buf[i] = b[:copy(b, b[n:])] // text is a copy: the buffer is reused
	if err := s.publish(streamNames[i], text); err != nil {
		s.lastErr = err
	}
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
