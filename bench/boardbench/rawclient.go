package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// rawClient is the least a host can do to run a cell: plain raw REPL, one
// write, read to the prompt, nothing checked beyond the frame. Over the
// unthrottled line it measures the board's own time (with the ptys on the
// way); over the throttled line, what the emulated wire allows. It is the
// yardstick for iotkernel's small cells, not a client for real use.
type rawClient struct {
	f   *os.File
	buf []byte // read, not yet consumed
}

func openRawClient(path string) (*rawClient, error) {
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	c := &rawClient{f: f}
	if _, err := f.Write([]byte("\r\x03\r\x01")); err != nil {
		f.Close()
		return nil, err
	}
	if err := c.readUntil([]byte("raw REPL; CTRL-B to exit\r\n>"), 10*time.Second); err != nil {
		f.Close()
		return nil, fmt.Errorf("enter raw REPL: %w", err)
	}
	return c, nil
}

func (c *rawClient) Close() error {
	c.f.Write([]byte("\r\x02"))
	return c.f.Close()
}

// readUntil reads until the bytes read end with marker (anything before
// is dropped), or until timeout.
func (c *rawClient) readUntil(marker []byte, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	b := make([]byte, 4096)
	for {
		if i := bytes.Index(c.buf, marker); i >= 0 {
			c.buf = c.buf[i+len(marker):]
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("no %q within %v (got %q)", marker, timeout, short(string(c.buf), 200))
		}
		fds := []unix.PollFd{{Fd: int32(c.f.Fd()), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, int(left/time.Millisecond)+1); err != nil && !errors.Is(err, unix.EINTR) {
			return err
		}
		if fds[0].Revents&unix.POLLIN == 0 {
			continue
		}
		n, err := c.f.Read(b)
		c.buf = append(c.buf, b[:n]...)
		if err != nil {
			return err
		}
	}
}

// run sends code in plain raw mode (it must fit the board's input) and
// returns the time to the prompt after its result.
func (c *rawClient) run(code string) (time.Duration, error) {
	t0 := time.Now()
	if _, err := c.f.Write([]byte(code + "\x04")); err != nil {
		return 0, err
	}
	if err := c.readUntil([]byte("\x04\x04>"), 30*time.Second); err != nil {
		return 0, fmt.Errorf("run %q: %w", code, err)
	}
	return time.Since(t0), nil
}

// interrupt starts a busy loop, sends Ctrl-C after a while and returns
// the time from the Ctrl-C to the prompt after the KeyboardInterrupt.
func (c *rawClient) interrupt() (time.Duration, error) {
	if _, err := c.f.Write([]byte("while True:\n    pass\n\x04")); err != nil {
		return 0, err
	}
	if err := c.readUntil([]byte("OK"), 10*time.Second); err != nil {
		return 0, err
	}
	time.Sleep(300 * time.Millisecond)
	t0 := time.Now()
	if _, err := c.f.Write([]byte{3}); err != nil {
		return 0, err
	}
	for _, m := range []string{"KeyboardInterrupt", "\x04>"} {
		if err := c.readUntil([]byte(m), 10*time.Second); err != nil {
			return 0, fmt.Errorf("interrupt: %w", err)
		}
	}
	return time.Since(t0), nil
}
