package boardpy

import (
	"io"
	"strings"
	"sync"

	"github.com/iotkernel/iotkernel/internal/framing"
	"github.com/iotkernel/iotkernel/pysource"
)

// resultMark frames the repr of a board cell's last expression in the
// board's stdout. 0x1E (record separator) never appears in a repr (repr
// escapes control characters), so only the kernel's own wrapper prints it.
const resultMark = "\x1e"

// WithResult rewrites a board cell so that, like the Python REPL, the value
// of a final expression statement is shown. The expression is evaluated
// once, after the rest of the cell; its repr is printed between result
// marks, for a ResultFilter, unless it is None. ok is false when the cell
// does not end in an expression.
func WithResult(code string) (wrapped string, ok bool) {
	return withResult(code, "if _ik_r is not None:\n    print('"+`\x1e`+"' + repr(_ik_r) + '"+`\x1e`+"', end='')\n")
}

// withResult evaluates the last expression of code into _ik_r, then runs
// show.
func withResult(code, show string) (wrapped string, ok bool) {
	body, expr, ok := pysource.SplitLastExpression(code)
	if !ok {
		return code, false
	}
	var b strings.Builder
	if strings.TrimSpace(body) != "" {
		b.WriteString(strings.TrimRight(body, "\n"))
		b.WriteString("\n")
	}
	// The newline before ")" keeps a trailing comment in expr harmless.
	b.WriteString("_ik_r = (\n" + strings.TrimRight(expr, "\n") + "\n)\n")
	b.WriteString(show)
	b.WriteString("del _ik_r\n")
	return b.String(), true
}

// A ResultFilter passes a board's stdout through to another writer,
// except the text between result marks, which it keeps as the cell's
// result. It is safe for concurrent use.
type ResultFilter struct {
	mu     sync.Mutex
	f      framing.Splitter
	result string
	found  bool
}

func (f *ResultFilter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.f.Write(p)
}

// NewResultFilter returns a ResultFilter that writes to w.
func NewResultFilter(w io.Writer) *ResultFilter {
	f := &ResultFilter{}
	f.f = framing.Splitter{Open: resultMark[0], Close: resultMark[0], W: w, OnFrame: func(b []byte) error {
		f.result, f.found = string(b), true
		return nil
	}}
	return f
}

// Result returns the captured repr, if a whole one was seen.
func (f *ResultFilter) Result() (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.result, f.found && !f.f.InFrame()
}
