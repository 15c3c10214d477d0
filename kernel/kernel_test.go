package kernel

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// fakeExecutor interprets tiny command cells, so the tests exercise the
// protocol and not a language:
//
//	print:TEXT      writes TEXT to stdout
//	eprint:TEXT     writes TEXT to stderr
//	result:TEXT     publishes TEXT as execute_result
//	fail:TEXT       fails with a CellError named TestError
//	slowfail:TEXT   fails after 300 ms
//	block           waits until interrupted
//	input:PROMPT    asks for input and prints the answer
//	lines:N         prints N short lines
//	display:TEXT    display_data; clear clears output
//	panic           panics inside the executor
//	next:TEXT       replaces the cell with TEXT (set_next_input)
//	later:TEXT      returns at once; once f.later is closed, prints TEXT
//	                and reports an error, as the cell's (request_test.go)
type fakeExecutor struct {
	mu     sync.Mutex
	closed bool
	later  chan struct{} // "later" cells write once it is closed
}

func (f *fakeExecutor) Execute(ctx context.Context, code string, out Output) error {
	cmd, arg, _ := strings.Cut(code, ":")
	switch cmd {
	case "print":
		fmt.Fprint(out.Stdout(), arg)
	case "eprint":
		fmt.Fprint(out.Stderr(), arg)
	case "result":
		out.Result(MIMEBundle{"text/plain": arg}, nil)
	case "slowfail":
		time.Sleep(300 * time.Millisecond) // lets the cells sent behind it arrive
		fallthrough
	case "fail":
		return &CellError{Name: "TestError", Value: arg, Traceback: []string{"TestError: " + arg}}
	case "block":
		<-ctx.Done()
		return ctx.Err()
	case "input":
		s, err := out.Input(ctx, arg, false)
		if err != nil {
			return err
		}
		fmt.Fprint(out.Stdout(), "got "+s)
	case "lines":
		n, _ := strconv.Atoi(arg)
		for i := 0; i < n; i++ {
			fmt.Fprintf(out.Stdout(), "line %d\n", i)
		}
	case "display":
		out.Display(MIMEBundle{"text/plain": arg}, nil, "d1", false)
		out.Display(MIMEBundle{"text/plain": arg + "!"}, nil, "d1", true)
	case "clear":
		out.ClearOutput(false)
	case "next":
		out.(NextInputSetter).SetNextInput(arg, true)
	case "panic":
		panic("executor bug")
	case "later":
		laterCell(f, out, arg)
	}
	return nil
}

func (f *fakeExecutor) Complete(ctx context.Context, code string, cursor int) Completion {
	return Completion{Matches: []string{"alpha", "alpine"}, CursorStart: 0, CursorEnd: cursor}
}

func (f *fakeExecutor) Inspect(ctx context.Context, code string, cursor, detail int) (MIMEBundle, bool) {
	if code == "" {
		return nil, false
	}
	return MIMEBundle{"text/plain": "doc of " + code}, true
}

func (f *fakeExecutor) IsComplete(code string) (string, string) {
	if strings.HasSuffix(code, "{") {
		return "incomplete", "    "
	}
	return "complete", ""
}

func (f *fakeExecutor) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	return nil
}

// client is a minimal Jupyter client over real ZeroMQ sockets.
type client struct {
	t                     testing.TB
	signer                *Signer
	session               string
	shell, control, stdin zmq4.Socket
	iopub, hb             zmq4.Socket
	iopubMsgs             chan *Message
}

func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var ls []net.Listener
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

type runningKernel struct {
	k       *Kernel
	exec    *fakeExecutor
	done    chan struct{}
	restart bool
	cancel  context.CancelFunc
}

// startKernel starts a kernel with the fake executor and a client for it;
// opts change its Config first.
func startKernel(t testing.TB, opts ...func(*Config)) (*runningKernel, *client) {
	t.Helper()
	p := freePorts(t, 5)
	ci := ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", ShellPort: p[0], ControlPort: p[1],
		StdinPort: p[2], IOPubPort: p[3], HBPort: p[4], Key: "secret-key", SignatureScheme: "hmac-sha256"}
	exec := &fakeExecutor{}
	cfg := Config{Connection: ci, Executor: exec, Info: Info{Implementation: "test",
		LanguageInfo: map[string]any{"name": "python"}}}
	for _, o := range opts {
		o(&cfg)
	}
	ci = cfg.Connection
	k, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rk := &runningKernel{k: k, exec: exec, done: make(chan struct{}), cancel: cancel}
	go func() {
		rk.restart, _ = k.Run(ctx)
		close(rk.done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-rk.done:
		case <-time.After(5 * time.Second):
			t.Error("kernel did not stop within 5s of cancel")
		}
	})
	c := dial(t, ci)
	return rk, c
}

