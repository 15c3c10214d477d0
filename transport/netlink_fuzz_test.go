package transport

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"
)

// streamConn is a net.Conn that reads a fixed stream and discards writes.
type streamConn struct {
	r       io.Reader
	written bytes.Buffer
}

func (c *streamConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *streamConn) Write(p []byte) (int, error)      { return c.written.Write(p) }
func (c *streamConn) Close() error                     { return nil }
func (c *streamConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *streamConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *streamConn) SetDeadline(time.Time) error      { return nil }
func (c *streamConn) SetReadDeadline(time.Time) error  { return nil }
func (c *streamConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzWebSocketRead feeds hostile bytes to the client's frame reader: it
// must end with an error, never panic or allocate beyond its limit, and
// text and binary payloads must stay apart.
func FuzzWebSocketRead(f *testing.F) {
	var seed bytes.Buffer
	serverFrame(&seed, wsText, []byte("Password: "))
	serverFrame(&seed, wsBinary, []byte("WB\x00\x00"))
	serverFrame(&seed, wsPing, []byte("hi"))
	serverFrame(&seed, wsText, bytes.Repeat([]byte("x"), 300))
	f.Add(seed.Bytes())
	f.Add([]byte{0x81, 0xFF, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF})
	f.Add([]byte{0x80, 0x01, 'a', 0x88, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		ws := &wsConn{nc: &streamConn{r: bytes.NewReader(data)}, bready: make(chan struct{}, 1)}
		ws.br = bufio.NewReader(ws.nc)
		buf := make([]byte, 64)
		total := 0
		for {
			n, err := ws.Read(buf)
			total += n
			if err != nil {
				break
			}
			if n == 0 {
				t.Fatal("Read returned 0 bytes and no error")
			}
		}
		if total > len(data) {
			t.Fatalf("read %d bytes of text from %d bytes on the wire", total, len(data))
		}
	})
}

// FuzzRFC2217Read feeds hostile bytes to the RFC 2217 client's parser:
// the data it passes on is never longer than what came, and it never
// panics.
func FuzzRFC2217Read(f *testing.F) {
	f.Add([]byte{'a', telIAC, telIAC, telIAC, telWILL, telBinary, telIAC, telSB, telComPort, 101, 0, 1, 0xC2, 0, telIAC, telSE, 'b'})
	f.Add([]byte{telIAC, telSB, telComPort, telIAC})
	f.Add([]byte{telIAC, telDO, 99, telIAC, telDONT, telBinary, telIAC})
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newRFC2217(&streamConn{r: bytes.NewReader(data)}, slog.New(slog.DiscardHandler))
		got, err := io.ReadAll(c)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > len(data) {
			t.Fatalf("%d data bytes from %d on the wire", len(got), len(data))
		}
		<-c.done
	})
}
