package transport

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"
)

// RFC 2217 links (rfc2217://HOST:PORT): a serial port shared over the
// network by a telnet server with the COM-PORT-OPTION (ser2net's
// "telnet(rfc2217)" accepter). Data crosses in telnet's binary mode (0xFF
// doubled); the line's speed and the DTR and RTS lines are set with
// subnegotiations, so a hard reset pulses RTS as on a local USB-UART
// bridge. A server acknowledges each setting with its code plus 100, but
// ser2net in front of a pty cannot set DTR or RTS and never acknowledges
// those: the client waits a little for each acknowledgement, then goes on,
// and stops waiting for modem-line ones once one went unanswered.

// Telnet bytes (RFC 854) and options.
const (
	telIAC  = 255 // interpret as command; doubled in data
	telDONT = 254
	telDO   = 253
	telWONT = 252
	telWILL = 251
	telSB   = 250 // subnegotiation begins
	telSE   = 240 // subnegotiation ends

	telBinary  = 0  // RFC 856: 8-bit data both ways
	telSGA     = 3  // RFC 858: suppress go-ahead
	telComPort = 44 // RFC 2217: COM-PORT-OPTION
)

// COM-PORT-OPTION commands (client to server; the server answers with the
// command plus 100).
const (
	cpSetBaudrate = 1
	cpSetDatasize = 2
	cpSetParity   = 3
	cpSetStopsize = 4
	cpSetControl  = 5
	cpServerBase  = 100

	cpParityNone = 1
	cpStopOne    = 1
	cpDTROn      = 8
	cpDTROff     = 9
	cpRTSOn      = 11
	cpRTSOff     = 12
)

// rfc2217AckWait bounds the wait for the server's acknowledgement of one
// setting.
const rfc2217AckWait = 500 * time.Millisecond

// rfc2217Conn is an RFC 2217 client over nc. A goroutine it owns reads
// nc, answers telnet negotiations and keeps the data for Read; Close ends
// it.
type rfc2217Conn struct {
	nc  net.Conn
	log *slog.Logger
	wmu sync.Mutex // one write at a time: data and commands interleave

	mu   sync.Mutex
	cond *sync.Cond
	data []byte
	err  error
	// opts holds the telnet options each side agreed to, so that a
	// request is answered once, not echoed for ever.
	will, do map[byte]bool
	// noLineAck is set once the server left a DTR/RTS setting
	// unanswered: it will not answer the next ones either.
	noLineAck bool

	acks chan byte // acknowledged command codes
	done chan struct{}
}

// dialRFC2217 opens rfc2217://hostport and sets the line to baud 8N1.
func dialRFC2217(hostport string, opts Options) dialFunc {
	where := "rfc2217://" + hostport
	return func(ctx context.Context) (link, error) {
		d := net.Dialer{Timeout: opts.HandshakeTimeout}
		nc, err := d.DialContext(ctx, "tcp", hostport)
		if err != nil {
			return link{}, unreachable(fmt.Errorf("open %s: %w", where, err))
		}
		rc := newRFC2217(withQuickAck(nc), opts.Logger.With("link", where))
		if err := rc.start(opts.Baud); err != nil {
			rc.Close()
			var perm *permanentError
			if errors.As(err, &perm) {
				return link{}, &permanentError{fmt.Errorf("open %s: %w", where, perm.err)}
			}
			return link{}, fmt.Errorf("open %s: %w", where, err)
		}
		return link{rw: rc, pulseReset: rc.pulseReset}, nil
	}
}

func newRFC2217(nc net.Conn, log *slog.Logger) *rfc2217Conn {
	c := &rfc2217Conn{
		nc:   nc,
		log:  log,
		will: map[byte]bool{},
		do:   map[byte]bool{},
		acks: make(chan byte, 32),
		done: make(chan struct{}),
	}
	c.cond = sync.NewCond(&c.mu)
	go c.readLoop()
	return c
}

