package host

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
	"weak"

	"github.com/traefik/yaegi/interp"
)

// The standard library as cells see it, where it opens something a cell
// may block on: these replace the originals in the interpreter's symbol
// table, and register what they open with the tracker. They return the
// standard types, so cells can use them as usual, with two exceptions:
// net.Listen returns a listener of its own type (so that the connections
// it accepts are tracked too), and http.Server is a type of its own with
// the same fields (so that its ListenAndServe and Serve are tracked), as
// are http.Client and exec.Cmd.

// errInterrupted is what a tracked io.Pipe returns once its cell was
// interrupted.
var errInterrupted = errors.New("interrupted")

// commandWait is how long an interrupted command's pipes stay open after
// it was killed, for its output to drain (exec.Cmd.WaitDelay).
const commandWait = 500 * time.Millisecond

func (t *tracker) exports() interp.Exports {
	// The same client as the standard library's, seen as a cell's type.
	defaultClient := (*httpClient)(http.DefaultClient)
	return interp.Exports{
		"net/net": {
			"Listen":             reflect.ValueOf(t.listen),
			"ListenTCP":          reflect.ValueOf(t.listenTCP),
			"ListenUnix":         reflect.ValueOf(t.listenUnix),
			"ListenPacket":       reflect.ValueOf(t.listenPacket),
			"ListenUDP":          reflect.ValueOf(t.listenUDP),
			"ListenMulticastUDP": reflect.ValueOf(t.listenMulticastUDP),
			"ListenUnixgram":     reflect.ValueOf(t.listenUnixgram),
			"ListenIP":           reflect.ValueOf(t.listenIP),
			"Dial":               reflect.ValueOf(t.dial),
			"DialTimeout":        reflect.ValueOf(t.dialTimeout),
			"DialTCP":            reflect.ValueOf(t.dialTCP),
			"DialUDP":            reflect.ValueOf(t.dialUDP),
			"DialUnix":           reflect.ValueOf(t.dialUnix),
			"DialIP":             reflect.ValueOf(t.dialIP),
			"Pipe":               reflect.ValueOf(t.netPipe),
		},
		"net/http/http": {
			"Server":          reflect.ValueOf((*httpServer)(nil)),
			"DefaultServeMux": reflect.ValueOf(&t.mux).Elem(),
			"Handle": reflect.ValueOf(func(pattern string, h http.Handler) {
				t.handle(func(m *http.ServeMux) { m.Handle(pattern, h) })
			}),
			"HandleFunc": reflect.ValueOf(func(pattern string, h func(http.ResponseWriter, *http.Request)) {
				t.handle(func(m *http.ServeMux) { m.HandleFunc(pattern, h) })
			}),
			"ListenAndServe":    reflect.ValueOf(t.listenAndServe),
			"ListenAndServeTLS": reflect.ValueOf(t.listenAndServeTLS),
			"Serve":             reflect.ValueOf(t.serve),
			"ServeTLS":          reflect.ValueOf(t.serveTLS),
			"Client":            reflect.ValueOf((*httpClient)(nil)),
			"DefaultClient":     reflect.ValueOf(&defaultClient).Elem(),
			"Get":               reflect.ValueOf(t.httpGet),
			"Head":              reflect.ValueOf(t.httpHead),
			"Post":              reflect.ValueOf(t.httpPost),
			"PostForm":          reflect.ValueOf(t.httpPostForm),
		},
		"crypto/tls/tls": {
			"Listen":         reflect.ValueOf(t.tlsListen),
			"Dial":           reflect.ValueOf(t.tlsDial),
			"DialWithDialer": reflect.ValueOf(t.tlsDialWithDialer),
		},
		"os/exec/exec": {
			"Cmd":            reflect.ValueOf((*execCmd)(nil)),
			"Command":        reflect.ValueOf(t.command),
			"CommandContext": reflect.ValueOf(t.commandContext),
		},
		"os/os": {
			"Pipe": reflect.ValueOf(t.osPipe),
		},
		"io/io": {
			"Pipe": reflect.ValueOf(t.ioPipe),
		},
		"time/time": {
			"AfterFunc": reflect.ValueOf(t.afterFunc),
			"NewTicker": reflect.ValueOf(t.newTicker),
			"Tick":      reflect.ValueOf(t.tick),
		},
	}
}

