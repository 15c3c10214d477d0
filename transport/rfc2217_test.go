package transport

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// fakeRFC2217 is a telnet COM-PORT-OPTION server that records what the
// client asks and acknowledges the baud rate, and modem-line settings if
// ackLines.
type fakeRFC2217 struct {
	ln       net.Listener
	ackLines bool

	mu       sync.Mutex
	commands [][]byte // each subnegotiation's command and value
	data     []byte
	negot    [][2]byte // verb, option received
	conn     net.Conn
}

func newFakeRFC2217(t *testing.T, ackLines bool) *fakeRFC2217 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeRFC2217{ln: ln, ackLines: ackLines}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conn = c
		s.mu.Unlock()
		s.serve(c)
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		if s.conn != nil {
			s.conn.Close()
		}
		s.mu.Unlock()
		<-done
	})
	return s
}

func (s *fakeRFC2217) serve(c net.Conn) {
	defer c.Close()
	r := bufioReader{c}
	for {
		b, err := r.byte()
		if err != nil {
			return
		}
		if b != telIAC {
			s.mu.Lock()
			s.data = append(s.data, b)
			s.mu.Unlock()
			continue
		}
		verb, err := r.byte()
		if err != nil {
			return
		}
		switch verb {
		case telIAC:
			s.mu.Lock()
			s.data = append(s.data, telIAC)
			s.mu.Unlock()
		case telWILL, telWONT, telDO, telDONT:
			opt, _ := r.byte()
			s.mu.Lock()
			s.negot = append(s.negot, [2]byte{verb, opt})
			s.mu.Unlock()
		case telSB:
			var sb []byte
			for {
				x, err := r.byte()
				if err != nil {
					return
				}
				if x == telIAC {
					y, _ := r.byte()
					if y == telSE {
						break
					}
					x = y
				}
				sb = append(sb, x)
			}
			s.mu.Lock()
			s.commands = append(s.commands, sb[1:])
			s.mu.Unlock()
			if sb[1] != cpSetControl || s.ackLines {
				c.Write(append(append([]byte{telIAC, telSB, telComPort, sb[1] + cpServerBase}, sb[2:]...), telIAC, telSE))
			}
		}
	}
}

type bufioReader struct{ r io.Reader }

func (b bufioReader) byte() (byte, error) {
	var p [1]byte
	_, err := io.ReadFull(b.r, p[:])
	return p[0], err
}

func dialFakeRFC2217(t *testing.T, s *fakeRFC2217) *rfc2217Conn {
	t.Helper()
	lk, err := dialRFC2217(s.ln.Addr().String(), Options{Baud: 921600}.withDefaults())(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lk.rw.Close() })
	return lk.rw.(*rfc2217Conn)
}

func TestRFC2217Protocol(t *testing.T) {
	s := newFakeRFC2217(t, false)
	c := dialFakeRFC2217(t, s)
	// Data: 0xFF doubled on the wire, and undoubled on the way back,
	// around the server's own commands.
	if _, err := c.Write([]byte{'a', 0xFF, 'b'}); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	conn := s.conn
	s.mu.Unlock()
	conn.Write([]byte{'x', telIAC, telIAC, telIAC, 241 /* NOP */, 'y', telIAC, telWILL, 1 /* ECHO */, telIAC, telSB, telComPort, 107, 0x30, telIAC, telSE, 'z'})
	var got []byte
	buf := make([]byte, 16)
	for len(got) < 4 {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Equal(got, []byte{'x', 0xFF, 'y', 'z'}) {
		t.Errorf("read %q, want %q", got, "x\xffyz")
	}
	start := time.Now()
	if err := c.pulseReset(); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	time.Sleep(50 * time.Millisecond) // let the server take the last bytes
	s.mu.Lock()
	defer s.mu.Unlock()
	if !bytes.Equal(s.data, []byte{'a', 0xFF, 'b'}) {
		t.Errorf("server received data %q, want %q", s.data, "a\xffb")
	}
	baud := binary.BigEndian.AppendUint32([]byte{cpSetBaudrate}, 921600)
	want := [][]byte{baud, {cpSetDatasize, 8}, {cpSetParity, cpParityNone}, {cpSetStopsize, cpStopOne},
		{cpSetControl, cpDTROff}, {cpSetControl, cpRTSOn}, {cpSetControl, cpRTSOff}}
	if len(s.commands) != len(want) {
		t.Fatalf("commands %v, want %v", s.commands, want)
	}
	for i := range want {
		if !bytes.Equal(s.commands[i], want[i]) {
			t.Errorf("command %d = %v, want %v", i, s.commands[i], want[i])
		}
	}
	// One unanswered modem-line setting is waited for, the others not.
	if took > rfc2217AckWait+resetPulse+300*time.Millisecond {
		t.Errorf("the reset pulse took %v: it waited for acknowledgements that never come", took)
	}
	// The client asked for its options and refused the server's ECHO.
	wantNeg := map[[2]byte]bool{{telWILL, telComPort}: true, {telDO, telBinary}: true, {telWILL, telBinary}: true, {telDONT, 1}: true}
	for _, n := range s.negot {
		delete(wantNeg, n)
	}
	if len(wantNeg) > 0 {
		t.Errorf("negotiations %v lack %v", s.negot, wantNeg)
	}
}
