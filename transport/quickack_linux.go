package transport

import (
	"net"
	"syscall"
)

// withQuickAck makes the host acknowledge every segment from the board at
// once. A board's websocket writes a frame's header and its payload in
// two sends, and its TCP stack (lwIP on an ESP32, Linux for the Unix
// port) holds the second back until the first is acknowledged (Nagle):
// with Linux's delayed acknowledgements that stalls every reply ~40 ms,
// which a request-and-answer protocol (raw-paste grants, WebREPL file
// chunks) pays again and again. Linux resets TCP_QUICKACK as it pleases,
// so it is set again after every read.
func withQuickAck(nc net.Conn) net.Conn {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nc
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nc
	}
	q := &quickAckConn{TCPConn: tc, rc: rc}
	q.set()
	return q
}

type quickAckConn struct {
	*net.TCPConn
	rc syscall.RawConn
}

func (q *quickAckConn) Read(p []byte) (int, error) {
	n, err := q.TCPConn.Read(p)
	q.set()
	return n, err
}

func (q *quickAckConn) set() {
	q.rc.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