// trackConn registers a connection of one of the net package's types.
func trackConn(s *scope, c net.Conn) {
	switch c := c.(type) {
	case *net.TCPConn:
		trackWeak(s, c, closeIt)
	case *net.UDPConn:
		trackWeak(s, c, closeIt)
	case *net.UnixConn:
		trackWeak(s, c, closeIt)
	case *net.IPConn:
		trackWeak(s, c, closeIt)
	case *tls.Conn:
		trackWeak(s, c, closeIt)
	}
}

func closeIt[P interface{ Close() error }](p P) { p.Close() }

// listener is what net.Listen returns in cells: the connections it
// accepts belong to the cell that accepts them.
type listener struct {
	net.Listener
	t *tracker
}

// Accept also lets an interrupt of the calling cell wake it when the
// listener belongs to an earlier cell: it passes the listener's deadline,
// which leaves the listener open for later cells, as Python's accept
// interrupted by Ctrl-C does.
func (l *listener) Accept() (net.Conn, error) {
	s := l.t.owner()
	if d, ok := l.Listener.(interface{ SetDeadline(time.Time) error }); ok {
		d.SetDeadline(time.Time{})
		sc, id := s.add(func() { d.SetDeadline(time.Now()) })
		if sc == nil {
			// The calling cell was interrupted (or the interpreter
			// closed): as if the listener were closed, which an
			// http.Server's accept loop ends on, where it retries after
			// a timeout.
			return nil, &net.OpError{Op: "accept", Net: l.Addr().Network(), Addr: l.Addr(), Err: net.ErrClosed}
		}
		defer sc.remove(id)
	}
	c, err := l.Listener.Accept()
	if err == nil {
		trackConn(s, c)
	}
	return c, err
}

func (t *tracker) listen(network, address string) (net.Listener, error) {
	l, err := net.Listen(network, address)
	if err != nil {
		return nil, err
	}
	tl := &listener{Listener: l, t: t}
	track(t, tl)
	return tl, nil
}

func (t *tracker) listenTCP(network string, laddr *net.TCPAddr) (*net.TCPListener, error) {
	l, err := net.ListenTCP(network, laddr)
	track(t, l)
	return l, err
}

func (t *tracker) listenUnix(network string, laddr *net.UnixAddr) (*net.UnixListener, error) {
	l, err := net.ListenUnix(network, laddr)
	track(t, l)
	return l, err
}

func (t *tracker) listenPacket(network, address string) (net.PacketConn, error) {
	c, err := net.ListenPacket(network, address)
	if conn, ok := c.(net.Conn); ok && err == nil {
		trackConn(t.owner(), conn)
	}
	return c, err
}

func (t *tracker) listenUDP(network string, laddr *net.UDPAddr) (*net.UDPConn, error) {
	c, err := net.ListenUDP(network, laddr)
	track(t, c)
	return c, err
}

func (t *tracker) listenMulticastUDP(network string, ifi *net.Interface, gaddr *net.UDPAddr) (*net.UDPConn, error) {
	c, err := net.ListenMulticastUDP(network, ifi, gaddr)
	track(t, c)
	return c, err
}

func (t *tracker) listenUnixgram(network string, laddr *net.UnixAddr) (*net.UnixConn, error) {
	c, err := net.ListenUnixgram(network, laddr)
	track(t, c)
	return c, err
}

func (t *tracker) listenIP(network string, laddr *net.IPAddr) (*net.IPConn, error) {
	c, err := net.ListenIP(network, laddr)
	track(t, c)
	return c, err
}

func (t *tracker) dial(network, address string) (net.Conn, error) {
	return t.dialTimeout(network, address, 0)
}

// dialTimeout is net.DialTimeout; an interrupt ends a connection attempt.
func (t *tracker) dialTimeout(network, address string, timeout time.Duration) (c net.Conn, err error) {
	t.during(func(ctx context.Context) {
		c, err = (&net.Dialer{Timeout: timeout}).DialContext(ctx, network, address)
	})
	if err == nil {
		trackConn(t.owner(), c)
	}
	return c, err
}

func (t *tracker) dialTCP(network string, laddr, raddr *net.TCPAddr) (*net.TCPConn, error) {
	c, err := net.DialTCP(network, laddr, raddr)
	track(t, c)
	return c, err
}

