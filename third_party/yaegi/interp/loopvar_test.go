package interp

import (
	"fmt"
	"testing"
)

// Range loops have a variable per iteration, as in Go 1.22, when the body
// keeps them beyond the iteration.
func TestRangeVariablePerIteration(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`f := func() (r []int) { var fs []func() int; for _, v := range []int{7, 8, 9} { fs = append(fs, func() int { return v }) }; for _, g := range fs { r = append(r, g()) }; return }; f()`, "[7 8 9]"},
		{`f := func() (r []int) { var fs []func() int; for i := range []string{"a", "b", "c"} { fs = append(fs, func() int { return i }) }; for _, g := range fs { r = append(r, g()) }; return }; f()`, "[0 1 2]"},
		{`f := func() (r []int) { var ps []*int; for i := range 3 { ps = append(ps, &i) }; for _, p := range ps { r = append(r, *p) }; return }; f()`, "[0 1 2]"},
		{`f := func() (r []string) { var fs []func() string; for k, v := range map[string]int{"x": 1} { fs = append(fs, func() string { return k + string(rune('0'+v)) }) }; for _, g := range fs { r = append(r, g()) }; return }; f()`, "[x1]"},
		{`f := func() (r []int) { ch := make(chan int, 3); ch <- 4; ch <- 5; close(ch); var fs []func() int; for v := range ch { fs = append(fs, func() int { return v }) }; for _, g := range fs { r = append(r, g()) }; return }; f()`, "[4 5]"},
		{`f := func() (r []int) { done := make(chan int); for _, v := range []int{1, 2, 3} { go func() { done <- v }() }; s := 0; for range 3 { s += <-done }; return []int{s} }; f()`, "[6]"},
		// A body that keeps nothing, and the loop still counts and stops.
		{`f := func() (r []int) { for i, v := range []int{5, 6} { r = append(r, i, v) }; return }; f()`, "[0 5 1 6]"},
		{`f := func() (r []int) { var fs []func() int; for i, v := range []int{5, 6} { if i == 0 { continue }; fs = append(fs, func() int { return v }) }; return []int{len(fs), fs[0]()} }; f()`, "[1 6]"},
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
}

// Three-clause for loops too: each iteration's variable is a copy made
// before the post statement.
func TestForVariablePerIteration(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{`f := func() (r []int) { var fs []func() int; for i := 0; i < 3; i++ { fs = append(fs, func() int { return i }) }; for _, g := range fs { r = append(r, g()) }; return }; f()`, "[0 1 2]"},
		{`f := func() (r []int) { var ps []*int; for i := 0; i < 3; i++ { ps = append(ps, &i) }; for _, p := range ps { r = append(r, *p) }; return }; f()`, "[0 1 2]"},
		{`f := func() (r []int) { var fs []func() int; for i := 0; i < 4; i++ { if i%2 == 1 { continue }; fs = append(fs, func() int { return i }) }; for _, g := range fs { r = append(r, g()) }; return }; f()`, "[0 2]"},
		{`f := func() (r []int) { var fs []func() int; for i, j := 0, 10; i < 2; i, j = i+1, j-1 { fs = append(fs, func() int { return i*100 + j }) }; for _, g := range fs { r = append(r, g()) }; return }; f()`, "[10 109]"},
		// The body changes the variable: the next iteration starts from it.
		{`f := func() (r []int) { var fs []func() int; for i := 0; i < 6; i++ { i++; fs = append(fs, func() int { return i }) }; for _, g := range fs { r = append(r, g()) }; return }; f()`, "[1 3 5]"},
		{`f := func() (r []int) { var fs []func() int; for i := 0; ; i++ { if i == 2 { break }; fs = append(fs, func() int { return i }) }; for _, g := range fs { r = append(r, g()) }; return }; f()`, "[0 1]"},
		{`f := func() (n int) { for i := 0; i < 1000; i++ { n += i }; return }; f()`, "499500"},
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
}
