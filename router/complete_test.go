package router

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/kernel"
	"github.com/iotkernel/iotkernel/kernel/kerneltest"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

// localSession is a Session connected to the real MicroPython Unix port.
// A missing board skips the test (fails it under make test), saying how to
// install it.
func localSession(t *testing.T) *Session {
	t.Helper()
	t.Setenv("IOTKERNEL_MICROPYTHON", realboard.UnixPort(t))
	work := t.TempDir()
	t.Setenv("IOTKERNEL_STORE", filepath.Join(work, "store.json"))
	t.Setenv("IOTKERNEL_BOARDS", filepath.Join(work, "boards.json"))
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	run(t, s, "%connect local -q")
	return s
}

// run executes a cell that must succeed and returns its stdout and result.
func run(t *testing.T, s *Session, cell string) (stdout, result string) {
	t.Helper()
	rec := &kerneltest.Recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Execute(ctx, cell, rec); err != nil {
		t.Fatalf("cell %q: %v (stderr %q)", cell, err, rec.Output().Stderr)
	}
	return rec.Output().Stdout, rec.Output().Result
}

func complete(s *Session, code string) kernel.Completion {
	return s.Complete(context.Background(), code, len([]rune(code)))
}

func TestCompleteMagicNames(t *testing.T) {
	s, err := NewSession(Options{StorePath: filepath.Join(t.TempDir(), "store.json")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tt := range []struct {
		code       string
		want       []string // all of these, and only names starting alike
		start, end int
	}{
		{"%soft", []string{"softreset"}, 1, 5},
		{"%s", []string{"softreset", "store", "synctime"}, 1, 2},
		{"x = 1\n%sto", []string{"store"}, 7, 10},
		{"%%ho", []string{"%host"}, 1, 4}, // cell magics
		{"%store x", nil, 0, 0},
		{"# é\n%lsm", []string{"lsmagic"}, 5, 8}, // offsets count runes
	} {
		c := complete(s, tt.code)
		for _, w := range tt.want {
			if !slices.Contains(c.Matches, w) {
				t.Errorf("Complete(%q) = %q, want it to hold %q", tt.code, c.Matches, w)
			}
		}
		if tt.want == nil && len(c.Matches) > 0 {
			t.Errorf("Complete(%q) = %q, want nothing", tt.code, c.Matches)
		}
		if tt.want != nil && (c.CursorStart != tt.start || c.CursorEnd != tt.end) {
			t.Errorf("Complete(%q) replaces %d..%d, want %d..%d", tt.code, c.CursorStart, c.CursorEnd, tt.start, tt.end)
		}
		typed := tt.code[strings.LastIndexByte(tt.code, '\n')+2:] // the line after its first '%'
		for _, m := range c.Matches {
			if !strings.HasPrefix(m, typed) {
				t.Errorf("Complete(%q) offers %q", tt.code, m)
			}
		}
	}
}

func TestBoardCompletion(t *testing.T) {
	s := localSession(t)
	run(t, s, `sensor_value = 42
calls = []
def reading():
    calls.append(1)
    return 1
class Thing:
    limit = 5
    def read(self):
        return 1
thing = Thing()`)

	for _, tt := range []struct {
		code       string
		want       []string
		start, end int
	}{
		{"sens", []string{"sensor_value"}, 0, 4},
		{"pri", []string{"print"}, 0, 3},                        // builtins
		{"thing.", []string{"thing.limit", "thing.read"}, 0, 6}, // attributes
		{"x = thing.li", []string{"thing.limit"}, 4, 12},
		{"s = 'é'\nsensor_v", []string{"sensor_value"}, 8, 16}, // runes
		{"if x:\n    thing.re", []string{"thing.read"}, 10, 18},
	} {
		c := complete(s, tt.code)
		if !slices.Equal(c.Matches, tt.want) && !(len(tt.want) > 1 && containsAll(c.Matches, tt.want)) {
			t.Errorf("Complete(%q) = %q, want %q", tt.code, c.Matches, tt.want)
		}
		if c.CursorStart != tt.start || c.CursorEnd != tt.end {
			t.Errorf("Complete(%q) replaces %d..%d, want %d..%d", tt.code, c.CursorStart, c.CursorEnd, tt.start, tt.end)
		}
	}
	// Completion never runs the cell ("import sys" is not imported) and
	// never evaluates more than names and attributes.
	for _, code := range []string{
		"import sys\nsys.", // sys is not imported on the board
		"reading().",       // a call: never evaluated
		"x[0].",            // indexing: never evaluated
		".",                // nothing before the dot
		"nosuchname.",      // an unknown name: no error, no names
		"_ik_",             // the helper's own name is never offered
		"'abc'.",           // a literal
	} {
		if c := complete(s, code); len(c.Matches) > 0 {
			t.Errorf("Complete(%q) = %q, want nothing", code, c.Matches)
		}
	}
	if _, res := run(t, s, "len(calls), 'sys' in globals(), [n for n in globals() if n.startswith('_ik_')]"); res != "(0, False, [])" {
		t.Errorf("after completions the board has (calls, sys imported, helpers left) = %s, want (0, False, [])", res)
	}
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

func TestBoardInspect(t *testing.T) {
	s := localSession(t)
	run(t, s, "sensor_value = 42\nclass Thing:\n    'A thing with a doc.'\n    limit = 5\nthing = Thing()\nlong = 'x' * 5000")
	for _, tt := range []struct {
		code   string
		cursor int
		want   []string // substrings, in order
	}{
		{"sensor_value", 3, []string{"sensor_value: int\n42"}},
		{"print(sensor_value)", 10, []string{"sensor_value: int\n42"}}, // the name under the cursor
		{"thing.limit + 1", 8, []string{"thing.limit: int\n5"}},
		{"Thing", 5, []string{"Thing: type\n<class 'Thing'>"}}, // MicroPython keeps no docstrings
		{"long", 2, []string{"long: str\n'xxxx", "..."}},
	} {
		b, ok := s.Inspect(context.Background(), tt.code, tt.cursor, 0)
		text, _ := b["text/plain"].(string)
		if !ok {
			t.Errorf("Inspect(%q, %d): not found", tt.code, tt.cursor)
			continue
		}
		rest := text
		for _, w := range tt.want {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Errorf("Inspect(%q, %d) = %q, want it to hold %q", tt.code, tt.cursor, text, w)
				break
			}
			rest = rest[i+len(w):]
		}
		if len(text) > 2200 {
			t.Errorf("Inspect(%q) is %d bytes: a long repr must be cut", tt.code, len(text))
		}
	}
	for _, code := range []string{"nosuchname", "f(", "1 + 2", ""} {
		if b, ok := s.Inspect(context.Background(), code, len(code), 0); ok {
			t.Errorf("Inspect(%q) = %q, want not found", code, b["text/plain"])
		}
	}
}

// While a cell runs on the board, completion and inspection answer
// nothing at once, and the running cell's output is untouched.
func TestBoardQueriesWaitForIdle(t *testing.T) {
	s := localSession(t)
	run(t, s, "import time\nsensor_value = 42")
	done := make(chan *kerneltest.Recorder)
	go func() {
		rec := &kerneltest.Recorder{}
		s.Execute(context.Background(), "for i in range(3):\n    print('tick', i)\n    time.sleep(0.3)", rec)
		done <- rec
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !s.running.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the cell did not start")
		}
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	c := complete(s, "sens")
	_, found := s.Inspect(context.Background(), "sensor_value", 3, 0)
	if len(c.Matches) > 0 || found {
		t.Errorf("while a cell runs: Complete = %q, Inspect found = %v; want nothing", c.Matches, found)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("completion waited %v for the running cell; it must answer at once", d)
	}
	rec := <-done
	if got, want := rec.Output().Stdout, "tick 0\ntick 1\ntick 2\n"; got != want {
		t.Errorf("the running cell printed %q, want %q", got, want)
	}
	if c := complete(s, "sens"); !slices.Equal(c.Matches, []string{"sensor_value"}) {
		t.Errorf("after the cell: Complete(\"sens\") = %q, want [sensor_value]", c.Matches)
	}
}