func dial(t testing.TB, ci ConnectionInfo) *client {
	t.Helper()
	ctx := context.Background()
	signer, _ := NewSigner(ci.SignatureScheme, ci.Key)
	id := zmq4.WithID(zmq4.SocketIdentity("client-" + newMsgID()))
	c := &client{t: t, signer: signer, session: newMsgID(),
		shell: zmq4.NewDealer(ctx, id), control: zmq4.NewDealer(ctx, id), stdin: zmq4.NewDealer(ctx, id),
		iopub: zmq4.NewSub(ctx), hb: zmq4.NewReq(ctx), iopubMsgs: make(chan *Message, 100000)}
	for _, s := range []struct {
		s    zmq4.Socket
		port int
	}{{c.shell, ci.ShellPort}, {c.control, ci.ControlPort}, {c.stdin, ci.StdinPort}, {c.iopub, ci.IOPubPort}, {c.hb, ci.HBPort}} {
		if err := s.s.Dial(ci.endpoint(s.port)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.iopub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			zm, err := c.iopub.Recv()
			if err != nil {
				return
			}
			m, err := c.signer.Decode(zm.Frames)
			if err != nil {
				t.Errorf("iopub message fails to decode: %v", err)
				continue
			}
			c.iopubMsgs <- m
		}
	}()
	t.Cleanup(func() {
		for _, s := range []zmq4.Socket{c.shell, c.control, c.stdin, c.iopub, c.hb} {
			s.Close()
		}
	})
	// Wait until the subscription is live: kernel_info round trips until
	// its idle status arrives on IOPub.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		id := c.send(c.shell, "kernel_info_request", map[string]any{})
		c.recvReply(c.shell, "kernel_info_reply")
		if c.waitIdle(id, 300*time.Millisecond) {
			c.drainIOPub()
			return c
		}
	}
	t.Fatal("iopub subscription never became live")
	return nil
}

func (c *client) newMsg(msgType string, content any) *Message {
	b, _ := json.Marshal(content)
	h := Header{MsgID: newMsgID(), Session: c.session, Username: "test", Date: isoDate(time.Now()),
		MsgType: msgType, Version: ProtocolVersion}
	hb, _ := json.Marshal(h)
	return &Message{Header: h, HeaderRaw: hb, Content: b}
}

