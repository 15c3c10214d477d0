package transport

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/iotkernel/iotkernel/transport/boardtest"
)

// fakeWebREPL serves MicroPython's WebREPL protocol (modwebrepl.c) on a
// loopback TCP port in front of boardtest boards, one fresh board per
// connection: the WebSocket handshake, the password prompt, text frames
// for the REPL and the binary file protocol on an in-memory filesystem.
// Unlike the real Unix-port board, its boards take Ctrl-C while code runs,
// as an ESP32's network stack delivers it.
type fakeWebREPL struct {
	t        testing.TB
	ln       net.Listener
	password string
	cfg      boardtest.Config
	// closeOnSoftReset closes the connection after a soft reset, and
	// closeOnReset after a hard one (the board's banner), as an ESP32's
	// WebREPL does.
	closeOnSoftReset, closeOnReset bool

	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
	boards []*boardtest.Board
	logins int // successful logins
	denied int
	files  map[string][]byte
}

func newFakeWebREPL(t testing.TB, password string, cfg boardtest.Config) *fakeWebREPL {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeWebREPL{t: t, ln: ln, password: password, cfg: cfg, files: map[string][]byte{}}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() {
		ln.Close()
		s.dropAll()
		s.wg.Wait()
	})
	return s
}

func (s *fakeWebREPL) url() string { return "ws://" + s.ln.Addr().String() }

func (s *fakeWebREPL) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, nc)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer nc.Close()
			s.serve(nc)
		}()
	}
}

// dropAll closes every connection, as when the board's Wi-Fi goes away.
func (s *fakeWebREPL) dropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
}

func (s *fakeWebREPL) board() *boardtest.Board {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.boards) == 0 {
		return nil
	}
	return s.boards[len(s.boards)-1]
}

func (s *fakeWebREPL) counts() (logins, denied int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins, s.denied
}

// serverFrame writes one unmasked frame, as a server does.
func serverFrame(w io.Writer, op byte, p []byte) error {
	h := []byte{0x80 | op}
	if len(p) < 126 {
		h = append(h, byte(len(p)))
	} else {
		h = append(h, 126, byte(len(p)>>8), byte(len(p)))
	}
	_, err := w.Write(append(h, p...))
	return err
}

func (s *fakeWebREPL) serve(nc net.Conn) {
	br := bufio.NewReader(nc)
	key := ""
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSpace(line)
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Sec-WebSocket-Key") {
			key = strings.TrimSpace(v)
		}
	}
	sum := sha1.Sum([]byte(key + wsGUID))
	io.WriteString(nc, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "+
		base64.StdEncoding.EncodeToString(sum[:])+"\r\n\r\n")
	var wmu sync.Mutex
	send := func(op byte, p []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return serverFrame(nc, op, p)
	}
	// The client side's frame reader unmasks what clients send.
	in := &wsConn{nc: nc, br: br, bready: make(chan struct{}, 1)}
	send(wsText, []byte("Password: "))
	var typed []byte
	for !bytes.ContainsAny(typed, "\r\n") {
		_, p, err := in.readFrame()
		if err != nil {
			return
		}
		typed = append(typed, p...)
	}
	pw, rest, _ := bytes.Cut(bytes.ReplaceAll(typed, []byte("\n"), []byte("\r")), []byte("\r"))
	if string(pw) != s.password {
		s.mu.Lock()
		s.denied++
		s.mu.Unlock()
		send(wsText, []byte("\r\nAccess denied\r\n"))
		return
	}
	send(wsText, []byte("\r\nWebREPL connected\r\n>>> "))

	host, boardEnd := boardtest.Pipe(0)
	fb := boardtest.New(s.cfg)
	s.mu.Lock()
	s.logins++
	s.boards = append(s.boards, fb)
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fb.Serve(boardEnd)
	}()
	defer func() {
		host.Close()
		<-done
	}()
	go func() {
		buf := make([]byte, 512)
		var seen []byte
		for {
			n, err := host.Read(buf)
			if n > 0 {
				send(wsText, buf[:n])
				seen = append(seen, buf[:n]...)
				if s.closeOnSoftReset && bytes.Contains(seen, []byte("soft reboot\r\n")) ||
					s.closeOnReset && bytes.Contains(seen, []byte("for more information.\r\n")) {
					nc.Close()
					return
				}
				if len(seen) > 256 {
					seen = seen[len(seen)-64:]
				}
			}
			if err != nil {
				nc.Close()
				return
			}
		}
	}()
	if len(rest) > 0 {
		host.Write(rest)
	}
	var fileIn []byte
	for {
		op, p, err := in.readFrame()
		if err != nil {
			return
		}
		if op == wsText {
			host.Write(p)
			continue
		}
		fileIn = append(fileIn, p...)
		var ok bool
		if fileIn, ok = s.fileRequest(fileIn, in, send); !ok {
			return // the board raised in its WebREPL: the connection ends
		}
	}
}

// fileRequest serves a complete file request at the start of buf and
// returns what is left; false when the board would raise (a missing file).
func (s *fakeWebREPL) fileRequest(buf []byte, in *wsConn, send func(byte, []byte) error) ([]byte, bool) {
	if len(buf) < webreplHeaderLen {
		return buf, true
	}
	h := buf[:webreplHeaderLen]
	if string(h[:2]) != "WA" {
		return nil, false
	}
	size := int(binary.LittleEndian.Uint32(h[12:]))
	name := string(h[18 : 18+int(binary.LittleEndian.Uint16(h[16:]))])
	rest := buf[webreplHeaderLen:]
	ok := []byte("WB\x00\x00")
	switch h[2] {
	case webreplPut:
		if strings.HasPrefix(name, "missing/") {
			return nil, false
		}
		send(wsBinary, ok)
		data := append([]byte(nil), rest...)
		for len(data) < size {
			_, p, err := in.readFrame()
			if err != nil {
				return nil, false
			}
			data = append(data, p...)
		}
		s.mu.Lock()
		s.files[name] = data[:size]
		s.mu.Unlock()
		send(wsBinary, ok)
		return data[size:], true
	case webreplGet:
		s.mu.Lock()
		data, found := s.files[name]
		s.mu.Unlock()
		if !found {
			return nil, false
		}
		send(wsBinary, ok)
		for {
			_, p, err := in.readFrame()
			if err != nil || len(p) != 1 || p[0] != 0 {
				return nil, false
			}
			n := min(len(data), 256)
			chunk := binary.LittleEndian.AppendUint16(nil, uint16(n))
			send(wsBinary, append(chunk, data[:n]...))
			data = data[n:]
			if n == 0 {
				send(wsBinary, ok)
				return nil, true
			}
		}
	}
	return nil, false
}
