package store

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// pythons returns the interpreters to run snippets under: CPython always,
// MicroPython for Unix when it can be found ($IOTKERNEL_MICROPYTHON, PATH,
// or what scripts/install-boards.sh leaves in .cache).
func pythons(t *testing.T) map[string]string {
	t.Helper()
	found := make(map[string]string)
	cpython := "/usr/bin/python3"
	if _, err := os.Stat(cpython); err != nil {
		if p, err := exec.LookPath("python3"); err == nil {
			cpython = p
		} else {
			t.Fatalf("no CPython: neither /usr/bin/python3 nor python3 on PATH")
		}
	}
	found["cpython"] = cpython

	mp := os.Getenv("IOTKERNEL_MICROPYTHON")
	if mp == "" {
		mp, _ = exec.LookPath("micropython")
	}
	if mp == "" {
		if p, err := filepath.Abs("../.cache/boards/trixie/micropython"); err == nil {
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				mp = p
			}
		}
	}
	if mp == "" {
		t.Log("!!! MicroPython NOT FOUND: the snippets ran under CPython only. Set IOTKERNEL_MICROPYTHON or run scripts/install-boards.sh")
	} else {
		found["micropython"] = mp
	}
	return found
}

// runPython runs code under the interpreter and returns its stdout.
func runPython(t *testing.T, interp, code string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "snippet.py")
	if err := os.WriteFile(file, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd := exec.Command(interp, file)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\nstderr:\n%s", interp, file, err, stderr.String())
	}
	return string(out)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// TestPythonRoundTrip sends every sample value to Python as a literal,
// dumps it back and parses the dump: what comes back must equal what went.
func TestPythonRoundTrip(t *testing.T) {
	vals := sampleValues()
	define, err := PythonDefine(vals)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(vals))
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	dump := PythonDump(names...)
	for _, code := range []string{define, dump} {
		if !isASCII(code) {
			t.Fatalf("snippet is not ASCII:\n%s", code)
		}
	}
	// Notebooks shadow builtins; the snippets must not care.
	shadow := "bytearray = bytes = list = tuple = dict = str = int = float = bool = type = print = len = chr = repr = isinstance = Exception = None\n"
	check := "\nassert not [k for k in globals() if k.startswith('_iotk')], 'snippets left names behind'\n"
	for interp, path := range pythons(t) {
		t.Run(interp, func(t *testing.T) {
			out := runPython(t, path, shadow+define+dump+check)
			if !isASCII(out) {
				t.Errorf("dump output is not ASCII")
			}
			got, err := ParsePythonDump(out)
			if err != nil {
				t.Fatalf("ParsePythonDump: %v\noutput:\n%s", err, out)
			}
			for _, n := range names {
				if !got[n].Equal(vals[n]) {
					t.Errorf("%s: sent %v, got back %v", n, vals[n], got[n])
				}
			}
			if len(got) != len(vals) {
				t.Errorf("got %d values back, sent %d", len(got), len(vals))
			}
		})
	}
}

