// Tests of the iotkernel patch (see README.md): the message size limit,
// the handshake deadline and concurrency, and bounds-checked metadata.

package zmq4

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawGreeting is a ZMTP 3.0 greeting of a NULL-security client.
func rawGreeting() []byte {
	var g [zmtpMsgLen]byte
	g[0], g[9], g[10] = sigHeader, sigFooter, majorVersion
	copy(g[12:], "NULL")
	return g[:]
}

// rawReady is the READY command a peer of socket type typ sends.
func rawReady(typ SocketType) []byte {
	md, err := Metadata{sysSockType: string(typ)}.MarshalZMTP()
	if err != nil {
		panic(err)
	}
	body, _ := (&Cmd{Name: CmdReady, Body: md}).marshalZMTP()
	return append([]byte{isCommandBitFlag, byte(len(body))}, body...)
}

// longHeader is the header of a data frame announcing size bytes.
func longHeader(flags byte, size uint64) []byte {
	h := []byte{flags | isLongBitFlag, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint64(h[1:], size)
	return h
}

// closedWithin reports whether the peer of c closes it within d, reading
// and discarding what it sends until then.
func closedWithin(t *testing.T, c net.Conn, d time.Duration) bool {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

func listenRouter(t *testing.T, opts ...Option) Socket {
	t.Helper()
	r := NewRouter(context.Background(), append(opts, WithLogger(log.New(io.Discard, "", 0)))...)
	if err := r.Listen("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// roundTrip dials r with a DEALER, sends one message and waits for r to
// receive it.
func roundTrip(t *testing.T, r Socket, timeout time.Duration) error {
	t.Helper()
	d := NewDealer(context.Background(), WithDialerTimeout(timeout))
	defer d.Close()
	if err := d.Dial("tcp://" + r.Addr().String()); err != nil {
		return err
	}
	if err := d.Send(NewMsgString("hello")); err != nil {
		return err
	}
	got := make(chan error, 1)
	go func() {
		m, err := r.Recv()
		if err == nil && string(m.Frames[len(m.Frames)-1]) != "hello" {
			err = errors.New("got " + m.String())
		}
		got <- err
	}()
	select {
	case err := <-got:
		return err
	case <-time.After(timeout):
		return errors.New("no message within " + timeout.String())
	}
}

func TestMaxMessageSizeDisconnectsOnlyTheOffender(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload []byte
	}{
		// 2^40 bytes would end the process with "out of memory" if allocated.
		{"frame of 2^40 bytes", append(append(rawGreeting(), rawReady(Dealer)...), longHeader(0, 1<<40)...)},
		{"READY of 2^40 bytes", append(rawGreeting(), longHeader(isCommandBitFlag, 1<<40)...)},
		{"frame just over the limit", append(append(rawGreeting(), rawReady(Dealer)...), longHeader(0, 1<<20)...)},
		{"message over the limit in small frames", func() []byte {
			b := append(rawGreeting(), rawReady(Dealer)...)
			for i := 0; i < 5000; i++ {
				b = append(b, hasMoreBitFlag, 255)
				b = append(b, bytes.Repeat([]byte{'x'}, 255)...)
			}
			return b
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logged bytes.Buffer
			var mu sync.Mutex
			r := NewRouter(context.Background(), WithMaxMessageSize(1<<20),
				WithLogger(log.New(writerFunc(func(p []byte) (int, error) {
					mu.Lock()
					defer mu.Unlock()
					return logged.Write(p)
				}), "", 0)))
			if err := r.Listen("tcp://127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			c, err := net.Dial("tcp", r.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write(tc.payload)
			if !closedWithin(t, c, 5*time.Second) {
				t.Fatal("the connection that announced too much is still open after 5s")
			}
			if err := roundTrip(t, r, 5*time.Second); err != nil {
				t.Fatalf("another client after the refused one: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if !strings.Contains(logged.String(), ErrMsgTooLarge.Error()) {
				t.Errorf("log = %q, want a line saying %q", logged.String(), ErrMsgTooLarge)
			}
		})
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestMaxMessageSizeAcceptsAMessageAtTheLimit(t *testing.T) {
	const limit = 1 << 20
	r := listenRouter(t, WithMaxMessageSize(limit))
	d := NewDealer(context.Background())
	defer d.Close()
	if err := d.Dial("tcp://" + r.Addr().String()); err != nil {
		t.Fatal(err)
	}
	// Two frames of limit/2 - frameCost bytes: exactly the limit.
	half := bytes.Repeat([]byte{'y'}, limit/2-frameCost)
	if err := d.Send(NewMsgFrom(half, half)); err != nil {
		t.Fatal(err)
	}
	m, err := r.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Frames) != 3 || !bytes.Equal(m.Frames[2], half) {
		t.Fatalf("got %d frames, want the identity and the two sent", len(m.Frames))
	}
}

// stingyReader delivers n bytes, then fails; it records the largest
// buffer it was asked to fill.
type stingyReader struct {
	n, largest int
}

func (r *stingyReader) Read(p []byte) (int, error) {
	r.largest = max(r.largest, len(p))
	if r.n == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	k := min(len(p), r.n)
	r.n -= k
	return k, nil
}

func TestReadBodyGrowsWithTheData(t *testing.T) {
	for _, sent := range []int{0, 10, 1 << 20, 3<<20 + 7} {
		r := &stingyReader{n: sent}
		if _, err := readBody(r, 1<<40); err == nil {
			t.Fatalf("readBody of %d bytes announced as 2^40 = nil error", sent)
		}
		if r.largest > 1<<20+sent {
			t.Errorf("after %d bytes, readBody asked for a buffer of %d", sent, r.largest)
		}
	}
	want := bytes.Repeat([]byte("0123456789"), 500000)
	got, err := readBody(bytes.NewReader(want), uint64(len(want)))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("readBody(5 MB) = %d bytes, %v; want the 5 MB", len(got), err)
	}
}

func TestSilentPeersDoNotBlockOthers(t *testing.T) {
	r := listenRouter(t, WithHandshakeTimeout(time.Hour))
	var silent []net.Conn
	for i := 0; i < 50; i++ {
		c, err := net.Dial("tcp", r.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			c.Write(rawGreeting()[:10]) // half a greeting
		}
		silent = append(silent, c)
	}
	defer func() {
		for _, c := range silent {
			c.Close()
		}
	}()
	if err := roundTrip(t, r, 5*time.Second); err != nil {
		t.Fatalf("with 50 silent peers connected first: %v", err)
	}
}

func TestHandshakeTimeoutDisconnects(t *testing.T) {
	r := listenRouter(t, WithHandshakeTimeout(200*time.Millisecond))
	for _, sent := range [][]byte{nil, rawGreeting()[:10], rawGreeting()} {
		c, err := net.Dial("tcp", r.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Write(sent)
		if !closedWithin(t, c, 5*time.Second) {
			t.Errorf("a peer that sent %d bytes of its handshake is still connected after 5s", len(sent))
		}
		c.Close()
	}
	// The deadline ends with the handshake: a client idle for longer
	// than it afterwards is still served.
	d := NewDealer(context.Background())
	defer d.Close()
	if err := d.Dial("tcp://" + r.Addr().String()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond) // twice the handshake timeout, idle
	if err := d.Send(NewMsgString("late")); err != nil {
		t.Fatal(err)
	}
	if m, err := r.Recv(); err != nil || string(m.Frames[1]) != "late" {
		t.Fatalf("Recv after an idle period = %v, %v", m, err)
	}
}

func TestCloseEndsPendingHandshakes(t *testing.T) {
	r := NewRouter(context.Background(), WithHandshakeTimeout(time.Hour), WithLogger(log.New(io.Discard, "", 0)))
	if err := r.Listen("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", r.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	time.Sleep(50 * time.Millisecond) // let the handshake start
	r.Close()
	if !closedWithin(t, c, 5*time.Second) {
		t.Fatal("a pending handshake outlived its socket's Close")
	}
}

func TestMetadataTruncatedIsAnError(t *testing.T) {
	full, err := Metadata{"Socket-Type": "DEALER"}.MarshalZMTP()
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n < len(full); n++ {
		md := make(Metadata)
		if err := md.UnmarshalZMTP(full[:n:n]); err == nil { // as from the wire: no spare capacity
			t.Errorf("UnmarshalZMTP(%q) = nil error, want one (truncated)", full[:n])
		}
	}
}

func FuzzMetadataUnmarshal(f *testing.F) {
	full, _ := Metadata{"Socket-Type": "DEALER"}.MarshalZMTP()
	f.Add(full)
	f.Add([]byte{5, 'a', 'b', 'c', 'd', 'e'})
	f.Fuzz(func(t *testing.T, b []byte) {
		md := make(Metadata)
		md.UnmarshalZMTP(b) // must not panic
	})
}

func TestWriteTimeoutDisconnectsAPeerThatDoesNotRead(t *testing.T) {
	p := NewPub(context.Background(), WithWriteTimeout(200*time.Millisecond), WithLogger(log.New(io.Discard, "", 0)))
	if err := p.Listen("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// A subscriber that subscribes to everything, then never reads.
	stuck, err := net.DialTCP("tcp", nil, p.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	stuck.SetReadBuffer(4096)
	stuck.Write(append(append(rawGreeting(), rawReady(Sub)...), 0, 1, 1))
	s := NewSub(context.Background())
	defer s.Close()
	if err := s.Dial("tcp://" + p.Addr().String()); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOption(OptionSubscribe, ""); err != nil {
		t.Fatal(err)
	}
	for len(p.(Topics).Topics()) == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // both subscriptions arrive
	// 20 MB: far more than the stuck peer's buffers hold.
	big := bytes.Repeat([]byte{'z'}, 1<<20)
	got := make(chan int, 1)
	go func() {
		n := 0
		for n < 20 {
			if _, err := s.Recv(); err != nil {
				break
			}
			n++
		}
		got <- n
	}()
	for i := 0; i < 20; i++ {
		if err := p.Send(NewMsg(big)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case n := <-got:
		if n != 20 {
			t.Fatalf("the reading subscriber got %d messages, want 20", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a subscriber that does not read held up the one that does for 10s")
	}
	// The socket has dropped the stuck peer. (Its end may not see the
	// close: the FIN waits behind data its full window refuses.)
	sck := p.(*pubSocket).sck
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		sck.mu.RLock()
		n := len(sck.conns)
		sck.mu.RUnlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the PUB socket still has %d peers 5s after one stopped reading, want 1", n)
		}
	}
}

// FuzzConnRead feeds arbitrary bytes to the frame reader of an open
// connection with a 1 MiB limit: it must return errors, never panic, and
// never allocate what a header announces beyond the limit.
func FuzzConnRead(f *testing.F) {
	f.Add([]byte{0, 5, 'h', 'e', 'l', 'l', 'o'})
	f.Add(append([]byte{1, 0, 0, 1, 'x'}, longHeader(0, 1<<40)...))
	f.Add(longHeader(isCommandBitFlag, 1<<36))
	f.Fuzz(func(t *testing.T, b []byte) {
		local, remote := net.Pipe()
		defer local.Close()
		go func() {
			remote.Write(b)
			remote.Close()
		}()
		c := &Conn{rw: local, r: bufio.NewReader(local), sec: nullSecurity{}, maxMsgSize: 1 << 20, topics: map[string]struct{}{}}
		for i := 0; i < 1000; i++ {
			msg := c.read()
			if msg.err != nil {
				return
			}
			total := 0
			for _, fr := range msg.Frames {
				total += len(fr) + frameCost
			}
			if total > 1<<20 {
				t.Fatalf("read a message of %d bytes with a limit of 1 MiB", total)
			}
		}
	})
}

// pieceConn records what is written to it, cut at each write deadline.
type pieceConn struct {
	net.Conn // nil: only the methods below are used
	pieces   [][]byte
}

func (c *pieceConn) SetWriteDeadline(time.Time) error {
	c.pieces = append(c.pieces, nil)
	return nil
}

func (c *pieceConn) Write(p []byte) (int, error) {
	last := &c.pieces[len(c.pieces)-1]
	*last = append(*last, p...)
	return len(p), nil
}

func TestMessageWithWriteTimeoutGoesInTimedPieces(t *testing.T) {
	big := bytes.Repeat([]byte{'b'}, 150<<10)
	msg := NewMsgFrom([]byte("id"), big, []byte("end"))
	pc := &pieceConn{}
	c := &Conn{rw: pc, sec: nullSecurity{}, writeTimeout: time.Second}
	if err := c.SendMsg(msg); err != nil {
		t.Fatal(err)
	}
	var want []byte
	want = append(want, hasMoreBitFlag, 2)
	want = append(want, "id"...)
	want = append(want, longHeader(hasMoreBitFlag, uint64(len(big)))...)
	want = append(want, big...)
	want = append(want, 0, 3)
	want = append(want, "end"...)
	if len(pc.pieces) != 3 {
		t.Fatalf("%d timed pieces, want 3 (%d bytes in pieces of at most %d)", len(pc.pieces), len(want), stallChunk)
	}
	var got []byte
	for i, p := range pc.pieces {
		if len(p) > stallChunk || i < len(pc.pieces)-1 && len(p) != stallChunk {
			t.Errorf("piece %d has %d bytes, want %d (the last at most that)", i, len(p), stallChunk)
		}
		got = append(got, p...)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("wrote %d bytes that differ from the ZMTP frames (%d bytes)", len(got), len(want))
	}
}
