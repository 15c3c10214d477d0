package transport

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"
)

// conn is one open link to a board. A reader goroutine, owned by the conn
// and ended by close, moves every byte that arrives into a buffer, so the
// board is never blocked by a host busy writing; the protocol code takes
// bytes from that buffer with deadlines.
type conn struct {
	rw     io.ReadWriteCloser
	notify chan struct{} // signalled (cap 1) when bytes or the end arrive
	done   chan struct{} // closed when the reader goroutine returned

	mu  sync.Mutex
	in  []byte // arrived, not yet taken
	err error  // why the reader stopped

	closeOnce sync.Once
	closeErr  error
}

func newConn(rw io.ReadWriteCloser) *conn {
	c := &conn{rw: rw, notify: make(chan struct{}, 1), done: make(chan struct{})}
	go c.readLoop()
	return c
}

func (c *conn) readLoop() {
	defer close(c.done)
	buf := make([]byte, 4096)
	zeros := 0
	for {
		n, err := c.rw.Read(buf)
		c.mu.Lock()
		c.in = append(c.in, buf[:n]...)
		if err != nil {
			c.err = err
		}
		c.mu.Unlock()
		c.signal()
		if err != nil {
			return
		}
		if n == 0 {
			// go.bug.st/serial returns (0, nil) when a read timeout
			// expires: a timeout, not the end of the stream. Back off
			// in case some reader does it in a loop.
			zeros++
			if zeros > 3 {
				time.Sleep(time.Millisecond)
			}
			continue
		}
		zeros = 0
	}
}

func (c *conn) signal() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// errDeadline is what take returns when its deadline passed.
var errDeadline = errors.New("deadline passed")

// take returns the bytes that arrived, waiting for at least one until ctx
// is done or deadline (nil: none) fires. After the reader stopped, it
// returns the remaining bytes and then the reader's error.
func (c *conn) take(ctx context.Context, deadline <-chan time.Time) ([]byte, error) {
	for {
		c.mu.Lock()
		p, err := c.in, c.err
		c.in = nil
		c.mu.Unlock()
		if len(p) > 0 {
			return p, nil
		}
		if err != nil {
			return nil, err
		}
		select {
		case <-c.notify:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline:
			return nil, errDeadline
		}
	}
}

// pending returns what arrived so far without waiting.
func (c *conn) pending() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.in
	c.in = nil
	return p
}

// unread puts p back in front of the bytes not yet taken.
func (c *conn) unread(p []byte) {
	if len(p) == 0 {
		return
	}
	c.mu.Lock()
	c.in = append(append([]byte(nil), p...), c.in...)
	c.mu.Unlock()
	c.signal()
}

// broken reports whether the reader stopped (the link closed or failed).
func (c *conn) broken() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *conn) write(p []byte) error {
	_, err := c.rw.Write(p)
	return err
}

// close closes the link and waits for the reader goroutine. It is
// idempotent.
func (c *conn) close() error {
	c.closeOnce.Do(func() {
		c.closeErr = c.rw.Close()
		<-c.done
	})
	return c.closeErr
}
