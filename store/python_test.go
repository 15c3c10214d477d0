package store

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
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
	b.WriteString("junk before\r\n" + DumpBegin + "\r\n")
	for n, v := range vals {
		b.WriteString("=" + n + " ")
		appendDump(&b, v)
		b.WriteString("\r\n")
	}
	b.WriteString(DumpEnd + "\r\n>")
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
		{"no begin", "=x N\n" + DumpEnd, "no begin marker"},
		{"no end", DumpBegin + "\n=x N\n", "ended before the end marker"},
		{"junk line", DumpBegin + "\nhello\n" + DumpEnd, "malformed line"},
		{"cut value", DumpBegin + "\n=x [i1;\n" + DumpEnd, "cannot store x: store dump: value cut short"},
		{"trailing", DumpBegin + "\n=x NN\n" + DumpEnd, "trailing data"},
		{"bad tag", DumpBegin + "\n=x Q\n" + DumpEnd, "unknown tag"},
		{"bad int", DumpBegin + "\n=x i1x;\n" + DumpEnd, "bad int"},
		{"bad float", DumpBegin + "\n=x f12;\n" + DumpEnd, "bad float bits"},
		{"bad escape", DumpBegin + "\n=x s%zz;\n" + DumpEnd, "bad %-escape"},
		{"short escape", DumpBegin + "\n=x s%4;\n" + DumpEnd, "truncated %-escape"},
		{"bad utf8", DumpBegin + "\n=x s%ff;\n" + DumpEnd, "not valid UTF-8"},
		{"int key", DumpBegin + "\n=x {i1;N}\n" + DumpEnd, "cannot store x (a dict): dict keys must be str, not int"},
		{"dup key", DumpBegin + "\n=x {sa;Nsa;N}\n" + DumpEnd, "dict key \"a\" twice"},
		{"dup name", DumpBegin + "\n=x N\n=x T\n" + DumpEnd, "reported twice"},
		{"deep", DumpBegin + "\n=x " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n" + DumpEnd, "nested more than 100"},
		{"huge int", DumpBegin + "\n=x i" + strings.Repeat("9", 100) + ";\n" + DumpEnd, "int 999999999999...999999999999 (100 digits) does not fit"},
		{"unknown code", DumpBegin + "\n!x Z\n" + DumpEnd, "unknown error code"},
	}
	for _, tt := range bad {
		_, err := ParsePythonDump(tt.out)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}

	// Decimal floats from boards without struct.
	got, err = ParsePythonDump(DumpBegin + "\n=a [g1.5;g-inf;gnan;g1e+16;]\n" + DumpEnd)
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
		if _, _, err := PythonDefine(map[string]Value{name: NoneValue()}, "bytearray"); err == nil {
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