// start negotiates the options and sets the line: speed, 8 data bits,
// no parity, one stop bit. Only the speed must be acknowledged in time;
// the rest is best effort.
func (c *rfc2217Conn) start(baud int) error {
	c.mu.Lock()
	c.will[telComPort], c.will[telBinary], c.will[telSGA] = true, true, true
	c.do[telBinary], c.do[telSGA] = true, true
	c.mu.Unlock()
	if err := c.raw([]byte{
		telIAC, telWILL, telComPort,
		telIAC, telWILL, telBinary, telIAC, telDO, telBinary,
		telIAC, telWILL, telSGA, telIAC, telDO, telSGA,
	}); err != nil {
		return err
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(baud))
	if err := c.command(cpSetBaudrate, b...); err != nil {
		return err
	}
	if !c.waitAck(cpSetBaudrate, 4*rfc2217AckWait) {
		return &permanentError{fmt.Errorf("the server did not acknowledge the baud rate (is it an RFC 2217 server? socket:// is for raw TCP): %w", ErrTimeout)}
	}
	for _, cmd := range [][2]byte{{cpSetDatasize, 8}, {cpSetParity, cpParityNone}, {cpSetStopsize, cpStopOne}} {
		if err := c.command(cmd[0], cmd[1]); err != nil {
			return err
		}
		c.waitAck(cmd[0], rfc2217AckWait)
	}
	return nil
}

// readLoop parses the server's stream: data for Read, negotiations
// answered, acknowledgements passed to waitAck.
func (c *rfc2217Conn) readLoop() {
	defer close(c.done)
	buf := make([]byte, 4096)
	var (
		state byte // 0 data, telIAC after IAC, telWILL.. after IAC+verb, telSB in a subnegotiation
		verb  byte
		sb    []byte
		sbIAC bool
	)
	for {
		n, err := c.nc.Read(buf)
		var data []byte
		for _, b := range buf[:n] {
			switch state {
			case 0:
				if b == telIAC {
					state = telIAC
				} else {
					data = append(data, b)
				}
			case telIAC:
				switch b {
				case telIAC:
					data = append(data, telIAC)
					state = 0
				case telWILL, telWONT, telDO, telDONT:
					verb, state = b, telWILL
				case telSB:
					sb, sbIAC, state = sb[:0], false, telSB
				default: // NOP, GA and the like
					state = 0
				}
			case telWILL:
				c.negotiate(verb, b)
				state = 0
			case telSB:
				switch {
				case sbIAC && b == telSE:
					c.subnegotiation(sb)
					state = 0
				case sbIAC:
					sb = append(sb, b) // IAC IAC: a 0xFF value
					sbIAC = false
				case b == telIAC:
					sbIAC = true
				case len(sb) < 64:
					sb = append(sb, b)
				}
			}
		}
		c.mu.Lock()
		c.data = append(c.data, data...)
		if err != nil && c.err == nil {
			c.err = err
		}
		c.cond.Broadcast()
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// negotiate answers one WILL/WONT/DO/DONT from the server: the options
// this client speaks are agreed to, others refused, and a request already
// in force is not answered again.
func (c *rfc2217Conn) negotiate(verb, opt byte) {
	known := opt == telBinary || opt == telSGA || opt == telComPort
	var reply []byte
	c.mu.Lock()
	switch verb {
	case telDO: // the server asks us to use opt
		if known && !c.will[opt] {
			c.will[opt] = true
			reply = []byte{telIAC, telWILL, opt}
		} else if !known {
			reply = []byte{telIAC, telWONT, opt}
		}
	case telDONT:
		if c.will[opt] {
			c.will[opt] = false
			reply = []byte{telIAC, telWONT, opt}
		}
	case telWILL: // the server offers opt
		if known && opt != telComPort && !c.do[opt] {
			c.do[opt] = true
			reply = []byte{telIAC, telDO, opt}
		} else if !known {
			reply = []byte{telIAC, telDONT, opt}
		}
	case telWONT:
		if c.do[opt] {
			c.do[opt] = false
			reply = []byte{telIAC, telDONT, opt}
		}
	}
	c.mu.Unlock()
	if reply != nil {
		c.raw(reply)
	}
}

// subnegotiation handles a COM-PORT-OPTION answer; others are ignored
// (ser2net's modem- and line-state notifications among them).
func (c *rfc2217Conn) subnegotiation(sb []byte) {
	if len(sb) < 2 || sb[0] != telComPort || sb[1] <= cpServerBase {
		return
	}
	select {
	case c.acks <- sb[1] - cpServerBase:
	default:
	}
}

// waitAck waits up to d for the acknowledgement of cmd.
func (c *rfc2217Conn) waitAck(cmd byte, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case got := <-c.acks:
			if got == cmd {
				return true
			}
		case <-t.C:
			return false
		case <-c.done:
			return false
		}
	}
}

