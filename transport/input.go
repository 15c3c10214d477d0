package transport

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/iotkernel/iotkernel/internal/framing"
)

// IO is a cell's input and output, as os/exec.Cmd's Stdin, Stdout and
// Stderr are a command's.
type IO struct {
	// Stdout receives the cell's output as it arrives, Stderr the board's
	// traceback; either may be nil.
	Stdout, Stderr io.Writer
	// Input answers the cell's input(prompt): it is called with the
	// prompt, on the goroutine that reads the board's output, while the
	// board waits. Its answer is typed on the board's console (control
	// characters as spaces). When it fails because ctx is done, nothing is
	// typed and the cell is interrupted; when it fails otherwise, input()
	// raises OSError with the error's text. Nil: input() raises OSError.
	Input func(ctx context.Context, prompt string) (string, error)
}

// A cell calls input() through a shim that the transport defines on the
// board, once per connection (the board's state is lost with the
// connection), before the first cell that mentions input(. The shim
// frames the prompt between inputMark bytes, which the transport takes
// out of the output to ask IO.Input, then reads the answer, which the
// transport types on the board's console, with the board's own input().
// The board echoes that answer; the transport drops the echo, since the
// asker has the answer already. An answer starting with noInput means
// there is none, and why.
const (
	inputMark = "\x1d" // group separator: never in a repr, never typed
	// noInput starts what the transport types when there is no answer:
	// printable, since a board's readline drops control characters, and
	// since a tty acts on some (Ctrl-Z would stop a process board).
	noInput = "<iotkernel: no input> "
)

// errNoInput is the OSError of input() when IO has no Input.
const errNoInput = "input() cannot ask: this cell was given no input"

// The shim finds the board's input() as a name lookup does, through
// eval with empty globals: MicroPython looks up a replaced builtin only by
// name, so builtins.input is always the C one, and on the Unix port that
// one switches the tty to raw mode with TCSAFLUSH, throwing away an answer
// the kernel typed a moment before; the board program's input() there
// reads the tty as it is. The WebAssembly port runs a cell without
// reading its input, so input() there would wait for ever, and the board
// with it: the shim refuses at once. A cell that deletes or redefines
// input gets what it asked for until the next connection.
var inputShim = `def input(prompt=''):
    import sys
    if sys.platform == 'webassembly':
        raise OSError('input() cannot read on this board: the WebAssembly port takes no input while a cell runs')
    print('` + `\x1d` + `' + str(prompt) + '` + `\x1d` + `', end='')
    s = eval('input', {})('')
    if s.startswith('` + noInput + `'):
        raise OSError(s[` + strconv.Itoa(len(noInput)) + `:])
    return s
`

// mayCallInput reports whether a cell may call input(), and so needs the
// shim and its prompts taken out of its output.
func mayCallInput(code string) bool { return strings.Contains(code, "input(") }

// defineInput defines the input() shim on the board unless this
// connection has it. The caller holds the turn.
func (b *Board) defineInput(ctx context.Context) error {
	if b.hasInput {
		return nil
	}
	if err := b.run(ctx, inputShim, IO{}); err != nil {
		return err
	}
	b.hasInput = true
	return nil
}

// answer asks cio.Input for the answer to prompt and types it, or why
// there is none, on the board. The caller holds the turn: it is the
// result reader of the cell that asks.
func (b *Board) answer(ctx context.Context, cio IO, prompt string) error {
	if cio.Input == nil {
		return b.input(ctx, noInput+errNoInput)
	}
	text, err := cio.Input(ctx, prompt)
	switch {
	case err != nil && ctx.Err() != nil:
		return nil // the reader sends Ctrl-C once this returns
	case err != nil:
		return b.input(ctx, noInput+typeable(err.Error()))
	}
	return b.input(ctx, typeable(text))
}

// typeable makes text safe to type on a board's console: control
// characters (which its readline would act on) become spaces.
func typeable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// input types a line for the running cell, as a user at the board's
// serial console would: text, then a carriage return (a board's readline
// ends the line there). The caller holds the turn: only the result reader
// of the running cell calls it. text must hold no line end and none of
// the raw REPL's control bytes (Ctrl-A to Ctrl-E), which would end or
// interrupt the cell. A line longer than the board's input buffer is
// typed at the pace of the line, as a plain raw upload is: the board's
// readline echoes each byte, and a micro:bit's 64-byte UART buffer would
// drop what came faster. When ctx is done while it types, the rest is not
// typed, and the reader's Ctrl-C ends the cell.
func (b *Board) input(ctx context.Context, text string) error {
	for i := 0; i < len(text); i++ {
		if c := text[i]; (c >= ctrlA && c <= ctrlE) || c == '\r' || c == '\n' {
			return fmt.Errorf("board %s: input holds control byte 0x%02x: %w", b.url, c, ErrReservedByte)
		}
	}
	c, _ := b.current()
	if c == nil {
		return fmt.Errorf("board %s: %w", b.url, ErrNotConnected)
	}
	if err := b.writePaced(ctx, c, []byte(text+"\r")); err != nil && err != ctx.Err() {
		return b.linkError("send input", err)
	}
	return nil
}

// inputFilter passes a cell's output through to w, except prompts framed
// by inputMark: for each, it calls ask with the prompt (ask types the
// answer on the board) and then drops the board's echo of the answer, up
// to and including the next newline.
type inputFilter struct {
	w   io.Writer
	ask func(prompt string) error

	split framing.Splitter
	echo  bool // dropping the echo of an answer
}

func (f *inputFilter) Write(p []byte) (int, error) {
	if f.split.W == nil {
		f.split = framing.Splitter{Open: inputMark[0], Close: inputMark[0], W: echoDropper{f}, OnFrame: func(prompt []byte) error {
			f.echo = true
			return f.ask(string(prompt))
		}}
	}
	return f.split.Write(p)
}

// echoDropper is the text side of an inputFilter: it drops the echo of an
// answer, up to and including its newline, and passes the rest to w.
type echoDropper struct{ f *inputFilter }

func (d echoDropper) Write(p []byte) (int, error) {
	n := len(p)
	if d.f.echo {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			return n, nil
		}
		d.f.echo = false
		p = p[i+1:]
	}
	if len(p) == 0 {
		return n, nil
	}
	_, err := d.f.w.Write(p)
	return n, err
}
