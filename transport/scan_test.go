package transport

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// scanAll feeds everything r yields to a scanner and returns what it
// wrote, the event and the bytes left after it.
func scanAll(start phase, r io.Reader) (stdout, stderr string, ev event, rest string, reset string) {
	var out, errOut bytes.Buffer
	tout, terr := newTextWriter(&out), newTextWriter(&errOut)
	sc := newScanner(start, tout, terr)
	buf := make([]byte, 64)
	var left []byte
	for ev == evMore {
		n, err := r.Read(buf)
		p := buf[:n]
		for len(p) > 0 && ev == evMore {
			k, e := sc.feed(p)
			ev = e
			p = p[k:]
		}
		left = append(left, p...)
		if err != nil {
			break
		}
	}
	if ev != evMore {
		rest, _ := io.ReadAll(r)
		left = append(left, rest...)
	}
	tout.Flush()
	terr.Flush()
	return out.String(), errOut.String(), ev, string(left), sc.reset
}

func TestScanner(t *testing.T) {
	tests := []struct {
		name   string
		start  phase
		in     string
		stdout string
		stderr string
		ev     event
		rest   string
	}{
		{"plain ok", phaseOK, "OKhi\r\n\x04\x04>", "hi\n", "", evDone, ""},
		{"traceback", phaseOK, "OK\x04Traceback (most recent call last):\r\nNameError: x\r\n\x04>", "", "Traceback (most recent call last):\nNameError: x\n", evDone, ""},
		{"noise before OK", phaseOK, "\x00zzOOKout\x04\x04>", "out", "", evDone, ""},
		{"paste ack", phaseAck, "\x01\x01\x04a\x04\x04>", "a", "", evDone, ""},
		{"rest kept", phaseOK, "OK\x04\x04>raw REPL", "", "", evDone, "raw REPL"},
		{"utf8", phaseOK, "OKh\xc3\xa9 \xe2\x82\xac\r\n\x04\x04>", "hé €\n", "", evDone, ""},
		{"invalid utf8", phaseOK, "OK\xff\xfe\x04\x04>", "\ufffd\ufffd", "", evDone, ""},
		{"lone cr", phaseOK, "OK10%\r20%\r\n\x04\x04>", "10%\r20%\n", "", evDone, ""},
		{"incomplete", phaseOK, "OKpartial", "partial", "", evMore, ""},
		{"banner", phaseOK, "OKwork\r\nMicroPython v1\r\nType \"help()\" for more information.\r\n>>> ", "work\nMicroPython v1\nType \"help()\" for more information.\n", "", evReset, ">>> "},
		{"rom log", phaseOK, "OKa\r\nets Jul 29 2019\r\n\r\nrst:0x1 (POWERON_RESET)\r\nmore", "a\nets Jul 29 2019\n\nrst:0x1 (POWERON_RESET)\n", "", evReset, "more"},
		{"soft reboot", phaseOK, "OK\r\nMPY: soft reboot\r\nx", "\nMPY: soft reboot\n", "", evReset, "x"},
		{"printed 0x04", phaseOK, "OKa\x04b\r\n\x04\x04>", "a\x04b\n", "", evDone, ""},
		{"printed 0x04 last", phaseOK, "OKx\x04\x04\x04>", "x\x04", "", evDone, ""},
		{"printed 0x04 then traceback", phaseAck, "\x04\x04\r\n\x04Traceback (most recent call last):\r\nValueError: v\r\n\x04>",
			"\x04\n", "Traceback (most recent call last):\nValueError: v\n", evDone, ""},
		{"printed 0x04 like a name", phaseOK, "OK\x04Note: 1\r\nmore\r\n\x04\x04>", "\x04Note: 1\nmore\n", "", evDone, ""},
		{"error without a stack", phaseOK, "OK\x04MemoryError: memory allocation failed\r\n\x04>", "", "MemoryError: memory allocation failed\n", evDone, ""},
		{"printed traceback head", phaseOK, "OK\x04Traceback (most recent call last):\r\n\x04\x04>",
			"\x04Traceback (most recent call last):\n", "", evDone, ""},
		{"reset in a held traceback", phaseOK, "OK\x04Traceback (most recent call last):\r\nMPY: soft reboot\r\nx",
			"\x04Traceback (most recent call last):\nMPY: soft reboot\n", "", evReset, "x"},
		{"reset after two printed 0x04", phaseOK, "OK\r\nrst:0x1 (POWERON)\x04\x04\nx", "\nrst:0x1 (POWERON)\x04\x04\n", "", evReset, "x"},
		{"not a reset", phaseOK, "OKsets rst:0x in text\r\n\x04\x04>", "sets rst:0x in text\n", "", evDone, ""},
	}
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"whole", func(r io.Reader) io.Reader { return r }},
		{"one byte", iotest.OneByteReader},
		{"half", iotest.HalfReader},
		{"data+err", iotest.DataErrReader},
	}
	for _, tt := range tests {
		for _, rd := range readers {
			stdout, stderr, ev, rest, _ := scanAll(tt.start, rd.wrap(strings.NewReader(tt.in)))
			got := []any{stdout, stderr, ev, rest}
			want := []any{tt.stdout, tt.stderr, tt.ev, tt.rest}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s/%s: (-want +got)\n%s", tt.name, rd.name, diff)
			}
		}
	}
}