// TestPythonNative dumps values made by Python itself, including the ones
// the store must refuse.
func TestPythonNative(t *testing.T) {
	code := `
class Sock:
    pass
sock = Sock()
try:
    import socket
    realsock = socket.socket()
except Exception:
    realsock = Sock()
big = 2**64
negbig = -2**63 - 1
maxint = 2**63 - 1
minint = -2**63
cyc = []
cyc.append(cyc)
intkey = {1: 'a'}
badkey = {Sock(): 1}
nested_bad = [1, {'k': Sock()}]
fn = len
text = ''.join([chr(i) for i in range(1, 0xd800, 7)]) + ''.join([chr(i) for i in range(0xe000, 0x110000, 4099)])
raw = bytes(range(256))
arr = bytearray(raw)
floats = [0.1, 1/3, 2.0**-1074, -0.0, float('nan'), float('inf'), 1e308*10, 2.0**1023 * 1.5]
tup = (1, 'a', (None, True, False))
d = {'x': {'y': [b'\x04', 'z']}}
`
	want := map[string]Value{
		"maxint": IntValue(math.MaxInt64),
		"minint": IntValue(math.MinInt64),
		"raw":    BytesValue(allBytes()),
		"arr":    ByteArrayValue(allBytes()),
		"floats": ListValue(FloatValue(0.1), FloatValue(1.0/3), FloatValue(5e-324), FloatValue(math.Copysign(0, -1)),
			FloatValue(math.NaN()), FloatValue(math.Inf(1)), FloatValue(math.Inf(1)), FloatValue(math.Ldexp(1.5, 1023))),
		"tup": TupleValue(IntValue(1), StrValue("a"), TupleValue(NoneValue(), BoolValue(true), BoolValue(false))),
		"d":   DictValue(Field{"x", DictValue(Field{"y", ListValue(BytesValue([]byte{4}), StrValue("z"))})}),
	}
	var text strings.Builder
	for i := 1; i < 0xd800; i += 7 {
		text.WriteRune(rune(i))
	}
	for i := 0xe000; i < 0x110000; i += 4099 {
		text.WriteRune(rune(i))
	}
	want["text"] = StrValue(text.String())

	wantErr := map[string]string{
		"sock":       "cannot store sock (a Sock): only str, int, float, bool, None, bytes, bytearray, list, tuple and dict with str keys can be stored",
		"realsock":   "cannot store realsock (a ",
		"big":        "cannot store big: int 18446744073709551616 does not fit in int64",
		"negbig":     "cannot store negbig: int -9223372036854775809 does not fit in int64",
		"cyc":        "cannot store cyc: ",
		"intkey":     "cannot store intkey (a dict): dict keys must be str, not int",
		"nested_bad": "cannot store nested_bad (a Sock): only str",
		"badkey":     "cannot store badkey (a Sock): only str",
		"fn":         "cannot store fn (a ",
		"undefined":  "cannot store undefined: name 'undefined' is not defined on the board",
		"not valid":  "cannot store not valid: not a valid variable name",
	}
	var names []string
	for n := range want {
		names = append(names, n)
	}
	for n := range wantErr {
		names = append(names, n)
	}
	sort.Strings(names)

	for interp, path := range pythons(t) {
		t.Run(interp, func(t *testing.T) {
			out := runPython(t, path, code+PythonDump(names...))
			got, err := ParsePythonDump(out)
			for n, w := range want {
				if !got[n].Equal(w) {
					t.Errorf("%s = %v, want %v", n, got[n], w)
				}
			}
			if err == nil {
				t.Fatal("ParsePythonDump gave no error for the unstorable names")
			}
			msgs := strings.Split(err.Error(), "\n")
			for n, w := range wantErr {
				if _, ok := got[n]; ok {
					t.Errorf("%s was stored, want an error", n)
				}
				found := false
				for _, m := range msgs {
					found = found || strings.HasPrefix(m, w)
				}
				if !found {
					t.Errorf("no error starting %q in:\n%v", w, err)
				}
			}
			if len(msgs) != len(wantErr) {
				t.Errorf("got %d errors, want %d:\n%v", len(msgs), len(wantErr), err)
			}
			if !errors.Is(err, ErrUndefined) {
				t.Errorf("error does not wrap ErrUndefined")
			}
		})
	}
}

// appendDump encodes v as the dump snippet does, for feeding the parser.
func appendDump(b *strings.Builder, v Value) {
	esc := func(s string) {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c >= 32 && c < 127 && c != '%' && c != ';' {
				b.WriteByte(c)
			} else {
				fmt.Fprintf(b, "%%%02x", c)
			}
		}
		b.WriteByte(';')
	}
	switch v.kind {
	case None:
		b.WriteString("N")
	case Bool:
		if v.Bool() {
			b.WriteString("T")
		} else {
			b.WriteString("F")
		}
	case Int:
		b.WriteString("i" + itoa(v.Int()) + ";")
	case Float:
		b.WriteString("f")
		fmt.Fprintf(b, "%016x", v.num)
		b.WriteString(";")
	case Str, Bytes, ByteArray:
		b.WriteString(map[Kind]string{Str: "s", Bytes: "b", ByteArray: "a"}[v.kind])
		esc(v.str)
	case List, Tuple:
		open, close := "[", "]"
		if v.kind == Tuple {
			open, close = "(", ")"
		}
		b.WriteString(open)
		for _, e := range v.items {
			appendDump(b, e)
		}
		b.WriteString(close)
	case Dict:
		b.WriteString("{")
		for i, k := range v.keys {
			b.WriteString("s")
			esc(k)
			appendDump(b, v.items[i])
		}
		b.WriteString("}")
	}
}

func dumpOutput(vals map[string]Value) string {
	var b strings.Builder
	b.WriteString("junk before\r\n" + dumpBegin + "\r\n")
	for n, v := range vals {
		b.WriteString("=" + n + " ")
		appendDump(&b, v)
		b.WriteString("\r\n")
	}
	b.WriteString(dumpEnd + "\r\n>")
	return b.String()
}

