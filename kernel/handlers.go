package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"runtime/debug"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-zeromq/zmq4"
)

// Typed contents of the requests this kernel answers.
type executeRequest struct {
	Code         string `json:"code"`
	Silent       bool   `json:"silent"`
	StoreHistory *bool  `json:"store_history"`
	AllowStdin   *bool  `json:"allow_stdin"`
	StopOnError  *bool  `json:"stop_on_error"`
}

type codeCursorRequest struct {
	Code        string `json:"code"`
	CursorPos   *int   `json:"cursor_pos"`
	DetailLevel int    `json:"detail_level"`
}

type shutdownRequest struct {
	Restart bool `json:"restart"`
}

type commOpen struct {
	CommID     string `json:"comm_id"`
	TargetName string `json:"target_name"`
}

type inputReply struct {
	Value string `json:"value"`
}

func boolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

// requestHandler answers one request on the socket it came from, between
// the busy and idle that serve puts around it.
type requestHandler func(k *Kernel, sock zmq4.Socket, mu *sync.Mutex, m *Message)

// shellHandlers answer every shell request but execute_request, which
// handleShell runs itself because a failure may abort the queue behind it.
var shellHandlers = map[string]requestHandler{
	"kernel_info_request": (*Kernel).kernelInfoReply,
	"complete_request":    (*Kernel).complete,
	"inspect_request":     (*Kernel).inspect,
	"is_complete_request": (*Kernel).isComplete,
	"history_request":     (*Kernel).handleHistory,
	"comm_info_request": func(k *Kernel, sock zmq4.Socket, mu *sync.Mutex, m *Message) {
		k.reply(sock, mu, m, "comm_info_reply", map[string]any{"status": "ok", "comms": map[string]any{}})
	},
	"comm_open": (*Kernel).commOpen,
	// Nothing listens to comms; dropping is what the spec asks for unknown ones.
	"comm_msg":         func(*Kernel, zmq4.Socket, *sync.Mutex, *Message) {},
	"comm_close":       func(*Kernel, zmq4.Socket, *sync.Mutex, *Message) {},
	"shutdown_request": (*Kernel).shutdown,
}

// controlHandlers answer control requests on the control goroutine, so an
// interrupt reaches a cell that keeps the shell worker busy.
var controlHandlers = map[string]requestHandler{
	"kernel_info_request": (*Kernel).kernelInfoReply,
	"interrupt_request": func(k *Kernel, sock zmq4.Socket, mu *sync.Mutex, m *Message) {
		k.Interrupt()
		k.reply(sock, mu, m, "interrupt_reply", map[string]string{"status": "ok"})
	},
	"shutdown_request": (*Kernel).shutdown,
}

// handleShell answers one shell request with busy first and idle last.
func (k *Kernel) handleShell(m *Message) {
	if m.requestErr != nil {
		k.refuse("shell", k.shell, &k.shellMu, m)
		return
	}
	if m.Header.MsgType == "execute_request" {
		k.busy(m)
		queued := k.execute(m)
		k.idle(m)
		k.abortQueued(queued)
		return
	}
	k.serve("shell", shellHandlers, k.shell, &k.shellMu, m)
}

// handleControl answers one control request with busy first and idle last.
func (k *Kernel) handleControl(m *Message) {
	if m.requestErr != nil {
		k.refuse("control", k.control, &k.controlMu, m)
		return
	}
	k.serve("control", controlHandlers, k.control, &k.controlMu, m)
}

// serve runs the handler for m's type between busy and idle; a type the
// channel does not answer is logged and dropped.
func (k *Kernel) serve(channel string, handlers map[string]requestHandler, sock zmq4.Socket, mu *sync.Mutex, m *Message) {
	h, ok := handlers[m.Header.MsgType]
	if !ok {
		k.log.Warn("unsupported message type; dropped", "channel", channel, "msg_type", m.Header.MsgType)
		return
	}
	if m.Header.MsgType == "kernel_info_request" {
		k.awaitSubscriber()
	}
	k.busy(m)
	defer k.idle(m)
	h(k, sock, mu, m)
}

// refuse answers a request that cannot be served (m.requestErr) with an
// error reply of the request's type, between busy and idle, so that the
// client stops waiting. A message that is not a request has nobody
// waiting for an answer: it is dropped (its problem was logged).
func (k *Kernel) refuse(channel string, sock zmq4.Socket, mu *sync.Mutex, m *Message) {
	prefix, ok := strings.CutSuffix(m.Header.MsgType, "_request")
	if !ok {
		k.log.Warn("dropped message", "channel", channel, "msg_type", m.Header.MsgType, "err", m.requestErr)
		return
	}
	content := map[string]any{
		"status": "error", "ename": m.requestErr.Name, "evalue": m.requestErr.Value, "traceback": []string{},
	}
	if m.Header.MsgType == "execute_request" && channel == "shell" {
		content["execution_count"] = k.count // read on the worker, its owner
	}
	k.busy(m)
	k.reply(sock, mu, m, prefix+"_reply", content)
	k.idle(m)
}