func (t *tracker) dialUDP(network string, laddr, raddr *net.UDPAddr) (*net.UDPConn, error) {
	c, err := net.DialUDP(network, laddr, raddr)
	track(t, c)
	return c, err
}

func (t *tracker) dialUnix(network string, laddr, raddr *net.UnixAddr) (*net.UnixConn, error) {
	c, err := net.DialUnix(network, laddr, raddr)
	track(t, c)
	return c, err
}

func (t *tracker) dialIP(network string, laddr, raddr *net.IPAddr) (*net.IPConn, error) {
	c, err := net.DialIP(network, laddr, raddr)
	track(t, c)
	return c, err
}

func (t *tracker) tlsListen(network, laddr string, config *tls.Config) (net.Listener, error) {
	l, err := tls.Listen(network, laddr, config)
	if err != nil {
		return nil, err
	}
	tl := &listener{Listener: l, t: t}
	track(t, tl)
	return tl, nil
}

func (t *tracker) tlsDial(network, addr string, config *tls.Config) (*tls.Conn, error) {
	return t.tlsDialWithDialer(new(net.Dialer), network, addr, config)
}

// tlsDialWithDialer is tls.DialWithDialer, through tls.Dialer, whose
// context lets an interrupt end the connection attempt and handshake.
func (t *tracker) tlsDialWithDialer(dialer *net.Dialer, network, addr string, config *tls.Config) (*tls.Conn, error) {
	var c net.Conn
	var err error
	t.during(func(ctx context.Context) {
		c, err = (&tls.Dialer{NetDialer: dialer, Config: config}).DialContext(ctx, network, addr)
	})
	if err != nil {
		return nil, err
	}
	tc := c.(*tls.Conn)
	track(t, tc)
	return tc, nil
}

// during runs fn with a context that an interrupt of the calling
// goroutine's cell cancels: for calls that block before they return
// what the tracker could close (a connection being dialled).
func (t *tracker) during(fn func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if s, id := t.owner().add(cancel); s != nil {
		defer s.remove(id)
	}
	fn(ctx)
}

// netPipe is net.Pipe. Its ends are of an unexported type, held strongly
// until the cell is interrupted or the interpreter closed.
func (t *tracker) netPipe() (net.Conn, net.Conn) {
	a, b := net.Pipe()
	t.owner().add(func() { a.Close(); b.Close() })
	return a, b
}

// httpServer is http.Server in cells. It has http.Server's fields, so
// cells build it as they would an http.Server, and its methods register
// the server with the tracker while it serves.
type httpServer http.Server

func (s *httpServer) std() *http.Server { return (*http.Server)(s) }

// serving registers s with the calling goroutine's scope for as long as
// serve runs. A nil Handler becomes the interpreter's default mux.
func (s *httpServer) serving(t *tracker, serve func() error) error {
	if t == nil {
		return serve()
	}
	s.Handler = t.handler(s.Handler)
	sc, id := t.owner().add(func() { s.std().Close() })
	if sc == nil {
		return http.ErrServerClosed
	}
	defer sc.remove(id)
	return serve()
}

// The methods find the tracker through the calling goroutine: the type
// is the same in every interpreter. A goroutine of no cell serves
// untracked.

func (s *httpServer) ListenAndServe() error {
	return s.serving(callerTracker(), s.std().ListenAndServe)
}

func (s *httpServer) ListenAndServeTLS(certFile, keyFile string) error {
	return s.serving(callerTracker(), func() error { return s.std().ListenAndServeTLS(certFile, keyFile) })
}

func (s *httpServer) Serve(l net.Listener) error {
	return s.serving(callerTracker(), func() error { return s.std().Serve(l) })
}

func (s *httpServer) ServeTLS(l net.Listener, certFile, keyFile string) error {
	return s.serving(callerTracker(), func() error { return s.std().ServeTLS(l, certFile, keyFile) })
}

func (s *httpServer) Close() error                       { return s.std().Close() }
func (s *httpServer) Shutdown(ctx context.Context) error { return s.std().Shutdown(ctx) }
func (s *httpServer) RegisterOnShutdown(f func())        { s.std().RegisterOnShutdown(f) }
func (s *httpServer) SetKeepAlivesEnabled(v bool)        { s.std().SetKeepAlivesEnabled(v) }

