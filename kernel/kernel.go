package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
)

// Info describes the kernel in kernel_info_reply.
type Info struct {
	Implementation        string
	ImplementationVersion string
	Banner                string
	LanguageInfo          map[string]any
	HelpLinks             []HelpLink
}

// HelpLink is one entry of kernel_info_reply's help_links.
type HelpLink struct {
	Text string `json:"text"`
	URL  string `json:"url"`
}

// Config is what New needs to serve a connection file.
type Config struct {
	Connection ConnectionInfo
	Executor   Executor
	Info       Info
	Logger     *slog.Logger

	// MaxMessageSize is the largest message, in bytes (all its frames),
	// the kernel serves; 0 means DefaultMaxMessageSize. A signed request
	// over it is answered with a MessageTooLarge error; a client that
	// announces much more (see transportCap) is disconnected before memory
	// is allocated for it.
	MaxMessageSize int64
}

// DefaultMaxMessageSize is the default Config.MaxMessageSize: far above
// any notebook cell or widget buffer, far below what would exhaust memory.
const DefaultMaxMessageSize = 1 << 30

// transportCap is the size at which the ZeroMQ layer disconnects a client
// rather than read its message. It lies a little above the served maximum,
// so that a request just over the maximum is still read and its sender
// told (a MessageTooLarge reply), while a forged length of terabytes
// costs nothing: the frame is refused before memory is allocated for it.
func transportCap(max int64) int64 {
	return max + max/16 + 1<<20
}

// handshakeTimeout bounds the ZMTP handshake of each new connection: a
// client completes it in a round trip, and a peer that connects and sends
// nothing is dropped after it.
const handshakeTimeout = 5 * time.Second

// stallTimeout is how long a client may stop reading what the kernel
// sends it before it is disconnected. A socket writes to its clients one
// at a time, so a subscriber that never reads would otherwise stop IOPub
// for every client. A client that is only slow keeps its connection.
const stallTimeout = 5 * time.Second

// Kernel serves one Jupyter connection until shutdown.
type Kernel struct {
	cfg     Config
	log     *slog.Logger
	signer  *Signer
	session string // this process's session id; changes on every start

	shell, control, stdin, iopub, hb zmq4.Socket
	shellMu, controlMu, stdinMu      sync.Mutex
	iopubMu                          sync.Mutex

	maxBytes int64
	replayMu sync.Mutex
	replay   *replayGuard // nil when signing is disabled

	shellQ      chan *Message
	inputReply  chan *Message
	shutdownReq chan bool // restart flag of the first shutdown request
	done        chan struct{}

	runMu     sync.Mutex
	runCancel context.CancelCauseFunc // cancels the running cell, if any

	// Owned by the worker goroutine.
	count   int
	history *history
}

// errInterrupted is the cause given to a cell's context on interrupt.
var errInterrupted = fmt.Errorf("interrupted by the user: %w", context.Canceled)

