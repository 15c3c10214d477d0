package transport

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// The client side of RFC 6455 WebSockets, as much as MicroPython's
// extmod/modwebsocket.c speaks: unfragmented frames both ways (it asserts
// FIN and cannot take a 64-bit length), client frames masked, text frames
// for the REPL and binary frames for WebREPL's file protocol.

// WebSocket opcodes (RFC 6455 section 5.2).
const (
	wsContinuation = 0x0
	wsText         = 0x1 // WebREPL: REPL bytes
	wsBinary       = 0x2 // WebREPL: file protocol
	wsClose        = 0x8
	wsPing         = 0x9
	wsPong         = 0xA
)

const (
	// wsGUID is appended to the key to make Sec-WebSocket-Accept.
	wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC11B65"
	// wsMaxFrame is the largest payload the client sends in one frame:
	// modwebsocket reads a 16-bit length at most, and a board reads a
	// frame in pieces of its own buffer anyway.
	wsMaxFrame = 4096
	// wsMaxIncoming bounds a frame from the board; a board sends a few
	// hundred bytes at a time, so anything near this is hostile.
	wsMaxIncoming = 1 << 20
	// wsMaxHeader bounds the HTTP response of the opening handshake.
	wsMaxHeader = 16 << 10
)

// errWSClosed is what reads return once the board closed the WebSocket.
var errWSClosed = errors.New("the board closed the WebSocket")

// wsConn is a client WebSocket over nc. Read returns the payload of text
// frames as one byte stream; binary frames go to a second stream that
// readBinary takes from. Only one goroutine may call Read (the link's
// reader); writes may come from any goroutine, one frame at a time.
type wsConn struct {
	nc net.Conn
	br *bufio.Reader

	wmu sync.Mutex // one frame at a time

	text   []byte // rest of the last text payload, not yet read
	lastOp byte   // opcode of the last data frame, for continuations

	bmu    sync.Mutex
	bin    []byte        // binary payload not yet taken
	berr   error         // why frames stopped coming
	bready chan struct{} // signalled (cap 1) when bin or berr changes

	closeOnce sync.Once
	closeErr  error
}

// wsHandshake performs the opening handshake on nc for the resource path
// on host and returns the connection. It gives up at ctx's end.
func wsHandshake(ctx context.Context, nc net.Conn, host, path string) (*wsConn, error) {
	if d, ok := ctx.Deadline(); ok {
		nc.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		stop()
		nc.SetDeadline(time.Time{})
	}()

	var k [16]byte
	rand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	req := "GET " + path + " HTTP/1.1\r\n" +
		"Host: " + host + "\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\n" +
		"Sec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		return nil, fmt.Errorf("websocket handshake: %w", ctxErr(ctx, err))
	}
	// Read the response header byte-exactly from br, which keeps
	// whatever follows it (a board may send its first frame at once).
	br := bufio.NewReaderSize(nc, 4096)
	status, header, err := readHTTPHeader(br)
	if err != nil {
		return nil, fmt.Errorf("websocket handshake: %w", ctxErr(ctx, err))
	}
	proto, code, _ := strings.Cut(status, " ")
	if !strings.HasPrefix(proto, "HTTP/1.") || !strings.HasPrefix(code, "101") {
		return nil, fmt.Errorf("websocket handshake: the server answered %q, not 101 Switching Protocols (is this a WebREPL port?)", truncate(status, 80))
	}
	sum := sha1.Sum([]byte(key + wsGUID))
	if want := base64.StdEncoding.EncodeToString(sum[:]); header["sec-websocket-accept"] != want {
		return nil, fmt.Errorf("websocket handshake: wrong Sec-WebSocket-Accept %q", truncate(header["sec-websocket-accept"], 40))
	}
	return &wsConn{nc: nc, br: br, bready: make(chan struct{}, 1)}, nil
}

// readHTTPHeader reads an HTTP response's status line and header fields
// (names lowercased) up to the empty line, at most wsMaxHeader bytes.
func readHTTPHeader(br *bufio.Reader) (string, map[string]string, error) {
	header := map[string]string{}
	status := ""
	total := 0
	for {
		line, err := br.ReadSlice('\n')
		total += len(line)
		if err == bufio.ErrBufferFull || total > wsMaxHeader {
			return "", nil, errors.New("response header too long")
		}
		if err != nil {
			if err == io.EOF {
				err = errors.New("the server closed the connection (is this a WebREPL port, and is no other client connected?)")
			}
			return "", nil, err
		}
		s := strings.TrimRight(string(line), "\r\n")
		if status == "" {
			if s == "" {
				continue
			}
			status = s
			continue
		}
		if s == "" {
			return status, header, nil
		}
		name, value, ok := strings.Cut(s, ":")
		if ok {
			header[strings.ToLower(strings.TrimSpace(name))] = strings.TrimSpace(value)
		}
	}
}