func (t *tracker) listenAndServe(addr string, h http.Handler) error {
	s := &httpServer{Addr: addr, Handler: h}
	return s.serving(t, s.std().ListenAndServe)
}

func (t *tracker) listenAndServeTLS(addr, certFile, keyFile string, h http.Handler) error {
	s := &httpServer{Addr: addr, Handler: h}
	return s.serving(t, func() error { return s.std().ListenAndServeTLS(certFile, keyFile) })
}

func (t *tracker) serve(l net.Listener, h http.Handler) error {
	s := &httpServer{Handler: h}
	return s.serving(t, func() error { return s.std().Serve(l) })
}

func (t *tracker) serveTLS(l net.Listener, h http.Handler, certFile, keyFile string) error {
	s := &httpServer{Handler: h}
	return s.serving(t, func() error { return s.std().ServeTLS(l, certFile, keyFile) })
}

// The client functions of net/http send their request with a context
// that an interrupt of the cell cancels, which also ends a read of the
// response's body.

func (t *tracker) httpGet(url string) (*http.Response, error) {
	return t.httpDo(http.MethodGet, url, "", nil)
}

func (t *tracker) httpHead(url string) (*http.Response, error) {
	return t.httpDo(http.MethodHead, url, "", nil)
}

func (t *tracker) httpPost(url, contentType string, body io.Reader) (*http.Response, error) {
	return t.httpDo(http.MethodPost, url, contentType, body)
}

func (t *tracker) httpPostForm(url string, data neturl.Values) (*http.Response, error) {
	return t.httpDo(http.MethodPost, url, "application/x-www-form-urlencoded", strings.NewReader(data.Encode()))
}

func (t *tracker) httpDo(method, url, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return t.send(http.DefaultClient, req)
}

// send is c.Do(req) with req's context also cancelled by an interrupt of
// the calling goroutine's cell, for as long as the response's body lives.
func (t *tracker) send(c *http.Client, req *http.Request) (*http.Response, error) {
	if t == nil || req == nil {
		return c.Do(req)
	}
	ctx, cancel := context.WithCancel(req.Context())
	req = req.WithContext(ctx)
	s, id := t.owner().add(cancel)
	if s == nil {
		return nil, context.Canceled
	}
	resp, err := c.Do(req)
	if err != nil {
		s.remove(id)
		cancel()
		return nil, err
	}
	b := &responseBody{ReadCloser: resp.Body}
	resp.Body = b
	runtime.AddCleanup(b, func(r registration) { r.s.remove(r.id); r.cancel() }, registration{s, id, cancel, nil})
	return resp, nil
}

// httpClient is http.Client in cells: the same fields, and methods that
// send through the tracker (send), as http.Get does.
type httpClient http.Client

func (c *httpClient) std() *http.Client { return (*http.Client)(c) }

func (c *httpClient) Do(req *http.Request) (*http.Response, error) {
	return callerTracker().send(c.std(), req)
}

func (c *httpClient) Get(url string) (*http.Response, error) {
	return c.newRequest(http.MethodGet, url, "", nil)
}

func (c *httpClient) Head(url string) (*http.Response, error) {
	return c.newRequest(http.MethodHead, url, "", nil)
}

func (c *httpClient) Post(url, contentType string, body io.Reader) (*http.Response, error) {
	return c.newRequest(http.MethodPost, url, contentType, body)
}

func (c *httpClient) PostForm(url string, data neturl.Values) (*http.Response, error) {
	return c.newRequest(http.MethodPost, url, "application/x-www-form-urlencoded", strings.NewReader(data.Encode()))
}

func (c *httpClient) CloseIdleConnections() { c.std().CloseIdleConnections() }

func (c *httpClient) newRequest(method, url, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return c.Do(req)
}

// responseBody is the body of a tracked response: the request's
// context lives as long as it.
type responseBody struct{ io.ReadCloser }

// command is exec.Command: the process runs in a process group of its
// own, which an interrupt of its cell kills, and so does an interrupt of
// a later cell that runs or waits for it (execCmd).
func (t *tracker) command(name string, arg ...string) *execCmd {
	return t.commandContext(context.Background(), name, arg...)
}

