package boardpy

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestParseLiteral(t *testing.T) {
	cases := []struct {
		in   string
		want any
	}{
		{"None", nil},
		{"True", true},
		{"-12", json.Number("-12")},
		{"1e-05", json.Number("1e-05")},
		{"2.", json.Number("2.0")},
		{"'caf\\xe9 \\n \\'q\\' \\u20ac \\U0001f389'", "café \n 'q' € 🎉"},
		{`"it's"`, "it's"},
		{"'ünï'", "ünï"},
		{"b'\\x89PNG\\r\\n\\x1a\\n\\\\'", Bytes("\x89PNG\r\n\x1a\n\\")},
		{"bytearray(b'ab')", Bytes("ab")},
		{"[1, (2,), []]", []any{json.Number("1"), []any{json.Number("2")}, []any{}}},
		{"{'a': None, 3: 'x'}", &Dict{Keys: []any{"a", json.Number("3")}, Values: []any{nil, "x"}}},
	}
	for _, c := range cases {
		got, err := ParseLiteral(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseLiteral(%q) = %#v, %v; want %#v", c.in, got, err, c.want)
		}
	}
	if v, err := ParseLiteral("-inf"); err != nil || !math.IsInf(v.(float64), -1) {
		t.Errorf("ParseLiteral(-inf) = %v, %v", v, err)
	}
	for _, bad := range []string{"", "<object>", "'open", "[1, 2", "{1, 2}", "1 2", "{'a' 1}", strings.Repeat("[", 200) + strings.Repeat("]", 200)} {
		if v, err := ParseLiteral(bad); err == nil {
			t.Errorf("ParseLiteral(%q) = %#v, want an error", bad, v)
		}
	}
}

func TestParseDisplay(t *testing.T) {
	cases := []struct {
		frame string
		want  Display
	}{
		{`Dh1 '<b>x</b> &amp; y'`, Display{ID: 1, Data: map[string]any{"text/html": "<b>x</b> &amp; y", "text/plain": "x & y"}}},
		{`Us12 '<svg/>'`, Display{Update: true, ID: 12, Data: map[string]any{"image/svg+xml": "<svg/>", "text/plain": "[SVG image]"}}},
		{`Rh3 '<i></i>'`, Display{Result: true, ID: 3, Data: map[string]any{"text/html": "<i></i>", "text/plain": "[HTML]"}}},
		{`Dm2 '# T'`, Display{ID: 2, Data: map[string]any{"text/markdown": "# T", "text/plain": "# T"}}},
		{`Dp4 b'\x89P'`, Display{ID: 4, Data: map[string]any{"image/png": "iVA=", "text/plain": "[PNG image, 2 bytes]"}}},
		{`Dj5 {'a': [1, inf]}`, Display{ID: 5, Data: map[string]any{"application/json": map[string]any{"a": []any{json.Number("1"), nil}}, "text/plain": "{\n  \"a\": [\n    1,\n    null\n  ]\n}"}}},
	}
	for _, c := range cases {
		got := ParseDisplay(c.frame)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseDisplay(%q) = %#v\nwant %#v", c.frame, got, c.want)
		}
	}
	for _, bad := range []string{"", "Dh1", "Xh1 'a'", "Dq1 'a'", "Dhx 'a'", "Dh1 <object>", "Dp1 'str'", "Dh1 [1]", "Dj1 {1: <x>}"} {
		d := ParseDisplay(bad)
		if d.Err == nil || d.Data["text/plain"] != d.Err.Error() {
			t.Errorf("ParseDisplay(%q) = %#v, want an error shown as text/plain", bad, d)
		}
	}
}

// TestDisplayFilterAtEveryChunking feeds a stream with text, two frames
// and a result mark in every split, as a board's output arrives.
func TestDisplayFilterAtEveryChunking(t *testing.T) {
	stream := "a\n\x1fDh1 '<b>\\x1f</b>'\x1fb\x1e'r'\x1e\x1fUh1 'c'\x1f"
	for size := 1; size <= len(stream); size++ {
		var out bytes.Buffer
		var got []Display
		f := NewDisplayFilter(&out, func(d Display) { got = append(got, d) })
		for i := 0; i < len(stream); i += size {
			f.Write([]byte(stream[i:min(i+size, len(stream))]))
		}
		if out.String() != "a\nb\x1e'r'\x1e" || len(got) != 2 ||
			got[0].Data["text/html"] != "<b>\x1f</b>" || !got[1].Update || got[1].Data["text/html"] != "c" {
			t.Fatalf("chunk %d: out %q, displays %#v", size, out.String(), got)
		}
	}
}

func TestNeedsDisplay(t *testing.T) {
	for code, want := range map[string]bool{
		"display.html('x')":                   true,
		"h = display":                         true,
		"def _repr_html_(self): pass":         true,
		"x = 1":                               false,
		"microbit.display.scroll('hi')":       false,
		"displayed = 1":                       false,
		"my_display = 2":                      false,
		"print('nothing to display here')":    true, // a string may mention it: harmless
		"from microbit import *\nshow(image)": false,
	} {
		if got := NeedsDisplay(code); got != want {
			t.Errorf("NeedsDisplay(%q) = %v, want %v", code, got, want)
		}
	}
}
