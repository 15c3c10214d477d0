package transport_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/transport/boardprog"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

// MicroPython 1.25, the Unix port from Debian 13, run with Debian 13's
// loader by the wrapper scripts/install-boards.sh writes. Its REPL has no
// raw REPL; the transport gives it the board program of package boardprog.
// It has real sockets: the tests use them on 127.0.0.1 only.

func TestUnixPortLocal(t *testing.T) {
	// "local" finds the port through $IOTKERNEL_MICROPYTHON.
	t.Setenv("IOTKERNEL_MICROPYTHON", realboard.UnixPort(t))
	testUnixPort(t, "local")
}

func TestUnixPortExec(t *testing.T) {
	mp := realboard.UnixPort(t)
	// The board program is what "local" runs; exec: runs it by hand.
	prog, err := boardprog.WriteFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	testUnixPort(t, fmt.Sprintf("exec:%q %q", mp, prog))
}

func testUnixPort(t *testing.T, url string) {
	checkRawPasteBoard(t, url, "linux (1, 25)\n", 1)
	t.Run("Interrupt", func(t *testing.T) {
		checkInterrupt(t, openBoard(t, url), "n = 0", "while True:\n    n += 1\n", "print(n > 0)", "True\n")
	})
	t.Run("SocketClient", func(t *testing.T) {
		b := openBoard(t, url)
		addr := echoServer(t)
		host, port, _ := net.SplitHostPort(addr)
		code := fmt.Sprintf(`import socket
ai = socket.getaddrinfo(%q, %s)[0][-1]
s = socket.socket()
s.connect(ai)
s.write(b'ping from the board\n')
print(s.readline())
s.close()
`, host, port)
		if out := mustRun(t, b, code); out != "b'PING FROM THE BOARD\\n'\n" {
			t.Errorf("socket client cell printed %q", out)
		}
	})
	t.Run("InterruptAccept", func(t *testing.T) {
		b := openBoard(t, url)
		port := freePort(t)
		mustRun(t, b, fmt.Sprintf(`import socket
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(socket.getaddrinfo('127.0.0.1', %d)[0][-1])
srv.listen(1)
`, port))
		checkInterrupt(t, b, "waiting = True", "conn, peer = srv.accept()\n", "print(waiting)", "True\n")
		// The listening socket survived the interrupt: it still accepts.
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatalf("connect to the board's server after the interrupt: %v", err)
		}
		defer c.Close()
		if out := mustRun(t, b, "conn, peer = srv.accept()\nprint('accepted')\nconn.close()\nsrv.close()\n"); out != "accepted\n" {
			t.Errorf("accept after the interrupt printed %q", out)
		}
	})
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// echoServer serves one connection on 127.0.0.1 that answers a line with
// the line in upper case, and returns its address.
func echoServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			return
		}
		c.Write([]byte(strings.ToUpper(line)))
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
	})
	return l.Addr().String()
}
