package store

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// allBytes is every byte value once, in order.
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// tricky strings: quotes, newlines, raw-REPL control bytes, NUL, the dump
// format's own escape characters, and Unicode from every plane.
var trickyStrings = []string{
	"",
	"hello",
	`it's "quoted" \ backslashed`,
	"line\nbreak\r\nand\ttab",
	"\x04",
	"\x00",
	"ctrl \x01\x02\x03\x04\x05\x1b\x7f",
	"% ; %25 ;; 100%",
	"@iotkernel-store-end",
	"\n@iotkernel-store-end\n",
	"é ü ß ñ",
	"emoji 😀 👩‍👩‍👧 🇫🇷",
	"\u2028\u2029\ufeff\u00ad",
	"\U0010ffff \U0001d11e",
	"中文 日本語 한국어 العربية",
	strings.Repeat("long ☃ line with 'quotes'\n", 40),
}

// sampleValues covers every kind, with the edge values of each.
func sampleValues() map[string]Value {
	v := map[string]Value{
		"none":      NoneValue(),
		"yes":       BoolValue(true),
		"no":        BoolValue(false),
		"zero":      IntValue(0),
		"neg":       IntValue(-42),
		"maxint":    IntValue(math.MaxInt64),
		"minint":    IntValue(math.MinInt64),
		"fzero":     FloatValue(0),
		"fnegzero":  FloatValue(math.Copysign(0, -1)),
		"ftenth":    FloatValue(0.1),
		"fthird":    FloatValue(1.0 / 3),
		"fthree":    FloatValue(3),
		"fnegbig":   FloatValue(-1e300),
		"fbig":      FloatValue(math.MaxFloat64),
		"ftiny":     FloatValue(5e-324),
		"fsmall":    FloatValue(math.SmallestNonzeroFloat64 * 12345),
		"fnormmin":  FloatValue(2.2250738585072014e-308),
		"f253":      FloatValue(1<<53 + 2),
		"f1e16":     FloatValue(1e16),
		"fnan":      FloatValue(math.NaN()),
		"finf":      FloatValue(math.Inf(1)),
		"fneginf":   FloatValue(math.Inf(-1)),
		"bytes":     BytesValue(allBytes()),
		"nobytes":   BytesValue(nil),
		"barr":      ByteArrayValue(allBytes()),
		"list":      ListValue(IntValue(1), IntValue(2), IntValue(3)),
		"empty":     ListValue(),
		"bytearray": ByteArrayValue([]byte{0}), // shadows the builtin that other literals use
		"float":     FloatValue(-2.5),          // and a builtin the dump snippet calls
		"tuple0":    TupleValue(),
		"tuple1":    TupleValue(StrValue("one")),
		"mixed":     ListValue(IntValue(1), StrValue("a"), NoneValue(), FloatValue(2.5), BytesValue([]byte{4})),
		"dict": DictValue(
			Field{"b", IntValue(1)},
			Field{"a", ListValue(StrValue("x"), StrValue("y"))},
			Field{"it's \"odd\"\n\x04é", DictValue(Field{"", TupleValue(BoolValue(false), NoneValue())})},
		),
		"emptydict": DictValue(),
		"nested": ListValue(
			DictValue(Field{"ip", StrValue("192.168.1.5")}, Field{"port", IntValue(8080)}),
			ListValue(ListValue(ListValue(FloatValue(math.NaN()), ByteArrayValue([]byte("\x04\x00"))))),
		),
	}
	for i, s := range trickyStrings {
		v["s"+itoa(int64(i))] = StrValue(s)
	}
	return v
}

