package transport

import (
	"fmt"
	"io"
	"strings"

	"github.com/iotkernel/iotkernel/internal/framing"
)

// Code running on the board may ask the host for something while it runs
// (a host folder mounted on the board reads its files this way) with a
// framed request beside its output: it prints RequestMark, the request in
// printable ASCII, and a newline, then reads the reply from its standard
// input: ReplyHeader hex digits giving the reply's length, then the reply,
// any bytes but Ctrl-C. The transport takes each request out of the
// output before anything else sees it, so output and requests never mix,
// and answers it through the board's RequestHandler while the cell runs;
// the board reads the reply itself, so no readline echoes it. A board
// (or a process board's pty) acts on Ctrl-C the moment it arrives, so
// the handler escapes that byte.
const (
	// RequestMark starts a request: CAN, which no repr holds and no
	// program prints by chance.
	RequestMark = "\x18"
	// ReplyHeader is the number of hex digits that give a reply's length.
	ReplyHeader = 8
)

// A RequestHandler answers one request from the board (without its mark
// and newline). It runs on the goroutine that reads the cell's output,
// while the board waits; its reply must not hold Ctrl-C. ok false says
// that req is no request of its: a cell printed the mark itself. The
// line then goes to the output as it came, and nothing is sent.
type RequestHandler func(req string) (reply string, ok bool)

// Serve makes h answer the board's requests from now on, for every cell;
// nil stops serving (a request then gets an empty reply).
func (b *Board) Serve(h RequestHandler) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.serve = h
}

// Serving reports whether a RequestHandler answers the board's requests.
func (b *Board) Serving() bool { return b.handler() != nil }

func (b *Board) handler() RequestHandler {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.serve
}

// reply sends the reply to a request on the board's standard input. The
// caller holds the turn: it is the result reader of the running cell.
func (b *Board) reply(text string) error {
	if strings.IndexByte(text, ctrlC) >= 0 {
		return fmt.Errorf("board %s: a reply holds Ctrl-C, which would interrupt the board: %w", b.url, ErrReservedByte)
	}
	c, _ := b.current()
	if c == nil {
		return fmt.Errorf("board %s: %w", b.url, ErrNotConnected)
	}
	if err := c.write(fmt.Appendf(nil, "%0*x%s", ReplyHeader, len(text), text)); err != nil {
		return b.linkError("send a reply", err)
	}
	return nil
}

// requestFilter passes a cell's output through to w, except requests
// framed by RequestMark and a newline, each of which it hands to serve;
// a line that serve does not take (false) is output after all.
type requestFilter struct {
	w     io.Writer
	serve func(req string) (bool, error)

	split framing.Splitter
}

func (f *requestFilter) Write(p []byte) (int, error) {
	if f.split.W == nil {
		f.split = framing.Splitter{Open: RequestMark[0], Close: '\n', W: f.w, OnFrame: func(req []byte) error {
			line := string(req)
			ok, err := f.serve(strings.TrimRight(line, "\r"))
			if err != nil || ok {
				return err
			}
			_, err = io.WriteString(f.w, RequestMark+line+"\n")
			return err
		}}
	}
	return f.split.Write(p)
}