func (c *client) sendMsg(sock zmq4.Socket, m *Message) {
	c.t.Helper()
	frames, err := c.signer.Encode(m)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := sock.Send(zmq4.NewMsgFrom(frames...)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) send(sock zmq4.Socket, msgType string, content any) string {
	c.t.Helper()
	m := c.newMsg(msgType, content)
	c.sendMsg(sock, m)
	return m.Header.MsgID
}

// recvReply waits up to 10 s for the next message on sock.
func (c *client) recvReply(sock zmq4.Socket, wantType string) *Message {
	c.t.Helper()
	type res struct {
		m   zmq4.Msg
		err error
	}
	ch := make(chan res, 1)
	go func() { m, err := sock.Recv(); ch <- res{m, err} }()
	select {
	case r := <-ch:
		if r.err != nil {
			c.t.Fatalf("recv %s: %v", wantType, r.err)
		}
		m, err := c.signer.Decode(r.m.Frames)
		if err != nil {
			c.t.Fatalf("decode %s: %v", wantType, err)
		}
		if m.Header.MsgType != wantType {
			c.t.Fatalf("got %s, want %s: %s", m.Header.MsgType, wantType, m.Content)
		}
		return m
	case <-time.After(10 * time.Second):
		c.t.Fatalf("no %s within 10s", wantType)
	}
	return nil
}

func parentID(m *Message) string {
	var h Header
	json.Unmarshal(m.Parent, &h)
	return h.MsgID
}

// iopubFor collects the IOPub messages of request id, from its busy to
// its idle.
func (c *client) iopubFor(id string, timeout time.Duration) []*Message {
	c.t.Helper()
	var got []*Message
	deadline := time.After(timeout)
	for {
		select {
		case m := <-c.iopubMsgs:
			if parentID(m) != id {
				continue
			}
			got = append(got, m)
			if m.Header.MsgType == "status" && strings.Contains(string(m.Content), `"idle"`) {
				return got
			}
		case <-deadline:
			c.t.Fatalf("no idle for %s within %v; got %v", id, timeout, types(got))
		}
	}
}

func (c *client) waitIdle(id string, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		select {
		case m := <-c.iopubMsgs:
			if parentID(m) == id && strings.Contains(string(m.Content), `"idle"`) {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

func (c *client) drainIOPub() {
	for {
		select {
		case <-c.iopubMsgs:
		case <-time.After(100 * time.Millisecond):
			return
		}
	}
}

func types(ms []*Message) []string {
	var s []string
	for _, m := range ms {
		t := m.Header.MsgType
		if t == "status" {
			var st struct {
				State string `json:"execution_state"`
			}
			json.Unmarshal(m.Content, &st)
			t = st.State
		}
		s = append(s, t)
	}
	return s
}

func content(t *testing.T, m *Message) map[string]any {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal(m.Content, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *client) execute(code string, extra map[string]any) (id string, reply *Message, iopub []*Message) {
	c.t.Helper()
	req := map[string]any{"code": code, "silent": false, "store_history": true, "allow_stdin": false, "stop_on_error": true, "user_expressions": map[string]any{}}
	for k, v := range extra {
		req[k] = v
	}
	id = c.send(c.shell, "execute_request", req)
	reply = c.recvReply(c.shell, "execute_reply")
	return id, reply, c.iopubFor(id, 10*time.Second)
}

func TestKernelInfoOnShellAndControl(t *testing.T) {
	_, c := startKernel(t)
	for _, sock := range []zmq4.Socket{c.shell, c.control} {
		id := c.send(sock, "kernel_info_request", map[string]any{})
		r := c.recvReply(sock, "kernel_info_reply")
		if parentID(r) != id {
			t.Errorf("reply parent = %s, want %s", parentID(r), id)
		}
		if r.Header.Version != "5.3" {
			t.Errorf("header version = %q, want 5.3", r.Header.Version)
		}
		if _, err := time.Parse(time.RFC3339Nano, r.Header.Date); err != nil || len(r.Header.Date) > len("2006-01-02T15:04:05.000000Z") {
			t.Errorf("header date %q: not ISO 8601 with at most 6 fractional digits (%v)", r.Header.Date, err)
		}
		got := types(c.iopubFor(id, 5*time.Second))
		if strings.Join(got, ",") != "busy,idle" {
			t.Errorf("iopub around kernel_info = %v, want [busy idle]", got)
		}
		cc := content(t, r)
		if cc["protocol_version"] != "5.3" || cc["status"] != "ok" {
			t.Errorf("kernel_info_reply = %v", cc)
		}
	}
}

func TestExecuteOrderAndCount(t *testing.T) {
	_, c := startKernel(t)
	_, reply, iopub := c.execute("result:42", nil)
	if got, want := strings.Join(types(iopub), ","), "busy,execute_input,execute_result,idle"; got != want {
		t.Errorf("iopub = %s, want %s", got, want)
	}
	rc := content(t, reply)
	if rc["status"] != "ok" || rc["execution_count"] != 1.0 {
		t.Errorf("reply = %v, want ok with execution_count 1", rc)
	}
	if ec := content(t, iopub[1])["execution_count"]; ec != 1.0 {
		t.Errorf("execute_input execution_count = %v, want 1", ec)
	}
	// store_history false: no increment.
	_, reply, _ = c.execute("print:x", map[string]any{"store_history": false})
	if ec := content(t, reply)["execution_count"]; ec != 1.0 {
		t.Errorf("execution_count after store_history=false = %v, want 1", ec)
	}
	// silent: busy and idle only, no increment.
	_, reply, iopub = c.execute("print:hidden", map[string]any{"silent": true, "store_history": false})
	if got := strings.Join(types(iopub), ","); got != "busy,idle" {
		t.Errorf("silent iopub = %s, want busy,idle", got)
	}
	if ec := content(t, reply)["execution_count"]; ec != 1.0 {
		t.Errorf("silent execution_count = %v, want 1", ec)
	}
	_, reply, _ = c.execute("print:y", nil)
	if ec := content(t, reply)["execution_count"]; ec != 2.0 {
		t.Errorf("execution_count = %v, want 2", ec)
	}
}

func TestHelloWorldIsOneStreamMessage(t *testing.T) {
	_, c := startKernel(t)
	_, _, iopub := c.execute("print:hello, world\n", nil)
	var streams []string
	for _, m := range iopub {
		if m.Header.MsgType == "stream" {
			streams = append(streams, content(t, m)["text"].(string))
		}
	}
	if len(streams) != 1 || streams[0] != "hello, world\n" {
		t.Errorf("stream messages = %q, want one \"hello, world\\n\"", streams)
	}
}

func TestManyLinesAreCoalesced(t *testing.T) {
	_, c := startKernel(t)
	start := time.Now()
	_, _, iopub := c.execute("lines:100000", nil)
	elapsed := time.Since(start)
	var text strings.Builder
	n := 0
	for _, m := range iopub {
		if m.Header.MsgType == "stream" {
			n++
			text.WriteString(content(t, m)["text"].(string))
		}
	}
	if lines := strings.Count(text.String(), "\n"); lines != 100000 {
		t.Errorf("got %d lines, want 100000", lines)
	}
	if n > 100 {
		t.Errorf("100000 lines took %d stream messages, want at most 100", n)
	}
	if rate := float64(n) / elapsed.Seconds(); n > 20 && rate > 1000 {
		t.Errorf("%d messages in %v is %.0f msgs/s, over jupyter_server's 1000", n, elapsed, rate)
	}
}

func TestErrorAndStopOnError(t *testing.T) {
	_, c := startKernel(t)
	base := map[string]any{"code": "", "silent": false, "store_history": true, "allow_stdin": false, "stop_on_error": true}
	var ids []string
	for _, code := range []string{"slowfail:boom", "print:never", "print:never either"} {
		base["code"] = code
		ids = append(ids, c.send(c.shell, "execute_request", base))
	}
	r1 := c.recvReply(c.shell, "execute_reply")
	rc := content(t, r1)
	if rc["status"] != "error" || rc["ename"] != "TestError" || rc["evalue"] != "boom" {
		t.Errorf("failed cell reply = %v", rc)
	}
	outs := c.iopubFor(ids[0], 5*time.Second)
	if got := strings.Join(types(outs), ","); got != "busy,execute_input,error,idle" {
		t.Errorf("failed cell iopub = %s", got)
	}
	for _, id := range ids[1:] {
		r := c.recvReply(c.shell, "execute_reply")
		rc := content(t, r)
		if parentID(r) != id || rc["status"] != "error" || rc["ename"] != "ExecutionAborted" {
			t.Errorf("queued cell reply = %v (parent %s, want %s); want an aborted error", rc, parentID(r), id)
		}
		for _, m := range c.iopubFor(id, 5*time.Second) {
			if m.Header.MsgType == "stream" {
				t.Errorf("aborted cell ran: %s", m.Content)
			}
		}
	}
	// After the queue is drained, cells run again.
	_, reply, _ := c.execute("print:again", nil)
	if content(t, reply)["status"] != "ok" {
		t.Errorf("cell after abort did not run: %s", reply.Content)
	}
}

func TestInterruptReachesRunningCell(t *testing.T) {
	_, c := startKernel(t)
	id := c.send(c.shell, "execute_request", map[string]any{"code": "block", "silent": false, "store_history": true, "allow_stdin": false})
	time.Sleep(100 * time.Millisecond) // let the cell start; the interrupt must work whenever it comes
	start := time.Now()
	c.send(c.control, "interrupt_request", map[string]any{})
	c.recvReply(c.control, "interrupt_reply")
	r := c.recvReply(c.shell, "execute_reply")
	if d := time.Since(start); d > time.Second {
		t.Errorf("interrupt took %v to end the cell", d)
	}
	if rc := content(t, r); rc["ename"] != "KeyboardInterrupt" {
		t.Errorf("interrupted reply = %v, want ename KeyboardInterrupt", rc)
	}
	c.iopubFor(id, 5*time.Second)
	_, reply, _ := c.execute("print:alive", nil)
	if content(t, reply)["status"] != "ok" {
		t.Error("kernel unusable after interrupt")
	}
}

func TestInputRequest(t *testing.T) {
	_, c := startKernel(t)
	id := c.send(c.shell, "execute_request", map[string]any{"code": "input:name? ", "silent": false, "store_history": true, "allow_stdin": true})
	ir := c.recvReply(c.stdin, "input_request")
	if parentID(ir) != id || content(t, ir)["prompt"] != "name? " {
		t.Errorf("input_request = %s (parent %s), want prompt for %s", ir.Content, parentID(ir), id)
	}
	c.send(c.stdin, "input_reply", map[string]any{"value": "ada"})
	r := c.recvReply(c.shell, "execute_reply")
	if content(t, r)["status"] != "ok" {
		t.Errorf("reply = %s", r.Content)
	}
	var out string
	for _, m := range c.iopubFor(id, 5*time.Second) {
		if m.Header.MsgType == "stream" {
			out += content(t, m)["text"].(string)
		}
	}
	if out != "got ada" {
		t.Errorf("stdout = %q, want %q", out, "got ada")
	}
	// allow_stdin false: the cell gets ErrNoStdin, no input_request is sent.
	_, reply, _ := c.execute("input:again? ", map[string]any{"allow_stdin": false})
	if rc := content(t, reply); rc["status"] != "error" || !strings.Contains(rc["evalue"].(string), "allow_stdin") {
		t.Errorf("reply with allow_stdin false = %v", rc)
	}
}

func TestBadMessagesAreDropped(t *testing.T) {
	_, c := startKernel(t)
	good := c.newMsg("kernel_info_request", map[string]any{})
	frames, _ := c.signer.Encode(good)
	badSig := c.newMsg("execute_request", map[string]any{"code": "print:EVIL"})
	bf, _ := c.signer.Encode(badSig)
	bf[1] = []byte(strings.Repeat("0", 64))
	unsigned := c.newMsg("execute_request", map[string]any{"code": "print:EVIL"})
	uf, _ := c.signer.Encode(unsigned)
	uf[1] = []byte{}
	signed := func(header []byte) [][]byte {
		return [][]byte{delimiter, []byte(c.signer.Sign(header, []byte("{}"), []byte("{}"), []byte(`{"code":"print:EVIL"}`))),
			header, []byte("{}"), []byte("{}"), []byte(`{"code":"print:EVIL"}`)}
	}
	for _, f := range [][][]byte{
		{[]byte("just one frame")},
		{delimiter, []byte("sig")},
		bf, uf,
		{delimiter, []byte(""), make([]byte, 70<<20), []byte("{}"), []byte("{}"), []byte("{}")},
		// Signed, but no header to answer to.
		signed([]byte("{")),
		signed([]byte(`{"msg_id":"x"}`)),
		signed([]byte(`{"msg_type":"execute_request","pad":"` + strings.Repeat("x", maxHeaderBytes) + `"}`)),
	} {
		if err := c.shell.Send(zmq4.NewMsgFrom(f...)); err != nil {
			t.Fatal(err)
		}
	}
	// A wrongly typed execute_request is signed: it is answered with an
	// error, not run, and not allowed to crash the kernel.
	hdr, _ := json.Marshal(Header{MsgID: "x", MsgType: "execute_request", Version: "5.3"})
	wrongType := [][]byte{delimiter, []byte(c.signer.Sign(hdr, []byte("{}"), []byte("{}"), []byte(`{"code": 5}`))), hdr, []byte("{}"), []byte("{}"), []byte(`{"code": 5}`)}
	if err := c.shell.Send(zmq4.NewMsgFrom(wrongType...)); err != nil {
		t.Fatal(err)
	}
	r := c.recvReply(c.shell, "execute_reply")
	if rc := content(t, r); rc["status"] != "error" || parentID(r) != "x" {
		t.Errorf("wrongly typed execute_request answered %v (parent %s), want an error for x", rc, parentID(r))
	}
	// A valid message, then its replay.
	c.shell.Send(zmq4.NewMsgFrom(frames...))
	c.recvReply(c.shell, "kernel_info_reply")
	c.shell.Send(zmq4.NewMsgFrom(frames...))
	_, reply, iopub := c.execute("print:ok", nil)
	if content(t, reply)["status"] != "ok" {
		t.Errorf("kernel stopped serving after bad input: %s", reply.Content)
	}
	for _, m := range iopub {
		if strings.Contains(string(m.Content), "EVIL") {
			t.Errorf("a badly signed message was executed: %s", m.Content)
		}
	}
}

// A signed request that cannot be served is answered with an error reply
// of its type, between busy and idle, on the channel it came on.
func TestUnservableRequestsGetErrorReplies(t *testing.T) {
	const limit = 1 << 20
	_, c := startKernel(t, func(cfg *Config) { cfg.MaxMessageSize = limit })
	big := strings.Repeat("x", limit*6/10)
	// Each frame is under the cap, the message is over it.
	tooLarge := func(sock zmq4.Socket, msgType string) string {
		m := c.newMsg(msgType, map[string]any{"code": "print:" + big})
		m.Buffers = [][]byte{[]byte(big)}
		c.sendMsg(sock, m)
		return m.Header.MsgID
	}
	badContent := func(sock zmq4.Socket, msgType string) string {
		m := c.newMsg(msgType, nil)
		m.Content = []byte(`["not", "an", "object"]`)
		c.sendMsg(sock, m)
		return m.Header.MsgID
	}
	for _, tc := range []struct {
		name      string
		send      func(zmq4.Socket, string) string
		sock      zmq4.Socket
		msgType   string
		wantReply string
		wantEname string
	}{
		{"too large execute", tooLarge, c.shell, "execute_request", "execute_reply", "MessageTooLarge"},
		{"too large kernel_info on control", tooLarge, c.control, "kernel_info_request", "kernel_info_reply", "MessageTooLarge"},
		{"bad content execute", badContent, c.shell, "execute_request", "execute_reply", "BadContent"},
		{"bad content complete", badContent, c.shell, "complete_request", "complete_reply", "BadContent"},
		{"bad content shutdown on control", badContent, c.control, "shutdown_request", "shutdown_reply", "BadContent"},
	} {
		id := tc.send(tc.sock, tc.msgType)
		r := c.recvReply(tc.sock, tc.wantReply)
		rc := content(t, r)
		if parentID(r) != id || rc["status"] != "error" || rc["ename"] != tc.wantEname || !strings.Contains(fmt.Sprint(rc["evalue"]), tc.msgType) {
			t.Errorf("%s: reply %v (parent %s, want %s); want status error, ename %s, an evalue naming %s",
				tc.name, rc, parentID(r), id, tc.wantEname, tc.msgType)
		}
		if tc.msgType == "execute_request" && rc["execution_count"] != 0.0 {
			t.Errorf("%s: execution_count %v, want 0 (nothing ran)", tc.name, rc["execution_count"])
		}
		if got := strings.Join(types(c.iopubFor(id, 5*time.Second)), ","); got != "busy,idle" {
			t.Errorf("%s: iopub %s, want busy,idle", tc.name, got)
		}
	}
	// A message that is not a request has nobody to answer: dropped, and
	// the next request is served.
	badContent(c.shell, "comm_msg")
	tooLarge(c.shell, "comm_msg")
	_, reply, _ := c.execute("print:ok", nil)
	if rc := content(t, reply); rc["status"] != "ok" || rc["execution_count"] != 1.0 {
		t.Errorf("execute after refused requests = %v, want ok with execution_count 1", rc)
	}
}

// A captured signature is refused however its hex digits are cased: the
// kernel compares and remembers the decoded bytes.
func TestReplayWithRecasedSignatureIsRefused(t *testing.T) {
	_, c := startKernel(t)
	// A message whose signature has at most 10 letters among its hex
	// digits keeps "every re-casing" to 1024 messages.
	var frames [][]byte
	var letters []int
	for i := 0; ; i++ {
		m := c.newMsg("execute_request", map[string]any{"code": "print:REPLAYED", "silent": false, "store_history": true})
		m.Header.MsgID = fmt.Sprintf("captured-%d", i)
		frames, _ = c.signer.Encode(m)
		letters = letters[:0]
		for j, ch := range frames[1] {
			if ch >= 'a' && ch <= 'f' {
				letters = append(letters, j)
			}
		}
		if len(letters) <= 10 {
			break
		}
	}
	send := func(sig []byte) {
		f := append([][]byte{delimiter, sig}, frames[2:]...)
		if err := c.shell.Send(zmq4.NewMsgFrom(f...)); err != nil {
			t.Fatal(err)
		}
	}
	send(frames[1]) // the original runs once
	for mask := 0; mask < 1<<len(letters); mask++ {
		sig := append([]byte(nil), frames[1]...)
		for b, j := range letters {
			if mask&(1<<b) != 0 {
				sig[j] -= 'a' - 'A'
			}
		}
		send(sig)
	}
	// Messages on one connection are read in order: once this one is
	// answered, every replay has been decoded.
	after := c.send(c.shell, "execute_request", map[string]any{"code": "print:after"})
	c.recvReply(c.shell, "execute_reply")
	c.recvReply(c.shell, "execute_reply")
	ran := 0
	for {
		var m *Message
		select {
		case m = <-c.iopubMsgs:
		case <-time.After(10 * time.Second):
			t.Fatal("no idle for the last request within 10 s")
		}
		if m.Header.MsgType == "execute_input" && strings.Contains(string(m.Content), "REPLAYED") {
			ran++
		}
		if parentID(m) == after && m.Header.MsgType == "status" && strings.Contains(string(m.Content), "idle") {
			break
		}
	}
	if ran != 1 {
		t.Errorf("the captured execute_request ran %d times (original and %d re-cased copies), want once", ran, 1<<len(letters))
	}
}

// With an empty key nothing is signed: different unsigned messages all
// run, even the same one twice (nothing tells a replay apart), and the log
// says once that signing is off.
func TestEmptyKeyAcceptsUnsignedMessages(t *testing.T) {
	var logged strings.Builder
	var logMu sync.Mutex
	_, c := startKernel(t, func(cfg *Config) {
		cfg.Connection.Key = ""
		cfg.Logger = slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
			logMu.Lock()
			defer logMu.Unlock()
			return logged.Write(p)
		}), nil))
	})
	for i := 0; i < 3; i++ {
		_, reply, _ := c.execute(fmt.Sprintf("print:%d", i), nil)
		if rc := content(t, reply); rc["status"] != "ok" || rc["execution_count"] != float64(i+1) {
			t.Errorf("unsigned execute %d = %v, want ok", i, rc)
		}
	}
	m := c.newMsg("kernel_info_request", map[string]any{})
	c.sendMsg(c.shell, m)
	c.recvReply(c.shell, "kernel_info_reply")
	c.sendMsg(c.shell, m)
	if r := c.recvReply(c.shell, "kernel_info_reply"); parentID(r) != m.Header.MsgID {
		t.Errorf("second reply's parent = %s, want %s", parentID(r), m.Header.MsgID)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if n := strings.Count(logged.String(), "signing is disabled"); n != 1 {
		t.Errorf("the log says %d times that signing is disabled, want once:\n%s", n, logged.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestCompleteInspectIsCompleteCommsHistory(t *testing.T) {
	_, c := startKernel(t)
	c.send(c.shell, "complete_request", map[string]any{"code": "al", "cursor_pos": 2})
	cc := content(t, c.recvReply(c.shell, "complete_reply"))
	if fmt.Sprint(cc["matches"]) != "[alpha alpine]" || cc["cursor_end"] != 2.0 {
		t.Errorf("complete_reply = %v", cc)
	}
	c.send(c.shell, "inspect_request", map[string]any{"code": "x", "cursor_pos": 1, "detail_level": 0})
	ic := content(t, c.recvReply(c.shell, "inspect_reply"))
	if ic["found"] != true || fmt.Sprint(ic["data"]) != "map[text/plain:doc of x]" {
		t.Errorf("inspect_reply = %v", ic)
	}
	c.send(c.shell, "is_complete_request", map[string]any{"code": "func f() {"})
	if ic := content(t, c.recvReply(c.shell, "is_complete_reply")); ic["status"] != "incomplete" || ic["indent"] != "    " {
		t.Errorf("is_complete_reply = %v", ic)
	}
	c.send(c.shell, "comm_info_request", map[string]any{})
	raw := c.recvReply(c.shell, "comm_info_reply").Content
	if !strings.Contains(string(raw), `"comms":{}`) {
		t.Errorf("comm_info_reply = %s, want comms {}", raw)
	}
	id := c.send(c.shell, "comm_open", map[string]any{"comm_id": "c1", "target_name": "nope", "data": map[string]any{}})
	var sawClose bool
	for _, m := range c.iopubFor(id, 5*time.Second) {
		sawClose = sawClose || (m.Header.MsgType == "comm_close" && content(t, m)["comm_id"] == "c1")
	}
	if !sawClose {
		t.Error("comm_open for an unknown target was not answered by comm_close")
	}

	for _, code := range []string{"result:1", "print:a", "result:1", "print:b"} {
		c.execute(code, nil)
	}
	hist := func(req map[string]any) []any {
		c.send(c.shell, "history_request", req)
		return content(t, c.recvReply(c.shell, "history_reply"))["history"].([]any)
	}
	if h := hist(map[string]any{"output": false, "raw": true, "hist_access_type": "tail", "n": 2}); fmt.Sprint(h) != "[[1 3 result:1] [1 4 print:b]]" {
		t.Errorf("tail 2 = %v", h)
	}
	if h := hist(map[string]any{"output": true, "raw": true, "hist_access_type": "tail", "n": 1}); fmt.Sprint(h) != "[[1 4 [print:b <nil>]]]" {
		t.Errorf("tail with output = %v", h)
	}
	if h := hist(map[string]any{"output": false, "raw": true, "hist_access_type": "range", "session": 1, "start": 2, "stop": 3}); fmt.Sprint(h) != "[[1 2 print:a]]" {
		t.Errorf("range 2..3 = %v", h)
	}
	if h := hist(map[string]any{"output": false, "raw": true, "hist_access_type": "search", "pattern": "result*"}); len(h) != 2 {
		t.Errorf("search result* = %v, want 2 entries", h)
	}
	if h := hist(map[string]any{"output": false, "raw": true, "hist_access_type": "search", "pattern": "result*", "unique": true}); fmt.Sprint(h) != "[[1 3 result:1]]" {
		t.Errorf("unique search = %v", h)
	}
}

func TestDisplayAndClear(t *testing.T) {
	_, c := startKernel(t)
	_, _, iopub := c.execute("display:50%", nil)
	got := types(iopub)
	if strings.Join(got, ",") != "busy,execute_input,display_data,update_display_data,idle" {
		t.Fatalf("iopub = %v", got)
	}
	for _, m := range iopub[2:4] {
		if !strings.Contains(string(m.Content), `"display_id":"d1"`) {
			t.Errorf("%s lacks transient.display_id: %s", m.Header.MsgType, m.Content)
		}
	}
	_, _, iopub = c.execute("clear", nil)
	if got := strings.Join(types(iopub), ","); got != "busy,execute_input,clear_output,idle" {
		t.Errorf("clear iopub = %s", got)
	}
}

func TestSetNextInputPayload(t *testing.T) {
	_, c := startKernel(t)
	_, reply, _ := c.execute("next:x = 1\n", nil)
	var got struct {
		Status  string
		Payload []struct {
			Source  string
			Text    string
			Replace bool
		}
	}
	if err := json.Unmarshal(reply.Content, &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != "ok" || len(got.Payload) != 1 || got.Payload[0].Source != "set_next_input" || got.Payload[0].Text != "x = 1\n" || !got.Payload[0].Replace {
		t.Errorf("execute_reply = %s, want one set_next_input payload replacing the cell", reply.Content)
	}
	_, reply, _ = c.execute("print:x", nil)
	if !strings.Contains(string(reply.Content), `"payload":[]`) {
		t.Errorf("the next cell's reply = %s, want an empty payload", reply.Content)
	}
}

func TestExecutorPanicIsAnError(t *testing.T) {
	_, c := startKernel(t)
	_, reply, _ := c.execute("panic", nil)
	if rc := content(t, reply); rc["status"] != "error" || rc["ename"] != "InternalError" {
		t.Errorf("reply = %v", rc)
	}
	_, reply, _ = c.execute("print:still here", nil)
	if content(t, reply)["status"] != "ok" {
		t.Error("kernel unusable after an executor panic")
	}
}

func TestShutdownAndRestart(t *testing.T) {
	for _, restart := range []bool{false, true} {
		rk, c := startKernel(t)
		start := time.Now()
		c.send(c.control, "shutdown_request", map[string]any{"restart": restart})
		r := c.recvReply(c.control, "shutdown_reply")
		if content(t, r)["restart"] != restart {
			t.Errorf("shutdown_reply = %s", r.Content)
		}
		select {
		case <-rk.done:
		case <-time.After(2 * time.Second):
			t.Fatal("Run did not return within 2s of shutdown_request")
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("shutdown took %v", d)
		}
		if rk.restart != restart {
			t.Errorf("Run returned restart=%v, want %v", rk.restart, restart)
		}
		rk.exec.mu.Lock()
		if !rk.exec.closed {
			t.Error("executor was not closed on shutdown")
		}
		rk.exec.mu.Unlock()
	}
}

func TestShutdownWhileCellBlocks(t *testing.T) {
	rk, c := startKernel(t)
	c.send(c.shell, "execute_request", map[string]any{"code": "block", "silent": false, "store_history": true, "allow_stdin": false})
	time.Sleep(50 * time.Millisecond)
	c.send(c.control, "shutdown_request", map[string]any{"restart": false})
	c.recvReply(c.control, "shutdown_reply")
	select {
	case <-rk.done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return within 2s while a cell was running")
	}
}

func TestHeartbeatEchoes(t *testing.T) {
	_, c := startKernel(t)
	if err := c.hb.Send(zmq4.NewMsg([]byte("ping"))); err != nil {
		t.Fatal(err)
	}
	m, err := c.hb.Recv()
	if err != nil || string(m.Frames[0]) != "ping" {
		t.Errorf("heartbeat = %q, %v; want ping", m.Frames, err)
	}
}

func TestBindsOnlyConnectionIP(t *testing.T) {
	rk, _ := startKernel(t)
	addr := rk.k.shell.Addr().String()
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("shell bound to %s, want 127.0.0.1 only", addr)
	}
}

// TestAbortCountsOnlyRequestsQueuedBeforeTheReply pins the stop_on_error
// rule without racing a client: a request that reaches the queue after the
// failed cell's reply was sent (a client that saw the error and sent the
// next cell, as after an interrupt) runs; one queued before it is aborted.
func TestAbortCountsOnlyRequestsQueuedBeforeTheReply(t *testing.T) {
	p := freePorts(t, 5)
	ci := ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", ShellPort: p[0], ControlPort: p[1],
		StdinPort: p[2], IOPubPort: p[3], HBPort: p[4], Key: "k", SignatureScheme: "hmac-sha256"}
	k, err := New(Config{Connection: ci, Executor: &fakeExecutor{}, Info: Info{Implementation: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	defer k.closeSockets()
	peer := zmq4.NewDealer(context.Background()) // zmq4 holds router sends until some peer has connected
	if err := peer.Dial(ci.endpoint(ci.ShellPort)); err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	req := func(code string) *Message {
		m, err := k.newMessage(nil, "execute_request", map[string]any{"code": code, "stop_on_error": true})
		if err != nil {
			t.Fatal(err)
		}
		m.HeaderRaw, _ = json.Marshal(m.Header)
		m.Identities = [][]byte{[]byte("nobody")} // replies go nowhere; only the queue matters
		return m
	}

	if n := k.execute(req("fail:first")); n != 0 {
		t.Errorf("failed cell with an empty queue asks to abort %d requests, want 0", n)
	}
	late := req("print:late")
	k.shellQ <- late // arrives between the reply and the abort
	k.abortQueued(0)
	if got := <-k.shellQ; got != late {
		t.Error("a request queued after the reply was consumed by the abort")
	}

	queued := req("print:queued")
	k.shellQ <- queued
	n := k.execute(req("fail:second"))
	if n != 1 {
		t.Errorf("failed cell with one request queued asks to abort %d, want 1", n)
	}
	late = req("print:late again")
	k.shellQ <- late
	k.abortQueued(n)
	select {
	case got := <-k.shellQ:
		if got != late {
			t.Errorf("the queue holds %q, want only the late request", got.Content)
		}
	default:
		t.Error("the abort consumed the late request too")
	}
	if len(k.shellQ) != 0 {
		t.Errorf("%d requests left in the queue, want 0", len(k.shellQ))
	}
}
