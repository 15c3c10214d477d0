package transport

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// WebREPL links (ws:// and wss://): MicroPython's WebREPL, as its
// extmod/modwebrepl.c serves it. After the WebSocket handshake the board
// sends "Password: "; the password and '\r' go back, and the board
// answers "\r\nWebREPL connected\r\n>>> " or "\r\nAccess denied\r\n".
// From then on text frames carry the REPL both ways, so the raw REPL and
// raw-paste run over it as over a UART, and binary frames carry the file
// protocol (see ReadFile and WriteFile).

// webreplPort is the port a board's WebREPL listens on unless the URL
// names another (webrepl_setup's default, for ws:// and wss:// alike).
const webreplPort = "8266"

// webreplReconnect is how long a WebREPL board may take to come back by
// default (Options.ReconnectTimeout).
const webreplReconnect = 20 * time.Second

// Texts of modwebrepl.c.
const (
	webreplPasswordPrompt = "Password: "
	webreplConnected      = "WebREPL connected"
	webreplDenied         = "Access denied"
)

// PasswordEnv names the environment variable that holds the WebREPL
// password when the boards file gives none.
const PasswordEnv = "IOTKERNEL_WEBREPL_PASSWORD"

type passwordKey struct{}
type promptKey struct{}

// WithPassword returns a ctx under which Open logs in to a WebREPL board
// with password (the boards file's entry for it). The password is kept in
// the Board's memory for reconnects, and never logged.
func WithPassword(ctx context.Context, password string) context.Context {
	return context.WithValue(ctx, passwordKey{}, password)
}

// WithPasswordPrompt returns a ctx under which Open, when a WebREPL board
// needs a password that neither WithPassword nor $IOTKERNEL_WEBREPL_PASSWORD
// gives, asks for one with ask (the notebook's password input).
func WithPasswordPrompt(ctx context.Context, ask func(ctx context.Context, prompt string) (string, error)) context.Context {
	return context.WithValue(ctx, promptKey{}, ask)
}

// HasPasswordPrompt reports whether ctx carries a WithPasswordPrompt.
func HasPasswordPrompt(ctx context.Context) bool {
	_, ok := ctx.Value(promptKey{}).(func(context.Context, string) (string, error))
	return ok
}

// ErrAuth matches the errors of a WebREPL board that refused the password.
var ErrAuth = errors.New("WebREPL refused the password")

// AuthError reports that a WebREPL board refused the password. It says
// where the password came from, never what it was.
type AuthError struct {
	URL    string
	Source string // "the boards file", "$IOTKERNEL_WEBREPL_PASSWORD", "the password typed"
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("board %s: %v (Access denied); the password came from %s", e.URL, ErrAuth, e.Source)
}

// Is makes errors.Is(err, ErrAuth) true.
func (e *AuthError) Is(target error) bool { return target == ErrAuth }

// webreplDialer opens WebREPL links to one board and logs in; it keeps
// the password for the reconnects of the Board it serves.
type webreplDialer struct {
	url  string // as shown: scheme, host, port and path, no query
	addr string // host:port to dial
	host string // Host header
	path string // resource path
	tls  *tls.Config
	opts Options

	mu       sync.Mutex
	password string
	source   string
}

// isWebREPL reports whether url names a WebREPL board.
func isWebREPL(url string) bool {
	s := strings.TrimSpace(url)
	return strings.HasPrefix(s, "ws://") || strings.HasPrefix(s, "wss://")
}

// parseWebREPL reads "ws://HOST[:PORT][/PATH]" and
// "wss://HOST[:PORT][/PATH][?ca=FILE|pin=HEX]".
func parseWebREPL(raw string, opts Options) (*webreplDialer, error) {
	s := strings.TrimSpace(raw)
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", s, err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("open %s://%s: a WebREPL URL takes no user or password (the password comes from the boards file, $%s, or is asked for)", u.Scheme, u.Host, PasswordEnv)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("open %s: no host (want %s://HOST[:%s])", s, u.Scheme, webreplPort)
	}
	port := u.Port()
	if port == "" {
		port = webreplPort
	}
	d := &webreplDialer{
		addr: net.JoinHostPort(u.Hostname(), port),
		host: u.Host,
		path: u.EscapedPath(),
		opts: opts,
	}
	if d.path == "" {
		d.path = "/"
	}
	d.url = u.Scheme + "://" + d.addr + d.path
	q := u.Query()
	switch u.Scheme {
	case "ws":
		if len(q) > 0 {
			return nil, fmt.Errorf("open %s: ws:// takes no options (ca= and pin= are for wss://)", d.url)
		}
	case "wss":
		cfg, err := tlsConfig(d.url, u.Hostname(), q)
		if err != nil {
			return nil, err
		}
		d.tls = cfg
	default:
		return nil, fmt.Errorf("open %s: not a WebREPL URL", s)
	}
	return d, nil
}