func TestParsePythonDump(t *testing.T) {
	vals := sampleValues()
	got, err := ParsePythonDump(dumpOutput(vals))
	if err != nil {
		t.Fatal(err)
	}
	for n, v := range vals {
		if !got[n].Equal(v) {
			t.Errorf("%s = %v, want %v", n, got[n], v)
		}
	}

	bad := []struct{ name, out, want string }{
		{"no begin", "=x N\n" + dumpEnd, "no begin marker"},
		{"no end", dumpBegin + "\n=x N\n", "ended before the end marker"},
		{"junk line", dumpBegin + "\nhello\n" + dumpEnd, "malformed line"},
		{"cut value", dumpBegin + "\n=x [i1;\n" + dumpEnd, "cannot store x: store dump: value cut short"},
		{"trailing", dumpBegin + "\n=x NN\n" + dumpEnd, "trailing data"},
		{"bad tag", dumpBegin + "\n=x Q\n" + dumpEnd, "unknown tag"},
		{"bad int", dumpBegin + "\n=x i1x;\n" + dumpEnd, "bad int"},
		{"bad float", dumpBegin + "\n=x f12;\n" + dumpEnd, "bad float bits"},
		{"bad escape", dumpBegin + "\n=x s%zz;\n" + dumpEnd, "bad %-escape"},
		{"short escape", dumpBegin + "\n=x s%4;\n" + dumpEnd, "truncated %-escape"},
		{"bad utf8", dumpBegin + "\n=x s%ff;\n" + dumpEnd, "not valid UTF-8"},
		{"int key", dumpBegin + "\n=x {i1;N}\n" + dumpEnd, "cannot store x (a dict): dict keys must be str, not int"},
		{"dup key", dumpBegin + "\n=x {sa;Nsa;N}\n" + dumpEnd, "dict key \"a\" twice"},
		{"dup name", dumpBegin + "\n=x N\n=x T\n" + dumpEnd, "reported twice"},
		{"deep", dumpBegin + "\n=x " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n" + dumpEnd, "nested more than 100"},
		{"huge int", dumpBegin + "\n=x i" + strings.Repeat("9", 100) + ";\n" + dumpEnd, "int 999999999999...999999999999 (100 digits) does not fit"},
		{"unknown code", dumpBegin + "\n!x Z\n" + dumpEnd, "unknown error code"},
	}
	for _, tt := range bad {
		_, err := ParsePythonDump(tt.out)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}

	// Decimal floats from boards without struct.
	got, err = ParsePythonDump(dumpBegin + "\n=a [g1.5;g-inf;gnan;g1e+16;]\n" + dumpEnd)
	want := ListValue(FloatValue(1.5), FloatValue(math.Inf(-1)), FloatValue(math.NaN()), FloatValue(1e16))
	if err != nil || !got["a"].Equal(want) {
		t.Errorf("decimal floats = %v, %v; want %v", got["a"], err, want)
	}
}

func TestPythonLiteral(t *testing.T) {
	tests := []struct {
		v    Value
		want string
	}{
		{NoneValue(), "None"},
		{FloatValue(0.5), "1*2.0**-1"},
		{FloatValue(-3), "-3.0"},
		{FloatValue(math.Copysign(0, -1)), "-0.0"},
		{FloatValue(5e-324), "1*2.0**-1074"},
		{FloatValue(math.NaN()), "(1e999-1e999)"},
		{FloatValue(math.Inf(-1)), "-1e999"},
		{StrValue("é\x04'\n😀"), `'\u00e9\x04\'\n\U0001f600'`},
		{BytesValue([]byte{0, 0x80, '\\'}), `b'\x00\x80\\'`},
		{ByteArrayValue([]byte("a")), `bytearray(b'a')`},
		{TupleValue(IntValue(1)), "(1,)"},
		{DictValue(Field{"k", ListValue(BoolValue(true))}), "{'k': [True]}"},
		{StrValue(strings.Repeat("a", 100)), "('" + strings.Repeat("a", 64) + "'\n'" + strings.Repeat("a", 36) + "')"},
	}
	for _, tt := range tests {
		got, err := tt.v.PythonLiteral()
		if err != nil || got != tt.want {
			t.Errorf("%v.PythonLiteral() = %s, %v; want %s", tt.v, got, err, tt.want)
		}
	}

	deep := IntValue(1)
	for range maxDepth + 1 {
		deep = ListValue(deep)
	}
	if _, err := deep.PythonLiteral(); err == nil {
		t.Error("PythonLiteral of a too deep value: no error")
	}
	for _, name := range []string{"if", "1x", "a b", "", "é"} {
		if _, err := PythonDefine(map[string]Value{name: NoneValue()}); err == nil {
			t.Errorf("PythonDefine(%q): no error", name)
		}
	}
	for _, s := range trickyStrings {
		lit, _ := StrValue(s).PythonLiteral()
		if !isASCII(lit) || !utf8.ValidString(lit) {
			t.Errorf("literal of %q is not ASCII: %s", s, lit)
		}
	}
}
