package boardpy

import (
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/iotkernel/iotkernel/store"
)

// The dump and define programs run here as scripts under CPython and the
// MicroPython Unix port, every step in one file; board_test.go runs them
// through a real board, step by step.

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// allBytes is every byte value once, in order.
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// sampleValues holds a value of every kind, and of the tricky ones.
func sampleValues() map[string]store.Value {
	return map[string]store.Value{
		"none":      store.NoneValue(),
		"yes":       store.BoolValue(true),
		"no":        store.BoolValue(false),
		"neg":       store.IntValue(-42),
		"maxint":    store.IntValue(math.MaxInt64),
		"minint":    store.IntValue(math.MinInt64),
		"fnegzero":  store.FloatValue(math.Copysign(0, -1)),
		"ftenth":    store.FloatValue(0.1),
		"fbig":      store.FloatValue(math.MaxFloat64),
		"ftiny":     store.FloatValue(5e-324),
		"fnan":      store.FloatValue(math.NaN()),
		"fneginf":   store.FloatValue(math.Inf(-1)),
		"bytes":     store.BytesValue(allBytes()),
		"nobytes":   store.BytesValue(nil),
		"barr":      store.ByteArrayValue(allBytes()),
		"bytearray": store.ByteArrayValue([]byte{0}), // shadows the builtin that other literals use
		"float":     store.FloatValue(-2.5),          // and a builtin the dump program calls
		"tuple1":    store.TupleValue(store.StrValue("one")),
		"empty":     store.ListValue(),
		"text":      store.StrValue("it's \"odd\"\n\x04\x00\u00e9\U0001f600%;"),
		"long":      store.StrValue(strings.Repeat("0123456789", 30)),
		"dict": store.DictValue(
			store.Field{Key: "b", Value: store.IntValue(1)},
			store.Field{Key: "it's\n", Value: store.DictValue(store.Field{Key: "", Value: store.TupleValue(store.BoolValue(false), store.NoneValue())})},
		),
		"nested": store.ListValue(store.ListValue(store.ListValue(store.FloatValue(math.NaN()), store.ByteArrayValue([]byte("\x04\x00"))))),
	}
}

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

// TestPythonRoundTrip sends every sample value to Python as a literal,
// dumps it back and parses the dump: what comes back must equal what went.
func TestPythonRoundTrip(t *testing.T) {
	vals := sampleValues()
	define, ba, err := store.PythonDefine(vals, defineBytearray)
	if err != nil || !ba {
		t.Fatalf("PythonDefine = %v, %v; want code that uses bytearray", ba, err)
	}
	define = "from builtins import bytearray as " + defineBytearray + "\n" + define + "del " + defineBytearray + "\n"
	names := make([]string, 0, len(vals))
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	dump := strings.Join(dumpProgram(names), "")
	for _, code := range []string{define, dump} {
		if !isASCII(code) {
			t.Fatalf("snippet is not ASCII:\n%s", code)
		}
	}
	// Notebooks shadow builtins; the snippets must not care.
	shadow := "bytearray = bytes = list = tuple = dict = str = int = float = bool = type = print = len = chr = repr = isinstance = Exception = None\n"
	check := "\nassert not [k for k in globals() if k.startswith('_ik')], 'snippets left names behind'\n"
	for interp, path := range pythons(t) {
		t.Run(interp, func(t *testing.T) {
			out := runPython(t, path, shadow+define+dump+check)
			if !isASCII(out) {
				t.Errorf("dump output is not ASCII")
			}
			got, err := store.ParsePythonDump(out)
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
	want := map[string]store.Value{
		"maxint": store.IntValue(math.MaxInt64),
		"minint": store.IntValue(math.MinInt64),
		"raw":    store.BytesValue(allBytes()),
		"arr":    store.ByteArrayValue(allBytes()),
		"floats": store.ListValue(store.FloatValue(0.1), store.FloatValue(1.0/3), store.FloatValue(5e-324), store.FloatValue(math.Copysign(0, -1)),
			store.FloatValue(math.NaN()), store.FloatValue(math.Inf(1)), store.FloatValue(math.Inf(1)), store.FloatValue(math.Ldexp(1.5, 1023))),
		"tup": store.TupleValue(store.IntValue(1), store.StrValue("a"), store.TupleValue(store.NoneValue(), store.BoolValue(true), store.BoolValue(false))),
		"d":   store.DictValue(store.Field{Key: "x", Value: store.DictValue(store.Field{Key: "y", Value: store.ListValue(store.BytesValue([]byte{4}), store.StrValue("z"))})}),
	}
	var text strings.Builder
	for i := 1; i < 0xd800; i += 7 {
		text.WriteRune(rune(i))
	}
	for i := 0xe000; i < 0x110000; i += 4099 {
		text.WriteRune(rune(i))
	}
	want["text"] = store.StrValue(text.String())

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
			out := runPython(t, path, code+strings.Join(dumpProgram(names), ""))
			got, err := store.ParsePythonDump(out)
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
			if !errors.Is(err, store.ErrUndefined) {
				t.Errorf("error does not wrap store.ErrUndefined")
			}
		})
	}
}
