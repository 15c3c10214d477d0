package host

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"sync"
)

// ErrNoInput is what reading standard input returns in a cell whose client
// does not accept input (IO.Input is nil).
var ErrNoInput = errors.New("this client does not accept input: reading standard input needs a notebook or console that allows stdin")

// stream is what interpreted code sees as os.Stdout or os.Stderr, and where
// fmt.Print and log write. It forwards to the writer of the cell running
// now, else of the last cell, so goroutines that outlive their cell keep a
// place to write. Safe for concurrent use.
type stream struct {
	in     *Interp
	stderr bool
}

// panicLine matches what yaegi prints on stderr for each interpreted frame
// a panic unwinds; those lines become the PanicError's traceback instead.
// A frame with no position ("-") is printed as "-: panic: ...".
var panicLine = regexp.MustCompile(`^(?:cell(\d+)/cell\.go:(\d+):(\d+)|-): panic: (.*)\n?$`)

func (s *stream) Write(p []byte) (int, error) {
	in := s.in
	in.mu.Lock()
	w := in.io.Stdout
	if s.stderr {
		w = in.io.Stderr
		if panicLine.Match(p) {
			in.trace = append(in.trace, strings.TrimSuffix(string(p), "\n"))
			in.mu.Unlock()
			return len(p), nil
		}
	}
	in.mu.Unlock()
	if w == nil {
		return len(p), nil
	}
	return w.Write(p)
}

// WriteString makes os.Stdout.WriteString work in cells.
func (s *stream) WriteString(str string) (int, error) { return s.Write([]byte(str)) }

// stdin is what interpreted code sees as os.Stdin: each read that finds
// nothing buffered asks the cell's IO.Input for one line.
type stdin struct {
	in  *Interp
	mu  sync.Mutex
	buf []byte
}

func (r *stdin) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) == 0 {
		in := r.in
		in.mu.Lock()
		input, ctx := in.io.Input, in.ctx
		in.mu.Unlock()
		if input == nil {
			return 0, ErrNoInput
		}
		if ctx == nil {
			ctx = context.Background()
		}
		line, err := input(ctx, "")
		if err != nil {
			return 0, err
		}
		r.buf = append(r.buf, line...)
		r.buf = append(r.buf, '\n')
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// reset drops what the previous cell left unread, as a terminal would
// not carry typed-ahead text from one program to the next.
func (r *stdin) reset() {
	r.mu.Lock()
	r.buf = nil
	r.mu.Unlock()
}

var _ io.Reader = (*stdin)(nil)