// Read returns the payload of the next text frames. Binary frames that
// arrive meanwhile are kept for readBinary; pings are answered. After a
// close frame, Read returns errWSClosed.
func (w *wsConn) Read(p []byte) (int, error) {
	for len(w.text) == 0 {
		op, payload, err := w.readFrame()
		if err != nil {
			w.stopBinary(err)
			return 0, err
		}
		switch op {
		case wsText:
			w.text = payload
		case wsBinary:
			w.bmu.Lock()
			w.bin = append(w.bin, payload...)
			w.bmu.Unlock()
			w.signalBinary()
		}
	}
	n := copy(p, w.text)
	w.text = w.text[n:]
	return n, nil
}

// readFrame reads one data frame, handling control frames on the way.
func (w *wsConn) readFrame() (byte, []byte, error) {
	for {
		var h [2]byte
		if _, err := io.ReadFull(w.br, h[:]); err != nil {
			return 0, nil, err
		}
		op := h[0] & 0x0F
		n := uint64(h[1] & 0x7F)
		switch n {
		case 126:
			var e [2]byte
			if _, err := io.ReadFull(w.br, e[:]); err != nil {
				return 0, nil, err
			}
			n = uint64(binary.BigEndian.Uint16(e[:]))
		case 127:
			var e [8]byte
			if _, err := io.ReadFull(w.br, e[:]); err != nil {
				return 0, nil, err
			}
			n = binary.BigEndian.Uint64(e[:])
		}
		if n > wsMaxIncoming {
			return 0, nil, fmt.Errorf("websocket frame of %d bytes from the board: too big", n)
		}
		var mask [4]byte
		masked := h[1]&0x80 != 0
		if masked {
			if _, err := io.ReadFull(w.br, mask[:]); err != nil {
				return 0, nil, err
			}
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(w.br, payload); err != nil {
			return 0, nil, err
		}
		if masked {
			for i := range payload {
				payload[i] ^= mask[i&3]
			}
		}
		switch op {
		case wsText, wsBinary:
			w.lastOp = op
			return op, payload, nil
		case wsContinuation:
			if w.lastOp == 0 {
				return 0, nil, errors.New("websocket continuation frame with no message to continue")
			}
			return w.lastOp, payload, nil
		case wsPing:
			if err := w.writeFrame(wsPong, payload); err != nil {
				return 0, nil, err
			}
		case wsPong:
		case wsClose:
			w.writeFrame(wsClose, nil) // the closing handshake's answer
			return 0, nil, errWSClosed
		default:
			return 0, nil, fmt.Errorf("websocket frame with unknown opcode %#x", op)
		}
	}
}

// Write sends p as text frames: bytes for the REPL.
func (w *wsConn) Write(p []byte) (int, error) {
	return w.writeData(wsText, p)
}

// writeBinary sends p as binary frames: WebREPL's file protocol.
func (w *wsConn) writeBinary(p []byte) error {
	_, err := w.writeData(wsBinary, p)
	return err
}

func (w *wsConn) writeData(op byte, p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), wsMaxFrame)]
		if err := w.writeFrame(op, chunk); err != nil {
			return n, err
		}
		n += len(chunk)
		p = p[len(chunk):]
	}
	return n, nil
}

// writeFrame sends one complete frame, masked as a client must.
func (w *wsConn) writeFrame(op byte, payload []byte) error {
	buf := make([]byte, 0, 14+len(payload))
	buf = append(buf, 0x80|op) // FIN: the board takes no fragments
	switch n := len(payload); {
	case n < 126:
		buf = append(buf, 0x80|byte(n))
	case n < 1<<16:
		buf = append(buf, 0x80|126, byte(n>>8), byte(n))
	default:
		return errors.New("websocket frame too big for the board")
	}
	var mask [4]byte
	rand.Read(mask[:])
	buf = append(buf, mask[:]...)
	for i, c := range payload {
		buf = append(buf, c^mask[i&3])
	}
	w.wmu.Lock()
	defer w.wmu.Unlock()
	_, err := w.nc.Write(buf)
	return err
}

func (w *wsConn) signalBinary() {
	select {
	case w.bready <- struct{}{}:
	default:
	}
}

// stopBinary records why no more binary data will come.
func (w *wsConn) stopBinary(err error) {
	w.bmu.Lock()
	if w.berr == nil {
		w.berr = err
	}
	w.bmu.Unlock()
	w.signalBinary()
}

// readBinary returns exactly n bytes of binary payload, waiting for them
// until ctx is done.
func (w *wsConn) readBinary(ctx context.Context, n int) ([]byte, error) {
	for {
		w.bmu.Lock()
		if len(w.bin) >= n {
			p := append([]byte(nil), w.bin[:n]...)
			w.bin = w.bin[n:]
			w.bmu.Unlock()
			return p, nil
		}
		err := w.berr
		w.bmu.Unlock()
		if err != nil {
			return nil, err
		}
		select {
		case <-w.bready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// dropBinary forgets binary payload that arrived and was not taken.
func (w *wsConn) dropBinary() {
	w.bmu.Lock()
	w.bin = nil
	w.bmu.Unlock()
}

// Close sends a close frame (best effort) and closes the connection.
func (w *wsConn) Close() error {
	w.closeOnce.Do(func() {
		w.nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		w.writeFrame(wsClose, []byte{0x03, 0xE8}) // 1000: normal closure
		w.closeErr = w.nc.Close()
	})
	return w.closeErr
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// ctxErr prefers ctx's error to the I/O error its deadline caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