func (k *Kernel) kernelInfoReply(sock zmq4.Socket, mu *sync.Mutex, m *Message) {
	k.reply(sock, mu, m, "kernel_info_reply", k.kernelInfo())
}

func (k *Kernel) isComplete(sock zmq4.Socket, mu *sync.Mutex, m *Message) {
	var req codeCursorRequest
	if err := k.decodeContent(m, &req); err != nil {
		k.replyError(sock, mu, m, "is_complete_reply", err)
		return
	}
	status, indent := k.cfg.Executor.IsComplete(req.Code)
	content := map[string]string{"status": status}
	if status == "incomplete" {
		content["indent"] = indent
	}
	k.reply(sock, mu, m, "is_complete_reply", content)
}

// commOpen answers a comm_open: no comm targets exist, so the frontend is
// told the comm is closed and does not wait on it.
func (k *Kernel) commOpen(_ zmq4.Socket, _ *sync.Mutex, m *Message) {
	var c commOpen
	if k.decodeContent(m, &c) == nil && c.CommID != "" {
		k.publish(m, "comm_close", map[string]any{"comm_id": c.CommID, "data": map[string]any{}})
	}
}

func (k *Kernel) shutdown(sock zmq4.Socket, mu *sync.Mutex, m *Message) {
	var req shutdownRequest
	_ = k.decodeContent(m, &req) // a bad body still means "shut down"
	k.reply(sock, mu, m, "shutdown_reply", map[string]any{"status": "ok", "restart": req.Restart})
	select {
	case k.shutdownReq <- req.Restart:
	default: // already shutting down
	}
}

func (k *Kernel) kernelInfo() map[string]any {
	info := k.cfg.Info
	links := info.HelpLinks
	if links == nil {
		links = []HelpLink{}
	}
	return map[string]any{
		"status":                 "ok",
		"protocol_version":       ProtocolVersion,
		"implementation":         info.Implementation,
		"implementation_version": info.ImplementationVersion,
		"language_info":          info.LanguageInfo,
		"banner":                 info.Banner,
		"debugger":               false,
		"help_links":             links,
	}
}

// replyError answers a request whose content could not be used.
func (k *Kernel) replyError(sock zmq4.Socket, mu *sync.Mutex, m *Message, msgType string, err error) {
	k.reply(sock, mu, m, msgType, map[string]any{
		"status": "error", "ename": "BadRequest", "evalue": err.Error(), "traceback": []string{},
	})
}

// cursorOrEnd returns the request's cursor clamped to the code's length in
// runes (cursor_pos counts code points; a missing one means the end).
func cursorOrEnd(req codeCursorRequest) int {
	n := utf8.RuneCountInString(req.Code)
	if req.CursorPos == nil || *req.CursorPos > n || *req.CursorPos < 0 {
		return n
	}
	return *req.CursorPos
}

func (k *Kernel) complete(sock zmq4.Socket, mu *sync.Mutex, m *Message) {
	var req codeCursorRequest
	if err := k.decodeContent(m, &req); err != nil {
		k.replyError(sock, mu, m, "complete_reply", err)
		return
	}
	cursor := cursorOrEnd(req)
	c := k.cfg.Executor.Complete(context.Background(), req.Code, cursor)
	if c.Matches == nil {
		c.Matches = []string{}
		c.CursorStart, c.CursorEnd = cursor, cursor
	}
	if c.Metadata == nil {
		c.Metadata = map[string]any{}
	}
	k.reply(sock, mu, m, "complete_reply", map[string]any{
		"status": "ok", "matches": c.Matches, "cursor_start": c.CursorStart,
		"cursor_end": c.CursorEnd, "metadata": c.Metadata,
	})
}

func (k *Kernel) inspect(sock zmq4.Socket, mu *sync.Mutex, m *Message) {
	var req codeCursorRequest
	if err := k.decodeContent(m, &req); err != nil {
		k.replyError(sock, mu, m, "inspect_reply", err)
		return
	}
	data, found := k.cfg.Executor.Inspect(context.Background(), req.Code, cursorOrEnd(req), req.DetailLevel)
	if data == nil || !found {
		data, found = MIMEBundle{}, false
	}
	k.reply(sock, mu, m, "inspect_reply", map[string]any{
		"status": "ok", "found": found, "data": data, "metadata": map[string]any{},
	})
}

