package boardpy

import (
	"bytes"
	"strings"
	"testing"
	"testing/iotest"
)

func TestWithResult(t *testing.T) {
	cases := []struct {
		code string
		ok   bool
		want string
	}{
		{"x = 1", false, "x = 1"},
		{"x = 1\nx + 1", true, "x = 1\n_ik_r = (\nx + 1\n)\nif _ik_r is not None:\n    print('\\x1e' + repr(_ik_r) + '\\x1e', end='')\ndel _ik_r\n"},
		{"42", true, "_ik_r = (\n42\n)\nif _ik_r is not None:\n    print('\\x1e' + repr(_ik_r) + '\\x1e', end='')\ndel _ik_r\n"},
		{"for i in range(3):\n    i", false, "for i in range(3):\n    i"},
	}
	for _, c := range cases {
		got, ok := WithResult(c.code)
		if ok != c.ok || got != c.want {
			t.Errorf("WithResult(%q) = %q, %v; want %q, %v", c.code, got, ok, c.want, c.ok)
		}
	}
}

func TestResultFilterAtEveryChunking(t *testing.T) {
	stream := "hello\nworld\n\x1e'caf\\xe9 \\x1e'\x1e"
	for size := 1; size <= len(stream); size++ {
		var out bytes.Buffer
		f := NewResultFilter(&out)
		r := iotest.OneByteReader(strings.NewReader(stream))
		if size > 1 {
			r = strings.NewReader(stream)
		}
		buf := make([]byte, size)
		for {
			n, err := r.Read(buf)
			f.Write(buf[:n])
			if err != nil {
				break
			}
		}
		res, ok := f.Result()
		if out.String() != "hello\nworld\n" || !ok || res != `'caf\xe9 \x1e'` {
			t.Fatalf("chunk %d: out %q, result %q %v", size, out.String(), res, ok)
		}
	}
	f := NewResultFilter(new(bytes.Buffer))
	f.Write([]byte("partial \x1e'abc"))
	if _, ok := f.Result(); ok {
		t.Error("an unterminated result was reported as found")
	}
}