// New binds the five sockets on the connection file's IP.
func New(cfg Config) (*Kernel, error) {
	if cfg.Executor == nil {
		return nil, errors.New("kernel: no executor")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	signer, err := NewSigner(cfg.Connection.SignatureScheme, cfg.Connection.Key)
	if err != nil {
		return nil, err
	}
	k := &Kernel{
		cfg:         cfg,
		log:         log,
		signer:      signer,
		session:     newMsgID(),
		maxBytes:    cfg.MaxMessageSize,
		shellQ:      make(chan *Message, 4096),
		inputReply:  make(chan *Message, 1),
		shutdownReq: make(chan bool, 1),
		done:        make(chan struct{}),
		history:     newHistory(),
	}
	if k.maxBytes <= 0 {
		k.maxBytes = DefaultMaxMessageSize
	}
	if signer.Enabled() {
		k.replay = newReplayGuard(replayMemory)
	} else {
		// Unsigned messages all carry the same empty signature: tracking
		// them would refuse every message after the first.
		log.Warn("message signing is disabled (the connection file's key is empty): " +
			"any process that can reach the kernel's ports can run code as this user")
	}
	// The sockets live until Run returns; their context is independent of
	// the caller's so that shutdown can still publish and reply.
	bg := context.Background()
	ci := cfg.Connection
	socks := []struct {
		s    *zmq4.Socket
		new  func(context.Context, ...zmq4.Option) zmq4.Socket
		port int
		name string
	}{
		{&k.shell, zmq4.NewRouter, ci.ShellPort, "shell"},
		{&k.control, zmq4.NewRouter, ci.ControlPort, "control"},
		{&k.stdin, zmq4.NewRouter, ci.StdinPort, "stdin"},
		{&k.iopub, zmq4.NewPub, ci.IOPubPort, "iopub"},
		{&k.hb, zmq4.NewRep, ci.HBPort, "hb"},
	}
	zlog := slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	for _, s := range socks {
		*s.s = s.new(bg, zmq4.WithID(zmq4.SocketIdentity(k.session+"-"+s.name)),
			zmq4.WithMaxMessageSize(transportCap(k.maxBytes)), zmq4.WithHandshakeTimeout(handshakeTimeout),
			zmq4.WithWriteTimeout(stallTimeout), zmq4.WithLogger(zlog))
		if err := (*s.s).Listen(ci.endpoint(s.port)); err != nil {
			k.closeSockets()
			return nil, fmt.Errorf("bind %s socket on %s: %w", s.name, ci.endpoint(s.port), err)
		}
	}
	return k, nil
}

func (k *Kernel) closeSockets() {
	for _, s := range []zmq4.Socket{k.shell, k.control, k.stdin, k.iopub, k.hb} {
		if s != nil {
			s.Close()
		}
	}
}

// Interrupt cancels the running cell, if any. It is safe to call from any
// goroutine (a SIGINT handler, the control loop).
func (k *Kernel) Interrupt() {
	k.runMu.Lock()
	cancel := k.runCancel
	k.runMu.Unlock()
	if cancel != nil {
		cancel(errInterrupted)
	}
}

// Run serves until a shutdown_request arrives or ctx is done (SIGTERM),
// then releases everything. It returns restart true when the client asked
// for a restart (the client starts the new process).
func (k *Kernel) Run(ctx context.Context) (restart bool, err error) {
	k.publish(nil, "status", map[string]string{"execution_state": "starting"})

	var wg sync.WaitGroup
	workerDone := make(chan struct{})
	wg.Add(4)
	go func() { defer wg.Done(); k.heartbeat() }()
	go func() { defer wg.Done(); k.readLoop(k.shell, "shell", k.enqueueShell) }()
	go func() { defer wg.Done(); k.readLoop(k.control, "control", k.handleControl) }()
	go func() { defer wg.Done(); k.readLoop(k.stdin, "stdin", k.handleStdin) }()
	go func() { defer close(workerDone); k.worker() }()

	select {
	case restart = <-k.shutdownReq:
		k.log.Info("shutdown requested", "restart", restart)
	case <-ctx.Done():
		k.log.Info("terminating", "cause", context.Cause(ctx))
	}
	close(k.done)
	k.Interrupt()
	// A cell that ignores its context must not hold the process: clients
	// kill the kernel 2.5 s after asking, so give it one second.
	select {
	case <-workerDone:
	case <-time.After(time.Second):
		k.log.Warn("running cell did not stop within 1s; exiting anyway")
	}
	if err := k.cfg.Executor.Close(); err != nil {
		k.log.Warn("closing executor", "err", err)
	}
	// PUB sockets send from a queue and have no linger: give the last
	// messages (the final idle) a moment to leave before closing.
	time.Sleep(50 * time.Millisecond)
	k.closeSockets()
	wg.Wait()
	return restart, nil
}

// heartbeat echoes every frame it receives until the socket closes. A
// malformed request (no envelope delimiter) fails only its own Recv.
func (k *Kernel) heartbeat() {
	for {
		msg, err := k.hb.Recv()
		if errors.Is(err, context.Canceled) || errors.Is(err, zmq4.ErrClosedConn) {
			return
		}
		if err != nil {
			k.log.Debug("heartbeat recv", "err", err)
			continue
		}
		if err := k.hb.Send(msg); err != nil {
			k.log.Debug("heartbeat send", "err", err)
		}
	}
}

// readLoop receives, verifies and dispatches messages from a ROUTER
// socket until it is closed. Messages that fail verification or whose
// header cannot be read are logged and dropped; a request that is signed
// but cannot be served is dispatched with its RequestError, so that its
// handler answers it with an error reply.
func (k *Kernel) readLoop(sock zmq4.Socket, name string, dispatch func(*Message)) {
	for {
		zm, err := sock.Recv()
		if err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, zmq4.ErrClosedConn) {
				return
			}
			k.log.Debug("recv", "socket", name, "err", err)
			return
		}
		m, err := k.decode(zm.Frames)
		if m == nil {
			k.log.Warn("dropped message", "socket", name, "err", err)
			continue
		}
		if err != nil {
			k.log.Warn("message cannot be served", "socket", name, "msg_type", m.Header.MsgType,
				"msg_id", m.Header.MsgID, "err", err)
			var re *RequestError
			errors.As(err, &re)
			m.requestErr = re
		}
		k.log.Debug("recv", "socket", name, "msg_type", m.Header.MsgType, "msg_id", m.Header.MsgID)
		dispatch(m)
	}
}

// decode decodes and verifies frames and refuses a replay. A non-nil
// error with a non-nil message is a *RequestError.
func (k *Kernel) decode(frames [][]byte) (*Message, error) {
	m, err := k.signer.DecodeLimit(frames, k.maxBytes)
	if m == nil || k.replay == nil {
		return m, err
	}
	k.replayMu.Lock()
	rerr := k.replay.check(m.digest)
	k.replayMu.Unlock()
	if rerr != nil {
		return nil, rerr
	}
	return m, err
}