// tlsConfig is the verification wss:// asks for: the system's roots; the
// certificates in the PEM file ca= as the only roots; or pin=, the SHA-256
// of the server's certificate (as `openssl x509 -noout -fingerprint
// -sha256` prints it, colons allowed), for the self-signed certificate a
// board makes, whatever names it holds.
func tlsConfig(where, serverName string, q url.Values) (*tls.Config, error) {
	for k := range q {
		if k != "ca" && k != "pin" {
			return nil, fmt.Errorf("open %s: unknown option %q (known: ca, pin)", where, k)
		}
	}
	ca, pin := q.Get("ca"), q.Get("pin")
	cfg := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	switch {
	case ca != "" && pin != "":
		return nil, fmt.Errorf("open %s: give ca= or pin=, not both", where)
	case ca != "":
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("open %s: ca=: %w", where, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("open %s: ca=%s holds no PEM certificate", where, ca)
		}
		cfg.RootCAs = pool
	case pin != "":
		want, err := hex.DecodeString(strings.ReplaceAll(strings.ToLower(pin), ":", ""))
		if err != nil || len(want) != sha256.Size {
			return nil, fmt.Errorf("open %s: pin= wants the certificate's SHA-256 as 64 hex digits", where)
		}
		// The pin replaces chain and name checks: it names the one
		// certificate to accept.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			got := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if !bytes.Equal(got[:], want) {
				return fmt.Errorf("%w: the board's is %s", errPinMismatch, hex.EncodeToString(got[:]))
			}
			return nil
		}
	}
	return cfg, nil
}

// unreachable marks a network board that did not take the connection as
// absent: Open reports it at once, a reconnect waits for the board to come
// back (rebooting, rejoining its Wi-Fi).
func unreachable(err error) error { return &absentError{err} }

type absentError struct{ err error }

func (e *absentError) Error() string        { return e.err.Error() }
func (e *absentError) Unwrap() error        { return e.err }
func (e *absentError) Is(target error) bool { return target == errPortMissing }

// errPinMismatch is the TLS error of a certificate that is not the pinned one.
var errPinMismatch = errors.New("certificate SHA-256 does not match pin=")

// resolvePassword finds the password once, in order: the boards file
// (WithPassword), $IOTKERNEL_WEBREPL_PASSWORD, the notebook
// (WithPasswordPrompt).
func (d *webreplDialer) resolvePassword(ctx context.Context) error {
	d.mu.Lock()
	known := d.source != ""
	d.mu.Unlock()
	if known {
		return nil
	}
	pw, source := "", ""
	if p, ok := ctx.Value(passwordKey{}).(string); ok && p != "" {
		pw, source = p, "the boards file"
	} else if p := os.Getenv(PasswordEnv); p != "" {
		pw, source = p, "$"+PasswordEnv
	} else if ask, ok := ctx.Value(promptKey{}).(func(context.Context, string) (string, error)); ok {
		p, err := ask(ctx, "WebREPL password for "+d.url+": ")
		if err != nil {
			return fmt.Errorf("open %s: asking for the WebREPL password: %w", d.url, err)
		}
		pw, source = strings.TrimRight(p, "\r\n"), "the password typed"
	} else {
		return fmt.Errorf("open %s: %w: this WebREPL board needs a password: give it in the boards file "+
			`({"NAME": {"url": "%s", "password": "..."}}), or in $%s`, d.url, ErrNotConnected, d.url, PasswordEnv)
	}
	if strings.ContainsAny(pw, "\r\n") {
		return fmt.Errorf("open %s: the WebREPL password from %s holds a line break", d.url, source)
	}
	d.mu.Lock()
	d.password, d.source = pw, source
	d.mu.Unlock()
	return nil
}