func (t *tracker) commandContext(ctx context.Context, name string, arg ...string) *execCmd {
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, name, arg...)
	newProcessGroup(cmd)
	cmd.Cancel = func() error { return killProcessGroup(cmd) }
	cmd.WaitDelay = commandWait
	key := weak.Make(cmd)
	t.cmds.Store(key, cancel)
	s, id := t.owner().add(cancel)
	if s != nil {
		runtime.AddCleanup(cmd, func(r registration) {
			r.s.remove(r.id)
			r.cancel()
			t.cmds.Delete(r.key)
		}, registration{s, id, cancel, key})
	}
	return (*execCmd)(cmd)
}

// execCmd is exec.Cmd in cells: the same fields, and methods that let an
// interrupt of the cell that calls them kill the process of a command
// made by exec.Command, even when an earlier cell made it.
type execCmd exec.Cmd

func (c *execCmd) std() *exec.Cmd { return (*exec.Cmd)(c) }

// killable runs fn, which starts or waits for c's process, with the
// process killed if the calling goroutine's cell is interrupted.
func (c *execCmd) killable(fn func() error) error {
	t := callerTracker()
	if t == nil {
		return fn()
	}
	cancel, ok := t.cmds.Load(weak.Make(c.std()))
	if !ok {
		return fn() // built without exec.Command
	}
	s, id := t.owner().add(cancel.(context.CancelFunc))
	if s == nil {
		return fn()
	}
	defer s.remove(id)
	return fn()
}

func (c *execCmd) Start() error { return c.killable(c.std().Start) }
func (c *execCmd) Run() error   { return c.killable(c.std().Run) }
func (c *execCmd) Wait() error  { return c.killable(c.std().Wait) }

func (c *execCmd) Output() (out []byte, err error) {
	err = c.killable(func() error { out, err = c.std().Output(); return err })
	return out, err
}

func (c *execCmd) CombinedOutput() (out []byte, err error) {
	err = c.killable(func() error { out, err = c.std().CombinedOutput(); return err })
	return out, err
}

func (c *execCmd) StdinPipe() (io.WriteCloser, error) { return c.std().StdinPipe() }
func (c *execCmd) StdoutPipe() (io.ReadCloser, error) { return c.std().StdoutPipe() }
func (c *execCmd) StderrPipe() (io.ReadCloser, error) { return c.std().StderrPipe() }
func (c *execCmd) String() string                     { return c.std().String() }
func (c *execCmd) Environ() []string                  { return c.std().Environ() }

// registration is a resource's place in its scope, and what releases it.
type registration struct {
	s      *scope
	id     uint64
	cancel context.CancelFunc
	key    any // in tracker.cmds, for a command
}

func (t *tracker) osPipe() (*os.File, *os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	s := t.owner()
	trackWeak(s, r, closeIt)
	trackWeak(s, w, closeIt)
	return r, w, nil
}

func (t *tracker) ioPipe() (*io.PipeReader, *io.PipeWriter) {
	r, w := io.Pipe()
	s := t.owner()
	trackWeak(s, r, func(r *io.PipeReader) { r.CloseWithError(errInterrupted) })
	trackWeak(s, w, func(w *io.PipeWriter) { w.CloseWithError(errInterrupted) })
	return r, w
}

// afterFunc is time.AfterFunc. f runs on a goroutine of the cell that
// called AfterFunc, so what f opens is that cell's; an interrupt of that
// cell stops the timer.
func (t *tracker) afterFunc(d time.Duration, f func()) *time.Timer {
	s := t.owner()
	timer := time.AfterFunc(d, func() {
		// The goroutine the runtime started for f has the labels of
		// whichever goroutine ran the timers: replace them.
		labels := s.labels
		if labels == nil {
			labels = context.Background()
		}
		pprof.SetGoroutineLabels(labels)
		f()
	})
	trackWeak(s, timer, func(tm *time.Timer) { tm.Stop() })
	return timer
}

func (t *tracker) newTicker(d time.Duration) *time.Ticker {
	tk := time.NewTicker(d)
	trackWeak(t.owner(), tk, func(tk *time.Ticker) { tk.Stop() })
	return tk
}

// tick is time.Tick, whose ticker an interrupt can stop.
func (t *tracker) tick(d time.Duration) <-chan time.Time {
	if d <= 0 {
		return nil
	}
	tk := time.NewTicker(d)
	// Held strongly: the cell keeps only the channel.
	t.owner().add(tk.Stop)
	return tk.C
}