func (k *Kernel) enqueueShell(m *Message) {
	select {
	case k.shellQ <- m:
	case <-k.done:
	}
}

// worker runs shell requests one at a time, in arrival order.
func (k *Kernel) worker() {
	mem := newMemoryReleaser()
	defer mem.stop()
	for {
		select {
		case <-k.done:
			return
		case m := <-k.shellQ:
			k.handleShell(m)
			mem.afterRequest()
		}
	}
}

// handleStdin passes input replies to the cell waiting for one; one that
// cannot be decoded goes too, so that the cell fails instead of waiting.
func (k *Kernel) handleStdin(m *Message) {
	if m.Header.MsgType != "input_reply" {
		k.log.Warn("unexpected message on stdin", "msg_type", m.Header.MsgType)
		return
	}
	select {
	case k.inputReply <- m:
	default:
		k.log.Warn("input_reply with no input_request waiting; dropped")
	}
}

// newMessage builds a message of msgType whose parent is req (nil for none).
func (k *Kernel) newMessage(req *Message, msgType string, content any) (*Message, error) {
	c, ok := content.(json.RawMessage) // encoded already (streamContent)
	if !ok {
		var err error
		if c, err = json.Marshal(content); err != nil {
			return nil, fmt.Errorf("encode %s: %w", msgType, err)
		}
	}
	m := &Message{
		Header: Header{
			MsgID:    newMsgID(),
			Session:  k.session,
			Username: "kernel",
			Date:     isoDate(time.Now()),
			MsgType:  msgType,
			Version:  ProtocolVersion,
		},
		Content: c,
	}
	if req != nil {
		m.Parent = req.HeaderRaw
	}
	return m, nil
}

// send signs and sends m on sock under its lock. Send errors are logged,
// never fatal: a client that went away must not take the kernel down.
func (k *Kernel) send(sock zmq4.Socket, mu *sync.Mutex, m *Message) error {
	frames, err := k.signer.Encode(m)
	if err != nil {
		k.log.Error("encode", "msg_type", m.Header.MsgType, "err", err)
		return err
	}
	mu.Lock()
	err = sock.Send(zmq4.NewMsgFrom(frames...))
	mu.Unlock()
	switch {
	case errors.Is(err, zmq4.ErrClosedConn):
		// The client went away (or was disconnected for not reading);
		// each reply still queued for it would say so again.
		k.log.Debug("send", "msg_type", m.Header.MsgType, "err", err)
	case err != nil:
		k.log.Warn("send", "msg_type", m.Header.MsgType, "err", err)
	}
	return err
}

// publish sends an IOPub message whose parent is req.
func (k *Kernel) publish(req *Message, msgType string, content any) error {
	m, err := k.newMessage(req, msgType, content)
	if err != nil {
		k.log.Error("publish", "err", err)
		return err
	}
	m.Identities = [][]byte{[]byte("kernel." + k.session + "." + msgType)}
	return k.send(k.iopub, &k.iopubMu, m)
}

// reply answers req on the socket it came from, to the identities it
// came from.
func (k *Kernel) reply(sock zmq4.Socket, mu *sync.Mutex, req *Message, msgType string, content any) {
	m, err := k.newMessage(req, msgType, content)
	if err != nil {
		k.log.Error("reply", "err", err)
		return
	}
	m.Identities = req.Identities
	k.send(sock, mu, m)
}

// subscriberWait bounds how long a kernel_info request waits for an IOPub
// subscriber; see awaitSubscriber.
const subscriberWait = 300 * time.Millisecond

// awaitSubscriber waits, briefly, until some client has subscribed to
// IOPub. Clients call a kernel ready only when a kernel_info_reply AND an
// IOPub message have arrived; a status published before the client's
// subscription reached us is lost, and the client then sleeps and asks
// again. zmq4 gives no event for a new subscription, so this polls its
// topic list; it returns at once when a subscriber is there.
func (k *Kernel) awaitSubscriber() {
	t, ok := k.iopub.(zmq4.Topics)
	if !ok {
		return
	}
	deadline := time.Now().Add(subscriberWait)
	for len(t.Topics()) == 0 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
}

func (k *Kernel) busy(req *Message) {
	k.publish(req, "status", map[string]string{"execution_state": "busy"})
}

func (k *Kernel) idle(req *Message) {
	k.publish(req, "status", map[string]string{"execution_state": "idle"})
}

// decodeContent decodes a request's content into v; on failure it logs
// and reports false so the caller can answer with an error.
func (k *Kernel) decodeContent(m *Message, v any) error {
	if err := json.Unmarshal(m.Content, v); err != nil {
		k.log.Warn("bad content", "msg_type", m.Header.MsgType, "err", err)
		return fmt.Errorf("bad %s content: %w", m.Header.MsgType, err)
	}
	return nil
}