// dial opens the link and logs in.
func (d *webreplDialer) dial(ctx context.Context) (link, error) {
	ctx, cancel := context.WithTimeout(ctx, d.opts.HandshakeTimeout)
	defer cancel()
	nd := net.Dialer{}
	nc, err := nd.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return link{}, unreachable(fmt.Errorf("open %s: %w", d.url, err))
	}
	nc = withQuickAck(nc)
	if d.tls != nil {
		tc := tls.Client(nc, d.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			var cv *tls.CertificateVerificationError
			if errors.As(err, &cv) || errors.Is(err, errPinMismatch) {
				return link{}, &permanentError{fmt.Errorf("open %s: TLS: %w (give the board's certificate with ?ca=FILE, or its SHA-256 with ?pin=HEX)", d.url, err)}
			}
			return link{}, unreachable(fmt.Errorf("open %s: TLS: %w", d.url, err))
		}
		nc = tc
	}
	// A board that takes the connection but does not answer as a
	// WebREPL (another client holds it, it is still starting) counts as
	// absent: Open says so at once, a reconnect waits for it.
	ws, err := wsHandshake(ctx, nc, d.host, d.path)
	if err != nil {
		nc.Close()
		return link{}, unreachable(fmt.Errorf("open %s: %w", d.url, err))
	}
	if err := d.login(ctx, ws); err != nil {
		ws.Close()
		var perm *permanentError
		if errors.As(err, &perm) {
			return link{}, err
		}
		return link{}, unreachable(err)
	}
	return link{rw: ws, files: ws}, nil
}

// login answers the board's password prompt and waits for its verdict.
func (d *webreplDialer) login(ctx context.Context, ws *wsConn) error {
	d.mu.Lock()
	pw, source := d.password, d.source
	d.mu.Unlock()
	if dl, ok := ctx.Deadline(); ok {
		ws.nc.SetReadDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { ws.nc.SetReadDeadline(time.Unix(1, 0)) })
	defer func() {
		stop()
		ws.nc.SetReadDeadline(time.Time{})
	}()
	var got []byte
	buf := make([]byte, 512)
	wait := func(done func() bool, what string) error {
		for !done() {
			n, err := ws.Read(buf)
			got = append(got, buf[:n]...)
			if len(got) > 4096 {
				got = got[len(got)-1024:]
			}
			if err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("open %s: %w waiting for %s; the board sent %q", d.url, ErrTimeout, what, tail(got, 80))
				}
				return fmt.Errorf("open %s: waiting for %s: %w", d.url, what, err)
			}
		}
		return nil
	}
	if err := wait(func() bool { return bytes.Contains(got, []byte(webreplPasswordPrompt)) }, "the password prompt"); err != nil {
		return err
	}
	got = nil
	if _, err := ws.Write([]byte(pw + "\r")); err != nil {
		return fmt.Errorf("open %s: send the password: %w", d.url, err)
	}
	denied := func() bool { return bytes.Contains(got, []byte(webreplDenied)) }
	connected := func() bool {
		i := bytes.Index(got, []byte(webreplConnected))
		return i >= 0 && bytes.Contains(got[i:], []byte(">>> "))
	}
	err := wait(func() bool { return denied() || connected() }, "the board's answer to the password")
	if denied() {
		if source == "the password typed" {
			d.mu.Lock()
			d.password, d.source = "", "" // ask again next time
			d.mu.Unlock()
		}
		return &permanentError{&AuthError{URL: d.url, Source: source}}
	}
	return err
}

// WebREPL's file protocol (modwebrepl.c): a request is an 82-byte header
// in a binary frame, "WA", the operation, a flag byte, a 64-bit offset, a
// 32-bit size, a 16-bit name length and the name in 64 bytes (all little
// endian); each step is acknowledged with "WB" and a 16-bit status (0:
// ok). A put then takes the file's bytes; a get answers each 0x00 byte
// with a chunk: a 16-bit length and that many bytes, length 0 ending the
// file. The board serves it only while it reads input (at the raw
// prompt), and a file it cannot open raises inside its WebREPL, which
// closes the connection.
const (
	webreplPut       = 1
	webreplGet       = 2
	webreplHeaderLen = 82
	webreplNameMax   = 63 // the name field is 64 bytes, NUL-terminated
	webreplChunk     = 1024
)

// errNoFileProtocol is returned by ReadFile and WriteFile when the link
// has no file protocol or the board refused the request. It matches
// errors.ErrUnsupported, so that callers fall back to the REPL.
var errNoFileProtocol = fmt.Errorf("no file protocol on this link: %w", errors.ErrUnsupported)

func webreplHeader(op byte, size int, name string) []byte {
	h := make([]byte, webreplHeaderLen)
	copy(h, "WA")
	h[2] = op
	binary.LittleEndian.PutUint32(h[12:], uint32(size))
	binary.LittleEndian.PutUint16(h[16:], uint16(len(name)))
	copy(h[18:], name)
	return h
}

// fileOK reports whether the file protocol can carry path on the link.
func fileOK(lk link, path string) bool {
	return lk.files != nil && path != "" && len(path) <= webreplNameMax && !strings.ContainsRune(path, 0)
}

