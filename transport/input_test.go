package transport

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/transport/boardtest"
)

// inputBoard is a fake board's handler that knows the input() shim: a
// cell that defines it defines "input"; a cell "x = input('PROMPT')"
// calls it, as the shim does, and prints "got ANSWER"; anything else runs
// in boardtest.Interp. shims counts the shim's definitions.
type inputBoard struct {
	mu    sync.Mutex
	shims int
}

func (ib *inputBoard) handle(r *boardtest.Run) {
	code := strings.TrimSpace(r.Code)
	switch {
	case strings.HasPrefix(code, "def input("):
		ib.mu.Lock()
		ib.shims++
		ib.mu.Unlock()
		r.Set("input", "<function>")
	case strings.HasPrefix(code, "x = input('"):
		if _, ok := r.Get("input"); !ok {
			r.Raise("EOFError", "the board's own input() read nothing")
			return
		}
		prompt := strings.TrimSuffix(strings.TrimPrefix(code, "x = input('"), "')")
		r.Print(inputMark + prompt + inputMark)
		line, ok := r.ReadLine()
		switch {
		case !ok:
			return // interrupted: the board raises KeyboardInterrupt
		case strings.HasPrefix(line, noInput):
			r.Raise("OSError", line[len(noInput):])
		default:
			r.Print("got " + line + "\n")
		}
	default:
		boardtest.Interp(r)
	}
}

func (ib *inputBoard) count() int {
	ib.mu.Lock()
	defer ib.mu.Unlock()
	return ib.shims
}

func TestInput(t *testing.T) {
	ib := &inputBoard{}
	b, _, _ := openFake(t, boardtest.Config{RawPaste: true, Handler: ib.handle}, 0, testOptions())
	ctx := context.Background()
	var prompts []string
	answers := []string{"Ada Lovelace", "tab\there\x04"}
	cio := func(out *bytes.Buffer) IO {
		return IO{Stdout: out, Input: func(ctx context.Context, prompt string) (string, error) {
			prompts = append(prompts, prompt)
			a := answers[0]
			answers = answers[1:]
			return a, nil
		}}
	}
	for _, want := range []string{"got Ada Lovelace\n", "got tab here \n"} {
		var out bytes.Buffer
		if err := b.Run(ctx, "x = input('name? ')", cio(&out)); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if out.String() != want {
			t.Errorf("cell printed %q, want %q (no prompt, no echo)", out.String(), want)
		}
	}
	if strings.Join(prompts, "|") != "name? |name? " {
		t.Errorf("asked %q, want the prompt twice", prompts)
	}
	if n := ib.count(); n != 1 {
		t.Errorf("the shim was defined %d times, want once for the connection", n)
	}
	// A cell that cannot call input() runs alone.
	if err := b.Run(ctx, "print(1)", IO{}); err != nil {
		t.Fatal(err)
	}

	var ee *ExecError
	err := b.Exec(ctx, "x = input('p')", nil, nil)
	if !errors.As(err, &ee) || ee.Type != "OSError" || ee.Value != errNoInput {
		t.Errorf("input() with no Input: %v, want OSError: %s", err, errNoInput)
	}
	err = b.Run(ctx, "x = input('p')", IO{Input: func(context.Context, string) (string, error) {
		return "", errors.New("no input\there")
	}})
	if !errors.As(err, &ee) || ee.Type != "OSError" || ee.Value != "no input here" {
		t.Errorf("input() whose Input fails: %v, want OSError: no input here", err)
	}

	// An interrupt while the asker waits: nothing is typed, and the cell
	// ends with KeyboardInterrupt.
	cctx, cancel := context.WithCancel(ctx)
	err = b.Run(cctx, "x = input('p')", IO{Input: func(ctx context.Context, prompt string) (string, error) {
		cancel()
		<-ctx.Done()
		return "", ctx.Err()
	}})
	if !errors.As(err, &ee) || ee.Type != "KeyboardInterrupt" {
		t.Errorf("input() interrupted: %v, want KeyboardInterrupt", err)
	}

	// A reset loses the shim with the rest of the board's state.
	if err := b.SoftReset(ctx, nil); err != nil {
		t.Fatal(err)
	}
	answers = []string{"again"}
	var out bytes.Buffer
	if err := b.Run(ctx, "x = input('p')", cio(&out)); err != nil || out.String() != "got again\n" {
		t.Errorf("input() after a soft reset: %q, %v", out.String(), err)
	}
	if n := ib.count(); n != 2 {
		t.Errorf("the shim was defined %d times, want twice: once more after the reset", n)
	}
}

// TestInputLongAnswerNoLoss types an answer longer than the board's
// 64-byte input buffer, on a board that reads no faster than the line
// delivers: paced, it arrives whole. The control, a host that believes
// the buffer is big, loses part of it, so the fake can tell.
func TestInputLongAnswerNoLoss(t *testing.T) {
	answer := strings.Repeat("0123456789abcdef", 12) // 192 bytes
	for _, c := range []struct {
		name     string
		buffer   int
		wantLoss bool
	}{{"paced", 64, false}, {"unpaced control", 1 << 20, true}} {
		ib := &inputBoard{}
		cfg := boardtest.Config{RawPaste: true, InputBuffer: 64, ConsumeRate: boardtest.LineRate115200, Handler: ib.handle}
		opts := testOptions()
		opts.InputBuffer = c.buffer
		b, fb, _ := openFake(t, cfg, 0, opts)
		var out bytes.Buffer
		// A line that lost its end is never read: the deadline interrupts.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := b.Run(ctx, "x = input('long? ')", IO{Stdout: &out, Input: func(context.Context, string) (string, error) {
			return answer, nil
		}})
		cancel()
		lost := fb.Stats().Dropped
		switch {
		case c.wantLoss && lost == 0:
			t.Errorf("%s: no byte dropped: the fake's buffer does not overflow", c.name)
		case !c.wantLoss && (err != nil || out.String() != "got "+answer+"\n" || lost != 0):
			t.Errorf("%s: cell printed %q, err %v, %d bytes dropped; want the whole answer", c.name, out.String(), err, lost)
		}
	}
}

// TestInputFilterAtEveryChunking feeds a prompt and an echo split at
// every byte.
func TestInputFilterAtEveryChunking(t *testing.T) {
	stream := "before\n\x1dname? \x1dAda\nafter\n"
	for size := 1; size <= len(stream); size++ {
		var out bytes.Buffer
		var prompts []string
		f := &inputFilter{w: &out, ask: func(p string) error { prompts = append(prompts, p); return nil }}
		for i := 0; i < len(stream); i += size {
			f.Write([]byte(stream[i:min(i+size, len(stream))]))
		}
		if out.String() != "before\nafter\n" || strings.Join(prompts, "|") != "name? " {
			t.Errorf("chunks of %d: out %q, prompts %q", size, out.String(), prompts)
		}
	}
}

func TestInputRefusesControlBytes(t *testing.T) {
	b, _, _ := openFake(t, boardtest.Config{}, 0, testOptions())
	for _, text := range []string{"a\rb", "a\nb", "\x03", "\x04"} {
		if err := b.input(context.Background(), text); !errors.Is(err, ErrReservedByte) {
			t.Errorf("input(%q) = %v, want ErrReservedByte", text, err)
		}
	}
}
