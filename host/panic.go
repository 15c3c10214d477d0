package host

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"runtime"
	"strconv"
	"strings"

	"github.com/traefik/yaegi/interp"
)

// DefaultMaxCallDepth is how deep interpreted calls may nest when
// Options.MaxCallDepth is zero.
const DefaultMaxCallDepth = 10000

// RecursionError is a cell's call that nested deeper than the call-depth
// limit: runaway recursion, stopped before Go's stack overflow, which would
// end the kernel. It unwraps to its PanicError, whose traceback has the
// repeated frames folded.
type RecursionError struct {
	PanicError
	Depth int
	Line  int // of the call that went too deep, in its cell; 0 if unknown
}

func (e *RecursionError) Error() string { return e.PanicError.Value }

func (e *RecursionError) Unwrap() error { return &e.PanicError }

// recursionValue is the panic value shown for a RecursionError.
func recursionValue(depth int, where string) string {
	v := fmt.Sprintf("RecursionError: maximum call depth exceeded (%d nested calls)", depth)
	if where != "" {
		v += " at " + where
	}
	return v
}

// panicText is a panic's value as Go itself would word it. The
// interpreter runs cells through reflect, so a nil pointer, a nil func or
// an index out of range in a cell reaches it as reflect's complaint (a
// zero Value, an index out of range in reflect): the cell's author wrote
// Go and is shown Go's runtime error, with the interpreter's words after
// it. The interpreter's position of a failed type assertion ("cell3/
// cell.go:2:6: ") goes: the traceback names the line. Other values are
// shown as fmt prints them.
func panicText(value any) string {
	s := fmt.Sprint(value)
	if m := posError.FindStringSubmatch(s); m != nil && strings.HasPrefix(m[4], "interface conversion: ") {
		return m[4]
	}
	var ve *reflect.ValueError
	err, _ := value.(error)
	switch {
	case errors.As(err, &ve) && ve.Kind == reflect.Invalid,
		s == "reflect.Value.Call: call of nil function":
		return "runtime error: invalid memory address or nil pointer dereference (the interpreter's words: " + s + ")"
	case s == "reflect: slice index out of range", s == "reflect: array index out of range", s == "reflect: string index out of range":
		return "runtime error: index out of range (the interpreter's words: " + s + ")"
	}
	return s
}

// goPanic receives the panics that yaegi recovered in goroutines started
// by cells and in cells' functions called by compiled code on goroutines
// of its own. It shows them on the stderr of the cell running now, else of
// the last cell, which the goroutine outlived.
func (in *Interp) goPanic(p interp.GoPanic) {
	in.mu.Lock()
	w, current := in.io.Stderr, in.cells
	cell, line := cellLine(p.Pos.Filename, p.Pos.Line)
	src := in.srcLine(cell, line)
	var frames []string
	for _, f := range p.Frames {
		m := panicLine.FindStringSubmatch(f)
		if m == nil || m[1] == "" {
			continue
		}
		c, _ := strconv.Atoi(m[1])
		l, _ := strconv.Atoi(m[2])
		fn := strings.TrimPrefix(strings.TrimSuffix(m[4], "(...)"), "main.")
		frame := fmt.Sprintf("at %s, in %s", placeName(c, l, current), fn)
		if s := in.srcLine(c, l); s != "" {
			frame += ": " + s
		}
		frames = append(frames, frame)
	}
	in.mu.Unlock()

	where := placeName(cell, line, current)
	var b strings.Builder
	if p.Callback {
		fmt.Fprintf(&b, "panic in a function that Go code called on a goroutine of its own (the function is at %s): %s\n", where, panicText(p.Value))
	} else {
		fmt.Fprintf(&b, "panic in a goroutine started at %s: %s\n", where, panicText(p.Value))
	}
	if src != "" {
		fmt.Fprintf(&b, "    %s\n", src)
	}
	for _, f := range foldRepeats(frames) {
		b.WriteString("  " + f + "\n")
	}
	var depth interp.CallDepthError
	if err, ok := p.Value.(error); ok && errors.As(err, &depth) {
		b.WriteString("(runaway recursion, stopped)\n")
	}
	b.WriteString("The goroutine ended; the kernel and its definitions are kept.\n")
	if w != nil {
		_, _ = w.Write([]byte(b.String()))
	}
	in.log.Warn("host: recovered a goroutine's panic", "value", fmt.Sprint(p.Value), "at", p.Pos.String())
	if p.Callback && onStack("net/http.(*conn).serve") {
		// As net/http does for a handler's panic: drop the connection,
		// so that the client sees the request fail, not an empty 200.
		panic(http.ErrAbortHandler)
	}
}

// placeName names line of cell for a report shown in cell current.
func placeName(cell, line, current int) string {
	switch cell {
	case current:
		return fmt.Sprintf("line %d of this cell", line)
	case 0:
		return "an unknown place"
	}
	return fmt.Sprintf("line %d of an earlier cell", line)
}

// srcLine returns line of cell, trimmed; "" if unknown. in.mu is held.
func (in *Interp) srcLine(cell, line int) string {
	if lines := in.srcs[cell]; line >= 1 && line <= len(lines) {
		return strings.TrimSpace(lines[line-1])
	}
	return ""
}

// cellLine reads the cell number from a position's file name (cellN/cell.go).
func cellLine(file string, line int) (cell, l int) {
	rest, ok := strings.CutPrefix(file, "cell")
	if !ok {
		return 0, line
	}
	n, err := strconv.Atoi(strings.TrimSuffix(rest, "/cell.go"))
	if err != nil {
		return 0, line
	}
	return n, line
}

// onStack reports whether the function named fn is on the caller's stack.
func onStack(fn string) bool {
	pcs := make([]uintptr, 256)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if f.Function == fn {
			return true
		}
		if !more {
			return false
		}
	}
}