// ReadFile reads the board file at path through the link's own file
// protocol (WebREPL's). It returns an error matching errors.ErrUnsupported
// when the link has none or the board refused (a missing file, say): the
// caller then uses the REPL, which says why. The board must be idle; the
// call waits for the board's turn like Run. The bytes are not verified.
func (b *Board) ReadFile(ctx context.Context, path string) ([]byte, error) {
	var data []byte
	err := b.fileOp(ctx, path, func(ws *wsConn, ack func() error) error {
		if err := ws.writeBinary(webreplHeader(webreplGet, 0, path)); err != nil {
			return err
		}
		if err := ack(); err != nil {
			return err
		}
		for {
			if err := ws.writeBinary([]byte{0}); err != nil {
				return err
			}
			n, err := b.binary(ctx, ws, 2)
			if err != nil {
				return err
			}
			size := int(binary.LittleEndian.Uint16(n))
			if size == 0 {
				return ack()
			}
			p, err := b.binary(ctx, ws, size)
			if err != nil {
				return err
			}
			data = append(data, p...)
		}
	})
	return data, err
}

// WriteFile writes data to the board file at path through the link's own
// file protocol, as ReadFile reads; the directory must exist. The result
// is not verified.
func (b *Board) WriteFile(ctx context.Context, path string, data []byte) error {
	if int64(len(data)) > 1<<32-1 {
		return errNoFileProtocol
	}
	return b.fileOp(ctx, path, func(ws *wsConn, ack func() error) error {
		if err := ws.writeBinary(webreplHeader(webreplPut, len(data), path)); err != nil {
			return err
		}
		if err := ack(); err != nil {
			return err
		}
		for off := 0; off < len(data); off += webreplChunk {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err := ws.writeBinary(data[off:min(off+webreplChunk, len(data))]); err != nil {
				return err
			}
		}
		return ack()
	})
}

// errRefused marks a status other than 0 in a "WB" answer.
var errRefused = errors.New("refused")

// fileOp runs a file request at the idle raw prompt. Any failure part way
// leaves the board's WebREPL mid-request, so the link is closed and the
// next call reconnects (WebREPL keeps the board's state).
func (b *Board) fileOp(ctx context.Context, path string, op func(ws *wsConn, ack func() error) error) error {
	if err := b.acquire(ctx); err != nil {
		return err
	}
	defer b.release()
	if _, lk := b.current(); !fileOK(lk, path) {
		return errNoFileProtocol
	}
	if err := b.ready(ctx); err != nil {
		return err
	}
	c, lk := b.current()
	if !fileOK(lk, path) {
		return errNoFileProtocol
	}
	ws := lk.files
	ws.dropBinary()
	ack := func() error {
		p, err := b.binary(ctx, ws, 4)
		if err != nil {
			return err
		}
		if string(p[:2]) != "WB" {
			return fmt.Errorf("file protocol: the board answered %q", p)
		}
		if code := binary.LittleEndian.Uint16(p[2:]); code != 0 {
			return fmt.Errorf("%w (status %d)", errRefused, code)
		}
		return nil
	}
	err := op(ws, ack)
	if err == nil {
		return nil
	}
	b.log.Debug("file protocol failed; reconnecting", "path", path, "err", err)
	b.state = stateDown
	c.close()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("board %s: file protocol on :%s: %v: %w", b.url, path, err, errNoFileProtocol)
}

// binary reads n bytes of file protocol from ws, each wait bounded by
// HandshakeTimeout.
func (b *Board) binary(ctx context.Context, ws *wsConn, n int) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, b.opts.HandshakeTimeout)
	defer cancel()
	p, err := ws.readBinary(ctx, n)
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("%w after %v", ErrTimeout, b.opts.HandshakeTimeout)
	}
	return p, err
}

// openWebREPL is Open for ws:// and wss:// URLs: the password is found
// (and asked for) before the first dial, outside the dial's deadline.
func openWebREPL(ctx context.Context, rawURL string, opts Options) (*Board, error) {
	if opts.ReconnectTimeout <= 0 {
		// A board that soft- or hard-resets rejoins its Wi-Fi before its
		// WebREPL listens again: seconds, not a USB port's moment.
		opts.ReconnectTimeout = webreplReconnect
	}
	opts = opts.withDefaults()
	d, err := parseWebREPL(rawURL, opts)
	if err != nil {
		return nil, err
	}
	if err := d.resolvePassword(ctx); err != nil {
		return nil, err
	}
	b := newBoard(strings.TrimSpace(rawURL), d.dial, opts)
	lk, err := b.dialRetry(ctx, false)
	if err != nil {
		return nil, err
	}
	if err := b.start(ctx, lk); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}
