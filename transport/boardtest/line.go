package boardtest

import (
	"net"
	"sync"
	"time"
)

// LineRate115200 is the byte rate of a 115200-baud serial line with 8N1
// framing (10 bits per byte).
const LineRate115200 = 11520

// Pipe returns the two ends of an in-memory full-duplex link, host and
// board. With rate > 0 each direction carries at most rate bytes per
// second and delivers bytes as a serial line would: a write returns once
// its bytes are on the wire, and the reader sees them in small pieces as
// they arrive. With rate == 0 it is a plain net.Pipe.
func Pipe(rate int) (host, board net.Conn) {
	h, b := net.Pipe()
	if rate <= 0 {
		return h, b
	}
	return &throttled{Conn: h, rate: rate}, &throttled{Conn: b, rate: rate}
}

// throttled delays each write to the pace of a serial line.
type throttled struct {
	net.Conn
	rate int

	mu   sync.Mutex
	free time.Time // when the line is idle again
}

// piece is how many bytes a line delivers at once: about 1.4 ms at
// 115200 baud, so output streams as on a real UART.
const piece = 16

func (t *throttled) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for n < len(p) {
		k := min(piece, len(p)-n)
		// Within one write the pieces follow each other on the wire:
		// the next starts when the last one ended, even if the sleep
		// overshot a little, so oversleeping never adds up to a slower
		// line. A new write starts when the line is free, or now.
		start := t.free
		if now := time.Now(); n == 0 && now.After(start) {
			start = now
		}
		due := start.Add(time.Duration(k) * time.Second / time.Duration(t.rate))
		t.free = due
		if d := time.Until(due); d > 0 {
			time.Sleep(d) // the line's own pace, not synchronisation
		}
		m, err := t.Conn.Write(p[n : n+k])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
