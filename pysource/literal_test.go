package pysource

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"
)

var literalSamples = []string{
	"", "plain", `it's "quoted" \ back\slash`, "line\nbreak\r\ttab",
	"\x00\x01\x02\x03\x04\x05\x1b\x7f", "café", "naïve ü ß", "€ 中文 \u2028",
	"emoji 🐍 \U0010ffff", "\ufeff bom", "\u00ad soft hyphen",
}

// TestStrIsPrintableASCII: what goes to a board holds no byte the raw REPL
// acts on, nor any non-ASCII byte, and no \xNN for a character at or
// above U+0080 (some MicroPython versions read it as that raw byte).
func TestStrIsPrintableASCII(t *testing.T) {
	for _, s := range literalSamples {
		lit := Str(s)
		for i := 0; i < len(lit); i++ {
			if c := lit[i]; c < 0x20 || c >= 0x7f {
				t.Errorf("Str(%q) = %q holds byte %#02x", s, lit, c)
			}
		}
		for _, hi := range []string{`\x8`, `\x9`, `\xa`, `\xb`, `\xc`, `\xd`, `\xe`, `\xf`} {
			if strings.Contains(lit, hi) {
				t.Errorf("Str(%q) = %q writes a character of U+0080 and above as \\xNN", s, lit)
			}
		}
	}
}

// TestLiteralsInCPython evaluates every literal with CPython and compares
// the values with the Go strings and bytes they came from.
func TestLiteralsInCPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed to check the literals (make test installs it): ", err)
	}
	var src strings.Builder
	src.WriteString("import json, sys\nout = []\n")
	for _, s := range literalSamples {
		var repr strings.Builder
		WriteStr(&repr, s, false)
		src.WriteString("out.append([" + Str(s) + ", " + repr.String() + ", list(" + Bytes([]byte(s)) + ")])\n")
	}
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	src.WriteString("out.append(list(" + Bytes(allBytes) + "))\n")
	src.WriteString("json.dump(out, sys.stdout)\n")
	out, err := exec.Command(python, "-c", src.String()).Output()
	if err != nil {
		t.Fatalf("CPython rejected the literals: %v\n%s", err, src.String())
	}
	var got []json.RawMessage
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(literalSamples)+1 {
		t.Fatalf("CPython printed %s (%v)", out, err)
	}
	for i, s := range literalSamples {
		var row []json.RawMessage
		json.Unmarshal(got[i], &row)
		var ascii, repr string
		var bs []byte
		var ints []int
		json.Unmarshal(row[0], &ascii)
		json.Unmarshal(row[1], &repr)
		json.Unmarshal(row[2], &ints)
		for _, n := range ints {
			bs = append(bs, byte(n))
		}
		if ascii != s || repr != s {
			t.Errorf("%q came back as %q (Str) and %q (WriteStr)", s, ascii, repr)
		}
		if !bytes.Equal(bs, []byte(s)) {
			t.Errorf("Bytes(%q) came back as %q", s, bs)
		}
		if !utf8.ValidString(s) {
			t.Fatalf("sample %q is not UTF-8", s)
		}
	}
	var ints []int
	json.Unmarshal(got[len(literalSamples)], &ints)
	if len(ints) != 256 {
		t.Fatalf("all 256 bytes came back as %d", len(ints))
	}
	for i, n := range ints {
		if n != i {
			t.Fatalf("byte %d came back as %d", i, n)
		}
	}
}
