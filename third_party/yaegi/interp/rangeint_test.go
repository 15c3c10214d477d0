package interp

import (
	"fmt"
	"strings"
	"testing"
)

// range over an integer, as Go 1.22 has it.
func TestRangeInt(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`s := 0; for i := range 5 { s += i }; s`, "10"},
		{`n := 0; for range 3 { n++ }; n`, "3"},
		{`f := func() uint8 { var u uint8 = 4; var last uint8; for i := range u { last = i }; return last }; f()`, "3"},
		{`c := 0; for i := range 0 { c += i + 1 }; c`, "0"},
		{`c := 0; for range -2 { c++ }; c`, "0"},
		{`k := 7; t := 0; for i := range k { if i == 2 { continue }; if i == 5 { break }; t += i }; t`, "8"},
		{`g := func() int { type N int; var m N = 3; var got N; for i := range m { got += i }; return int(got) }; g()`, "3"},
		{`f := func(n int) (r []int) { for i := range n { r = append(r, i*i) }; return }; f(4)`, "[0 1 4 9]"},
		{`s := ""; for i := range 2 { for j := range 2 { s += string(rune('a'+i)) + string(rune('0'+j)) } }; s`, "a0a1b0b1"},
	} {
		i := New(Options{})
		v, err := i.Eval(c.src)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if got := fmt.Sprint(v); got != c.want {
			t.Errorf("%s = %s, want %s", c.src, got, c.want)
		}
	}
	if _, err := New(Options{}).Eval(`for i, v := range 3 { _, _ = i, v }`); err == nil || !strings.Contains(err.Error(), "permits only one iteration variable") {
		t.Errorf("two variables ranging over an integer: %v, want a compile error", err)
	}
}