// execute runs an execute_request between the caller's busy and idle.
// It returns how many requests to abort: those already queued when a cell
// with stop_on_error failed, counted before its reply goes out, so that a
// request the client sends after seeing the reply is never among them.
func (k *Kernel) execute(m *Message) (abort int) {
	var req executeRequest
	if err := k.decodeContent(m, &req); err != nil {
		k.replyError(k.shell, &k.shellMu, m, "execute_reply", err)
		return 0
	}
	storeHistory := boolOr(req.StoreHistory, !req.Silent)
	stopOnError := boolOr(req.StopOnError, true)
	if storeHistory {
		k.count++
	}
	count := k.count
	if !req.Silent {
		k.publish(m, "execute_input", map[string]any{"code": req.Code, "execution_count": count})
	}

	ctx, cancel := context.WithCancelCause(context.Background())
	k.runMu.Lock()
	k.runCancel = cancel
	k.runMu.Unlock()

	out := newCellOutput(k, m, req.Silent, boolOr(req.AllowStdin, true), count)
	err := k.runCell(ctx, req.Code, out)
	out.end()

	k.runMu.Lock()
	k.runCancel = nil
	k.runMu.Unlock()
	cancel(nil)

	if storeHistory {
		k.history.add(req.Code, out.resultText())
	}
	if err == nil {
		k.reply(k.shell, &k.shellMu, m, "execute_reply", map[string]any{
			"status": "ok", "execution_count": count, "payload": out.payload(), "user_expressions": map[string]any{},
		})
		return 0
	}
	ce := asCellError(err)
	if !req.Silent {
		k.publish(m, "error", map[string]any{
			"ename": ce.Name, "evalue": ce.Value, "traceback": ce.Traceback,
		})
	}
	if stopOnError {
		abort = len(k.shellQ)
	}
	k.reply(k.shell, &k.shellMu, m, "execute_reply", map[string]any{
		"status": "error", "execution_count": count,
		"ename": ce.Name, "evalue": ce.Value, "traceback": ce.Traceback,
	})
	return abort
}

// runCell calls the executor, turning a panic in it into an error: no
// handler may take the kernel down.
func (k *Kernel) runCell(ctx context.Context, code string, out *cellOutput) (err error) {
	defer func() {
		if r := recover(); r != nil {
			k.log.Error("executor panicked", "panic", r, "stack", string(debug.Stack()))
			err = &CellError{Name: "InternalError", Value: "the kernel failed running this cell (a bug; please report it)",
				Traceback: []string{}}
		}
	}()
	return k.cfg.Executor.Execute(ctx, code, out)
}

// asCellError gives any error the ename/evalue/traceback shape.
func asCellError(err error) *CellError {
	var ce *CellError
	if errors.As(err, &ce) {
		c := *ce
		if c.Traceback == nil {
			c.Traceback = []string{}
		}
		if c.Name == "" {
			c.Name = "Error"
		}
		return &c
	}
	if errors.Is(err, context.Canceled) {
		return &CellError{Name: "KeyboardInterrupt", Value: "interrupted", Traceback: []string{"KeyboardInterrupt: interrupted"}}
	}
	return &CellError{Name: "Error", Value: err.Error(), Traceback: []string{err.Error()}}
}

// abortQueued answers the next n queued execute_requests, the ones that
// were waiting behind a failed cell, with an error instead of running them
// ("Run All" sends its cells at once, so they are queued by then). Requests
// that arrive later run: a client that sends the next cell after seeing the
// error (nbclient with allow_errors) wants it run. Other requests among the
// n are served normally.
func (k *Kernel) abortQueued(n int) {
	for ; n > 0; n-- {
		var m *Message
		select {
		case m = <-k.shellQ:
		default:
			return
		}
		if m.Header.MsgType != "execute_request" {
			k.handleShell(m)
			continue
		}
		k.busy(m)
		k.reply(k.shell, &k.shellMu, m, "execute_reply", map[string]any{
			"status": "error", "execution_count": k.count,
			"ename": "ExecutionAborted", "evalue": "not run because an earlier cell failed",
			"traceback": []string{},
		})
		k.idle(m)
	}
}

// stdinRequest sends input_request for the cell of req and waits for the
// answer or ctx.
func (k *Kernel) stdinRequest(ctx context.Context, req *Message, prompt string, password bool) (string, error) {
	for drained := false; !drained; { // forget answers nobody waited for
		select {
		case <-k.inputReply:
		default:
			drained = true
		}
	}
	m, err := k.newMessage(req, "input_request", map[string]any{"prompt": prompt, "password": password})
	if err != nil {
		return "", err
	}
	m.Identities = req.Identities
	if err := k.send(k.stdin, &k.stdinMu, m); err != nil {
		return "", err
	}
	select {
	case <-ctx.Done():
		return "", context.Cause(ctx)
	case r := <-k.inputReply:
		var c inputReply
		if err := json.Unmarshal(r.Content, &c); err != nil {
			return "", errors.New("the client's input_reply was malformed")
		}
		return c.Value, nil
	}
}