func TestGoRoundTrip(t *testing.T) {
	// Values that come back exactly as they went in.
	exact := []any{
		nil, true, false, 0, 1, -1, math.MaxInt64, math.MinInt64,
		0.0, -1.5, math.MaxFloat64, math.Inf(1), math.Inf(-1),
		"", "x\x04\x00'\"\n😀",
		[]byte{}, allBytes(),
		[]int{1, 2, 3}, []string{"a", "b"}, []float64{1.5}, []bool{true},
		[][]byte{{1}, {2}}, [][]int{{1}, {2, 3}},
		[]any{1, "a", nil, 2.5, []byte{1}}, []any{},
		map[string]int{"a": 1}, map[string]any{"a": 1, "b": "x"},
		map[string]any{}, map[string][]string{"k": {"v"}},
		[]map[string]any{{"n": nil}},
	}
	for _, x := range exact {
		v, err := FromGo(x)
		if err != nil {
			t.Errorf("FromGo(%#v): %v", x, err)
			continue
		}
		if got := v.Go(); !cmp.Equal(got, x) {
			t.Errorf("FromGo(%#v).Go() = %#v", x, got)
		}
	}

	// Values that change Go type on the way, as documented.
	type myString string
	changed := []struct{ in, want any }{
		{int8(-3), -3}, {int32(7), 7}, {int64(9), 9}, {uint8(200), 200},
		{uint64(math.MaxInt64), math.MaxInt64},
		{float32(0.5), 0.5},
		{myString("s"), "s"},
		{[]any{1, 2}, []int{1, 2}},
		{[]int64{1}, []int{1}},
		{[]int(nil), []any{}},
		{map[string]int(nil), map[string]any{}},
		{[2]string{"a", "b"}, []string{"a", "b"}},
		{[3]byte{1, 2, 3}, []byte{1, 2, 3}},
		{[]any{nil, 1}, []any{nil, 1}},
		{[]any{1, 2.0}, []any{1, 2.0}},
		{map[string]any{"a": 1, "b": 2}, map[string]int{"a": 1, "b": 2}},
		{
			map[string]any{"deep": []any{map[string]any{"x": []any{nil, 1}}}},
			map[string][]map[string][]any{"deep": {{"x": {nil, 1}}}},
		},
	}
	for _, c := range changed {
		v, err := FromGo(c.in)
		if err != nil {
			t.Errorf("FromGo(%#v): %v", c.in, err)
			continue
		}
		if got := v.Go(); !cmp.Equal(got, c.want) {
			t.Errorf("FromGo(%#v).Go() = %#v, want %#v", c.in, got, c.want)
		}
	}
	if v, err := FromReflect(reflect.ValueOf(3)); err != nil || v.Go() != 3 {
		t.Errorf("FromReflect(3) = %v, %v", v, err)
	}

	nan, err := FromGo(math.NaN())
	if err != nil || !math.IsNaN(nan.Go().(float64)) {
		t.Errorf("FromGo(NaN) = %v, %v", nan, err)
	}
	negZero, _ := FromGo(math.Copysign(0, -1))
	if f := negZero.Go().(float64); !math.Signbit(f) {
		t.Errorf("FromGo(-0.0).Go() lost the sign")
	}
	b := []byte{1, 2}
	bv, _ := FromGo(b)
	b[0] = 9
	if got := bv.Go().([]byte); got[0] != 1 {
		t.Errorf("FromGo([]byte) did not copy")
	}
}

