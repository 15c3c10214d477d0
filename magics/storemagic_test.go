package magics

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/iotkernel/iotkernel/store"
)

// boardVars is Python that defines a variable of every storable kind,
// with the awkward characters.
const boardVars = `s = 'quote\' dq" nl\n eot\x04 \u00e9\u4e2d\U0001f600'
i = -12345678901
f = 0.1
t = True
n = None
l = [1, 2, 3]
tu = (1, 'a')
d = {'k': [1.5, 2.5], 'e': {}}
by = bytes(range(256))
ba = bytearray(b'\x00\xff')
big = 2 ** 70
obj = object()
`

func TestStoreBoardRoundTrip(t *testing.T) {
	b := newPyBoard(t)
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	b.run(boardVars)
	names := "s i f t n l tu d by ba"
	out := mustRun(t, r, env, "store "+names)
	for _, n := range strings.Fields(names) {
		if !strings.Contains(out, "stored "+n+" (") {
			t.Errorf("%%store output lacks %s:\n%s", n, out)
		}
	}
	all, err := env.st.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 10 {
		t.Errorf("store holds %d values, want 10", len(all))
	}
	if v := all["s"]; v.Str() != "quote' dq\" nl\n eot\x04 é中😀" {
		t.Errorf("stored s = %q", v.Str())
	}
	if v := all["by"]; v.Len() != 256 || v.Kind() != store.Bytes {
		t.Errorf("stored by = %v", v)
	}

	// A fresh board gets them back exactly.
	if _, err := runMagic(t, r, env, "softreset -q"); err != nil {
		t.Fatal(err)
	}
	mustRun(t, r, env, "store -r "+names)
	check := `assert s == 'quote\' dq" nl\n eot\x04 \u00e9\u4e2d\U0001f600', s
assert i == -12345678901 and f == 0.1 and t is True and n is None
assert l == [1, 2, 3] and tu == (1, 'a') and d == {'k': [1.5, 2.5], 'e': {}}
assert by == bytes(range(256)) and type(ba) is bytearray and ba == bytearray(b'\x00\xff')
print('ok')
`
	if got := b.run(check); got != "ok\n" {
		t.Errorf("restored values: %s", got)
	}
}

func TestStoreBoardErrors(t *testing.T) {
	b := newPyBoard(t)
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	b.run(boardVars)
	out, err := runMagic(t, r, env, "store s big obj nosuch")
	if err == nil {
		t.Fatal("storing unstorable values succeeded")
	}
	for _, want := range []string{"big", "int", "obj", "object", "nosuch", "not defined"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if !strings.Contains(out, "stored s (str)") {
		t.Errorf("the storable value was not stored: %q", out)
	}
	if _, err := runMagic(t, r, env, "store -r nosuch"); err == nil || !strings.Contains(err.Error(), "nosuch not in the store") {
		t.Errorf("%%store -r nosuch = %v", err)
	}
	if _, err := runMagic(t, r, env, "store 'a b'"); err == nil {
		t.Errorf("%%store accepted an invalid name")
	}
	if _, err := runMagic(t, r, env, "store -r -d s"); err == nil {
		t.Errorf("%%store accepted -r with -d")
	}
}

func TestStoreHost(t *testing.T) {
	env := newFakeEnv(t)
	env.host = true
	r := NewRegistry(Options{})
	env.goVars["ip"] = "192.168.1.5"
	env.goVars["pins"] = []int{4, 5}
	env.goVars["cfg"] = map[string]float64{"a": 0.5}
	env.goVars["raw"] = []byte{0, 4, 255}
	env.goVars["ch"] = make(chan int)
	mustRun(t, r, env, "store ip pins cfg raw")
	if _, err := runMagic(t, r, env, "store ch"); err == nil || !strings.Contains(err.Error(), "chan int") {
		t.Errorf("%%store ch = %v, want an error naming chan int", err)
	}
	if _, err := runMagic(t, r, env, "store nosuch"); err == nil || !strings.Contains(err.Error(), "no Go variable nosuch") {
		t.Errorf("%%store nosuch = %v", err)
	}
	env.goVars = map[string]any{}
	out := mustRun(t, r, env, "store -r")
	if !strings.Contains(out, "restored pins ([]int)") {
		t.Errorf("%%store -r printed %q", out)
	}
	want := map[string]any{"ip": "192.168.1.5", "pins": []int{4, 5}, "cfg": map[string]float64{"a": 0.5}, "raw": []byte{0, 4, 255}}
	if !reflect.DeepEqual(env.goVars, want) {
		t.Errorf("restored %#v, want %#v", env.goVars, want)
	}

	// Host to board: the board sees what Go stored.
	b := newPyBoard(t)
	env.host, env.board = false, b
	mustRun(t, r, env, "store -r ip pins raw")
	if got := b.run("print(ip, pins, raw)\n"); got != "192.168.1.5 [4, 5] b'\\x00\\x04\\xff'\n" {
		t.Errorf("on the board: %q", got)
	}
}

func TestStoreListDeleteClear(t *testing.T) {
	env := newFakeEnv(t)
	env.host = true
	r := NewRegistry(Options{})
	if out := mustRun(t, r, env, "store"); !strings.Contains(out, "is empty") {
		t.Errorf("%%store on empty store: %q", out)
	}
	env.goVars["a"] = 1
	env.goVars["b"] = strings.Repeat("x", 200)
	mustRun(t, r, env, "store a b")
	out := mustRun(t, r, env, "store")
	for _, want := range []string{"NAME", "a", "int", "b", "str", "string", "'xxxx"} {
		if !strings.Contains(out, want) {
			t.Errorf("%%store listing lacks %q:\n%s", want, out)
		}
	}
	if len(out) > 400 {
		t.Errorf("%%store listing is not short:\n%s", out)
	}
	mustRun(t, r, env, "store -d a")
	if _, ok, _ := env.st.Get("a"); ok {
		t.Error("a survived -d")
	}
	if _, err := runMagic(t, r, env, "store -d a"); !errors.Is(err, store.ErrNotStored) {
		t.Errorf("second -d a = %v, want ErrNotStored", err)
	}
	mustRun(t, r, env, "store -z")
	if all, _ := env.st.All(); len(all) != 0 {
		t.Errorf("store holds %v after -z", all)
	}
}