func TestParseTraceback(t *testing.T) {
	tests := []struct {
		in   string
		want *ExecError
	}{
		{"Traceback (most recent call last):\n  File \"<stdin>\", line 1, in <module>\nNameError: name 'x' isn't defined\n",
			&ExecError{Type: "NameError", Value: "name 'x' isn't defined", Traceback: []string{"Traceback (most recent call last):", `  File "<stdin>", line 1, in <module>`, "NameError: name 'x' isn't defined"}}},
		{"Traceback (most recent call last):\r\n  File \"<stdin>\", line 3, in <module>\r\nKeyboardInterrupt: \r\n",
			&ExecError{Type: "KeyboardInterrupt", Traceback: []string{"Traceback (most recent call last):", `  File "<stdin>", line 3, in <module>`, "KeyboardInterrupt: "}}},
		{"MemoryError: \n", &ExecError{Type: "MemoryError", Traceback: []string{"MemoryError: "}}},
		{"StopIteration\n", &ExecError{Type: "StopIteration", Traceback: []string{"StopIteration"}}},
		{"mod.Err: a: b\n", &ExecError{Type: "mod.Err", Value: "a: b", Traceback: []string{"mod.Err: a: b"}}},
		{"something odd happened\n", &ExecError{Type: "Error", Value: "something odd happened", Traceback: []string{"something odd happened"}}},
		{"", &ExecError{Type: "Error", Traceback: []string{}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, parseTraceback(tt.in)); diff != "" {
			t.Errorf("parseTraceback(%q): (-want +got)\n%s", tt.in, diff)
		}
	}
}

// chunkWriter records each Write separately.
type chunkWriter struct{ writes []string }

func (w *chunkWriter) Write(p []byte) (int, error) {
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

func TestTextWriterNeverSplitsRunes(t *testing.T) {
	in := "a€b\r\nc😀\r\n\rd\xffe"
	want := "a€b\nc😀\n\rd\ufffde"
	for cut := 0; cut <= len(in); cut++ {
		var w chunkWriter
		tw := newTextWriter(&w)
		tw.Write([]byte(in[:cut]))
		tw.Write([]byte(in[cut:]))
		tw.Flush()
		if got := strings.Join(w.writes, ""); got != want {
			t.Errorf("cut at %d: got %q, want %q", cut, got, want)
		}
		for _, s := range w.writes {
			if !utf8.ValidString(s) {
				t.Errorf("cut at %d: write %q is not valid UTF-8", cut, s)
			}
		}
	}
}

func TestTextWriterFlushTruncated(t *testing.T) {
	var out bytes.Buffer
	tw := newTextWriter(&out)
	tw.Write([]byte("x\xe2\x82"))
	tw.Flush()
	if out.String() != "x\ufffd" {
		t.Errorf("got %q", out.String())
	}
}

func TestHasRawPrompt(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"raw REPL; CTRL-B to exit\r\n>", true},
		{"\r\nraw REPL; CTRL-B to exit\r\r\n>", true},
		{"junk>>> \r\nraw REPL; CTRL-B to exit\r\n>", true},
		{"raw REPL; CTRL-B to exit\r\n>x", false},
		{"raw REPL; CTRL-B to exit\r\n", false},
		{">", false},
	}
	for _, tt := range tests {
		if got := hasRawPrompt([]byte(tt.in)); got != tt.want {
			t.Errorf("hasRawPrompt(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestCheckCode(t *testing.T) {
	if err := checkCode("print('é')\n\tx = '\\x04'\r\n"); err != nil {
		t.Errorf("checkCode of clean code: %v", err)
	}
	err := checkCode("é = 1\né\x04")
	if err == nil || !strings.Contains(err.Error(), "byte 0x04 (Ctrl-D) at line 2, column 2") {
		t.Errorf("checkCode: %v", err)
	}
}

// FuzzScanner checks that the scanner never panics, that output never
// holds split or invalid UTF-8, and that how the input is split does not
// change what it produces.
func FuzzScanner(f *testing.F) {
	f.Add([]byte("OKhi\r\n\x04Traceback\r\nE: x\r\n\x04>"), uint8(3), false)
	f.Add([]byte("\x01\x04\xe2\x82\xac\x04\x04>rest"), uint8(1), true)
	f.Add([]byte("OKType \"help()\" for more information.\r\n"), uint8(7), false)
	f.Fuzz(func(t *testing.T, in []byte, step uint8, paste bool) {
		start := phaseOK
		if paste {
			start = phaseAck
		}
		o1, e1, ev1, r1, s1 := scanAll(start, bytes.NewReader(in))
		n := int(step%16) + 1
		o2, e2, ev2, r2, s2 := scanAll(start, &stepReader{data: in, n: n})
		if o1 != o2 || e1 != e2 || ev1 != ev2 || r1 != r2 || s1 != s2 {
			t.Fatalf("split by %d changed the result:\n%q %q %v %q %q\n%q %q %v %q %q", n, o1, e1, ev1, r1, s1, o2, e2, ev2, r2, s2)
		}
		if !utf8.ValidString(o1) || !utf8.ValidString(e1) {
			t.Fatalf("invalid UTF-8 out: %q %q", o1, e1)
		}
		if ev1 == evDone && !bytes.Contains(in, []byte{'>'}) {
			t.Fatalf("done without a prompt in %q", in)
		}
	})
}

// stepReader returns at most n bytes per Read.
type stepReader struct {
	data []byte
	n    int
}

func (r *stepReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), r.n)], r.data)
	r.data = r.data[k:]
	return k, nil
}