func TestFromGoErrors(t *testing.T) {
	type point struct{ X int }
	selfRef := []any{nil}
	selfRef[0] = selfRef
	n := 1
	tests := []struct {
		in   any
		want string
	}{
		{make(chan int), "cannot store chan int: only strings, numbers, bools, nil, []byte, slices and map[string]... can be stored"},
		{func() {}, "cannot store func(): only strings"},
		{point{1}, "cannot store store.point: only"},
		{&n, "cannot store *int: only"},
		{complex(1, 2), "cannot store complex128: only"},
		{map[int]string{1: "a"}, "cannot store map[int]string: map keys must be strings"},
		{[]any{1, make(chan bool)}, "cannot store chan bool at [1]: only"},
		{map[string]any{"k": []any{struct{}{}}}, `cannot store struct {} at ['k'][0]: only`},
		{uint64(math.MaxUint64), "cannot store uint64: 18446744073709551615 is out of int64 range"},
		{"\xff", `cannot store string: "\xff" is not valid UTF-8`},
		{selfRef, "nested more than 100 levels deep"},
	}
	for _, tt := range tests {
		_, err := FromGo(tt.in)
		var te *TypeError
		if !errors.As(err, &te) {
			t.Errorf("FromGo(%T) error = %v, want a *TypeError", tt.in, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("FromGo(%T) error = %q, want it to contain %q", tt.in, err, tt.want)
		}
	}
}

func TestEqual(t *testing.T) {
	vals := sampleValues()
	for a, va := range vals {
		for b, vb := range vals {
			if got := va.Equal(vb); got != (a == b) {
				t.Errorf("%s.Equal(%s) = %v", a, b, got)
			}
		}
	}
	if ListValue(IntValue(1)).Equal(TupleValue(IntValue(1))) {
		t.Error("a list equals a tuple")
	}
	ab := DictValue(Field{"a", IntValue(1)}, Field{"b", IntValue(2)})
	ba := DictValue(Field{"b", IntValue(2)}, Field{"a", IntValue(1)})
	if !ab.Equal(ba) {
		t.Error("dict equality depends on key order")
	}
	if ab.Equal(DictValue(Field{"a", IntValue(1)}, Field{"c", IntValue(2)})) {
		t.Error("dicts with different keys are equal")
	}
	if BytesValue([]byte("a")).Equal(StrValue("a")) {
		t.Error("bytes equal a str")
	}
}

func TestRepr(t *testing.T) {
	tests := []struct {
		v    Value
		want string
	}{
		{NoneValue(), "None"},
		{BoolValue(true), "True"},
		{IntValue(-7), "-7"},
		{FloatValue(1), "1.0"},
		{FloatValue(0.1), "0.1"},
		{FloatValue(123456789), "123456789.0"},
		{FloatValue(1e16), "1e+16"},
		{FloatValue(1.5e-5), "1.5e-05"},
		{FloatValue(math.Inf(-1)), "-inf"},
		{StrValue("a'b\n\x04é"), `'a\'b\n\x04é'`},
		{BytesValue([]byte("a\x00\xff")), `b'a\x00\xff'`},
		{ByteArrayValue(nil), `bytearray(b'')`},
		{TupleValue(IntValue(1)), "(1,)"},
		{DictValue(Field{"k", ListValue()}), "{'k': []}"},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("String() = %s, want %s", got, tt.want)
		}
	}
	if got := StrValue(strings.Repeat("é", 100)).Short(10); got != "'éééééé..." {
		t.Errorf("Short(10) = %q", got)
	}
}

func TestGoType(t *testing.T) {
	tests := []struct {
		v    Value
		want string
	}{
		{NoneValue(), "nil"},
		{IntValue(1), "int"},
		{ListValue(IntValue(1)), "[]int"},
		{ListValue(IntValue(1), StrValue("")), "[]any"},
		{DictValue(Field{"a", ListValue(FloatValue(1))}), "map[string][]float64"},
		{ByteArrayValue(nil), "[]uint8"},
	}
	for _, tt := range tests {
		if got := tt.v.GoType(); got != tt.want {
			t.Errorf("%v.GoType() = %s, want %s", tt.v, got, tt.want)
		}
	}
}

// TestShortIsThePrefixOfTheRepr checks the cut that keeps Short cheap for
// big values against the plain definition: the start of the whole repr.
func TestShortIsThePrefixOfTheRepr(t *testing.T) {
	vals := sampleValues()
	vals["longstr"] = StrValue(strings.Repeat("é'x\n", 50))
	vals["nested"] = ListValue(TupleValue(StrValue("ab")), DictValue(Field{strings.Repeat("k", 30), ListValue(IntValue(12345), BytesValue([]byte("\x00\xff")))}), TupleValue(IntValue(1), IntValue(2)))
	vals["manyints"] = ListValue(IntValue(1), IntValue(22), IntValue(333), IntValue(4444), IntValue(55555), IntValue(666666))
	for name, v := range vals {
		full := v.String()
		for n := 0; n <= 80; n++ {
			want := full
			if utf8.RuneCountInString(full) > n {
				want = string([]rune(full)[:max(n-3, 0)]) + "..."
			}
			if got := v.Short(n); got != want {
				t.Errorf("%s.Short(%d) = %q, want %q", name, n, got, want)
			}
		}
	}
}
