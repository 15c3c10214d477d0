//go:build linux

package transport_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/transport"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

// Debian's ser2net with an RFC 2217 accepter in front of a pty board (the
// Unix port with the board program): rfc2217:// carries the raw REPL and
// raw-paste, interrupts, and a hard reset whose DTR/RTS settings ser2net
// cannot apply to a pty and never acknowledges.
func TestRFC2217Ser2net(t *testing.T) {
	url := realboard.Ser2net(t, realboard.UnixPortPTY(t))
	t.Run("Identity", func(t *testing.T) {
		b := openBoard(t, url)
		if out := mustRun(t, b, "import sys\nprint(sys.platform, sys.implementation.version[:2])"); out != "linux (1, 25)\n" {
			t.Errorf("board says %q", out)
		}
		if p := b.Protocol(); p != "raw-paste" {
			t.Errorf("Protocol() = %q, want raw-paste", p)
		}
	})
	t.Run("Print", func(t *testing.T) { checkPrint(t, openBoard(t, url)) })
	t.Run("Error", func(t *testing.T) { checkError(t, openBoard(t, url)) })
	t.Run("PrintedEOT", func(t *testing.T) { checkPrintedEOT(t, openBoard(t, url)) })
	t.Run("Byte255", func(t *testing.T) {
		// 0xFF is telnet's IAC: it crosses doubled, and each arrives
		// once (shown as U+FFFD, not being UTF-8).
		b := openBoard(t, url)
		if out := mustRun(t, b, "import sys\nsys.stdout.buffer.write(bytes([255, 1, 255, 255]))\nprint(len('\u00ff'.encode()))"); out != "\ufffd\x01\ufffd\ufffd2\n" {
			t.Errorf("cell printing 0xFF bytes: %q", out)
		}
	})
	t.Run("Interrupt", func(t *testing.T) {
		checkInterrupt(t, openBoard(t, url), "n = 0", "while True:\n    n += 1\n", "print(n > 0)", "True\n")
	})
	t.Run("Cell20K", func(t *testing.T) {
		b := openBoard(t, url)
		code, sum := bigCell(20 * 1024)
		if out := mustRun(t, b, code); out != itoa(sum)+"\n" {
			t.Errorf("20 KB cell printed %q, want %d", out, sum)
		}
	})
	t.Run("HardReset", func(t *testing.T) {
		b := openBoard(t, url)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		start := time.Now()
		var out bytes.Buffer
		if err := b.HardReset(ctx, &out); err != nil {
			t.Fatalf("HardReset through ser2net: %v", err)
		}
		// ser2net acknowledges no DTR/RTS setting on a pty: the reset
		// waits for one acknowledgement, then no more.
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("HardReset took %v", took)
		}
		if got := mustRun(t, b, "print('after reset')"); got != "after reset\n" {
			t.Errorf("cell after the hard reset: %q", got)
		}
	})
	t.Run("NotRFC2217", func(t *testing.T) {
		// socket:// stays raw TCP: through it the telnet negotiation
		// reaches the client as data, and no acknowledgement comes
		// from a raw server to rfc2217://.
		_, err := transport.Open(context.Background(), "rfc2217://"+echoServer(t), transport.Options{HandshakeTimeout: time.Second})
		if err == nil || !strings.Contains(err.Error(), "RFC 2217") {
			t.Errorf("rfc2217:// to a raw TCP server: %v, want a clear error", err)
		}
	})
}
