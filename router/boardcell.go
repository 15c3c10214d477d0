package router

import (
	"bytes"
	"io"
	"strings"
)

// Board cells that call input() get this input in their namespace first:
// it frames the prompt between inputMark bytes, which the kernel takes
// out of the stream to ask the notebook user, then reads the answer the
// kernel types on the board's console with the board's own input(). The
// board echoes that answer; the kernel hides the echo, since the notebook
// shows the answer itself. An answer of noStdin means the notebook
// allows no input (allow_stdin false).
const (
	inputMark = "\x1d" // group separator: never in a repr, never typed
	// noStdin is what the kernel types when it may not ask: printable,
	// since a board's readline drops control characters, and since a tty
	// acts on some (Ctrl-Z would stop a process board).
	noStdin = "<iotkernel: no stdin>"
)

// The shim finds the board's input() as a name lookup does, through
// eval with empty globals: MicroPython looks up a replaced builtin only by
// name, so builtins.input is always the C one, and on the Unix port that
// one switches the tty to raw mode with TCSAFLUSH, throwing away an answer
// the kernel typed a moment before; the board program's input() there
// reads the tty as it is. The WebAssembly port runs a cell without
// reading its input, so input() there would wait for ever, and the board
// with it: the shim refuses at once.
var inputShim = `def input(prompt=''):
    import sys
    if sys.platform == 'webassembly':
        raise OSError('input() cannot read on this board: the WebAssembly port takes no input while a cell runs')
    print('` + `\x1d` + `' + str(prompt) + '` + `\x1d` + `', end='')
    s = eval('input', {})('')
    if s == '` + noStdin + `':
        raise OSError('input() cannot ask: this notebook client does not allow input (allow_stdin is false)')
    return s
`

// callsInput reports whether a board cell may call input().
func callsInput(code string) bool { return strings.Contains(code, "input(") }

// inputFilter passes a board's stdout through to w, except prompts framed
// by inputMark: for each, it calls ask with the prompt (ask types the
// answer on the board) and then drops the board's echo of the answer, up
// to and including the next newline.
type inputFilter struct {
	w   io.Writer
	ask func(prompt string) error

	in     bool // inside the marks
	prompt bytes.Buffer
	echo   bool // dropping the echo of an answer
}

func (f *inputFilter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		switch {
		case f.echo:
			i := bytes.IndexByte(p, '\n')
			if i < 0 {
				return n, nil
			}
			f.echo = false
			p = p[i+1:]
		case f.in:
			i := bytes.IndexByte(p, inputMark[0])
			if i < 0 {
				f.prompt.Write(p)
				return n, nil
			}
			f.prompt.Write(p[:i])
			p = p[i+1:]
			f.in, f.echo = false, true
			prompt := f.prompt.String()
			f.prompt.Reset()
			if err := f.ask(prompt); err != nil {
				return n, err
			}
		default:
			i := bytes.IndexByte(p, inputMark[0])
			if i < 0 {
				_, err := f.w.Write(p)
				return n, err
			}
			if i > 0 {
				if _, err := f.w.Write(p[:i]); err != nil {
					return n, err
				}
			}
			f.in = true
			p = p[i+1:]
		}
	}
	return n, nil
}
