package kernel

import (
	"context"
	"encoding/binary"
	"errors"
	"go/parser"
	"go/token"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// zmtpGreeting is the 64-byte ZMTP 3.0 greeting of a NULL-security peer
// (https://rfc.zeromq.org/spec/23/).
func zmtpGreeting() []byte {
	g := make([]byte, 64)
	g[0], g[9], g[10] = 0xff, 0x7f, 3
	copy(g[12:], "NULL")
	return g
}

// zmtpReady is the READY command of a peer of socket type typ.
func zmtpReady(typ string) []byte {
	body := []byte("\x05READY\x0bSocket-Type")
	body = binary.BigEndian.AppendUint32(body, uint32(len(typ)))
	body = append(body, typ...)
	return append([]byte{0x04, byte(len(body))}, body...)
}

// zmtpLongHeader is a data frame header announcing size bytes.
func zmtpLongHeader(size uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{0x02}, size)
}

// closedByKernel reports whether the kernel closes c within d.
func closedByKernel(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

func rawDial(t *testing.T, port int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestOversizeFrameClosesOnlyItsConnection(t *testing.T) {
	rk, c := startKernel(t)
	ci := rk.k.cfg.Connection
	for _, p := range []struct {
		name, peer string
		port       int
	}{{"shell", "DEALER", ci.ShellPort}, {"control", "DEALER", ci.ControlPort}, {"stdin", "DEALER", ci.StdinPort},
		{"iopub", "SUB", ci.IOPubPort}, {"hb", "REQ", ci.HBPort}} {
		// 2^40 bytes: allocating it ends the process with "out of memory".
		conn := rawDial(t, p.port)
		conn.Write(append(append(zmtpGreeting(), zmtpReady(p.peer)...), zmtpLongHeader(1<<40)...))
		if !closedByKernel(conn, 5*time.Second) {
			t.Errorf("%s: a connection announcing a 2^40-byte frame is still open after 5s", p.name)
		}
	}
	c.send(c.shell, "kernel_info_request", map[string]any{})
	c.recvReply(c.shell, "kernel_info_reply")
}

func TestMaxMessageSizeIsConfigurable(t *testing.T) {
	p := freePorts(t, 5)
	ci := ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", ShellPort: p[0], ControlPort: p[1],
		StdinPort: p[2], IOPubPort: p[3], HBPort: p[4], Key: "secret-key", SignatureScheme: "hmac-sha256"}
	k, err := New(Config{Connection: ci, Executor: &fakeExecutor{}, MaxMessageSize: 100 << 10,
		Info: Info{Implementation: "test", LanguageInfo: map[string]any{"name": "python"}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { k.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	c := dial(t, ci)

	conn := rawDial(t, ci.ShellPort)
	// Served up to 100 KiB, answered with an error a little above, cut off
	// at transportCap: 100 KiB + 1/16 + 1 MiB.
	conn.Write(append(append(zmtpGreeting(), zmtpReady("DEALER")...), zmtpLongHeader(uint64(transportCap(100<<10)+1))...))
	if !closedByKernel(conn, 5*time.Second) {
		t.Error("a frame over the transport cap of a 100 KiB limit did not close its connection")
	}
	_, reply, _ := c.execute("print:"+strings.Repeat("x", 50<<10), nil)
	if got := content(t, reply)["status"]; got != "ok" {
		t.Errorf("a 50 KiB cell under a 100 KiB limit: status %v", got)
	}
}

func TestSilentConnectionsDoNotBlockNewClients(t *testing.T) {
	rk, _ := startKernel(t)
	ci := rk.k.cfg.Connection
	for _, port := range []int{ci.ShellPort, ci.ControlPort, ci.StdinPort, ci.IOPubPort, ci.HBPort} {
		for i := 0; i < 20; i++ {
			conn := rawDial(t, port)
			if i%2 == 1 {
				conn.Write(zmtpGreeting()[:10]) // a greeting that never ends
			}
		}
	}
	// dial fails the test unless the new client's kernel_info requests
	// are answered on shell and its IOPub subscription goes live.
	c := dial(t, ci)
	c.hb.Send(zmq4.NewMsgString("ping"))
	got := make(chan string, 1)
	go func() {
		m, err := c.hb.Recv()
		if err != nil {
			got <- err.Error()
			return
		}
		got <- string(m.Bytes())
	}()
	select {
	case s := <-got:
		if s != "ping" {
			t.Errorf("heartbeat echoed %q, want ping", s)
		}
	case <-time.After(10 * time.Second):
		t.Error("no heartbeat echo within 10s while silent connections are held")
	}
}

func TestHeartbeatSurvivesAMalformedRequest(t *testing.T) {
	rk, c := startKernel(t)
	// A DEALER may talk to the REP heartbeat, but a message without the
	// empty delimiter frame is not a request.
	d := zmq4.NewDealer(context.Background())
	defer d.Close()
	if err := d.Dial(rk.k.cfg.Connection.endpoint(rk.k.cfg.Connection.HBPort)); err != nil {
		t.Fatal(err)
	}
	if err := d.Send(zmq4.NewMsgString("no delimiter")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := c.hb.Send(zmq4.NewMsgString("ping")); err != nil {
			t.Fatal(err)
		}
		got := make(chan zmq4.Msg, 1)
		go func() { m, _ := c.hb.Recv(); got <- m }()
		select {
		case m := <-got:
			if string(m.Bytes()) != "ping" {
				t.Fatalf("heartbeat echoed %q, want ping", m.Bytes())
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the heartbeat stopped echoing after a malformed request")
		}
	}
}

// TestImportsOnlyZMQ4 holds the line that zmq4 is the only library this
// package imports.
func TestImportsOnlyZMQ4(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			if strings.Contains(first, ".") && path != "github.com/go-zeromq/zmq4" {
				t.Errorf("%s imports %s; package kernel imports no library but zmq4", name, path)
			}
		}
	}
}