// command sends a COM-PORT-OPTION subnegotiation.
func (c *rfc2217Conn) command(cmd byte, value ...byte) error {
	p := []byte{telIAC, telSB, telComPort, cmd}
	p = appendEscaped(p, value)
	return c.raw(append(p, telIAC, telSE))
}

// setControl sets DTR or RTS, waiting for the acknowledgement only while
// the server gives them.
func (c *rfc2217Conn) setControl(v byte) error {
	if err := c.command(cpSetControl, v); err != nil {
		return err
	}
	c.mu.Lock()
	skip := c.noLineAck
	c.mu.Unlock()
	if skip || c.waitAck(cpSetControl, rfc2217AckWait) {
		return nil
	}
	c.log.Debug("no acknowledgement of a modem-line setting: not waiting for them any more", "control", v)
	c.mu.Lock()
	c.noLineAck = true
	c.mu.Unlock()
	return nil
}

// pulseReset resets an ESP32 behind a USB-UART bridge as esptool does:
// IO0 high (DTR off), EN low (RTS on) for a moment, then EN high.
func (c *rfc2217Conn) pulseReset() error {
	for _, v := range []byte{cpDTROff, cpRTSOn} {
		if err := c.setControl(v); err != nil {
			return err
		}
	}
	time.Sleep(resetPulse)
	return c.setControl(cpRTSOff)
}

func appendEscaped(dst, p []byte) []byte {
	for _, b := range p {
		dst = append(dst, b)
		if b == telIAC {
			dst = append(dst, telIAC)
		}
	}
	return dst
}

func (c *rfc2217Conn) raw(p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.nc.Write(p)
	return err
}

// Read returns the serial line's data.
func (c *rfc2217Conn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.data) == 0 && c.err == nil {
		c.cond.Wait()
	}
	if len(c.data) == 0 {
		return 0, c.err
	}
	n := copy(p, c.data)
	c.data = c.data[n:]
	return n, nil
}

// Write sends data for the serial line, 0xFF doubled.
func (c *rfc2217Conn) Write(p []byte) (int, error) {
	if err := c.raw(appendEscaped(make([]byte, 0, len(p)+8), p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close closes the connection and waits for the reader.
func (c *rfc2217Conn) Close() error {
	err := c.nc.Close()
	<-c.done
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// parseRFC2217 reads "rfc2217://HOST:PORT[?baud=N]".
func parseRFC2217(s string, opts Options) (dialFunc, Options, error) {
	hostport, query, _ := strings.Cut(strings.TrimPrefix(s, "rfc2217://"), "?")
	hostport = strings.TrimSuffix(hostport, "/")
	if _, _, err := net.SplitHostPort(hostport); err != nil {
		return nil, opts, fmt.Errorf("open %s: want rfc2217://host:port: %w", s, err)
	}
	opts, err := applyQuery(s, query, opts)
	if err != nil {
		return nil, opts, err
	}
	return dialRFC2217(hostport, opts), opts, nil
}
