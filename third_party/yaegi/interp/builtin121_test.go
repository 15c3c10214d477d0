package interp

// Tests of the iotkernel patch that adds Go 1.21's min, max and clear
// (builtin121.go).

import (
	"bytes"
	"fmt"
	"math"
	"math/bits"
	"reflect"
	"strings"
	"testing"
)

// runMain runs body as the main function of a program that imports fmt
// and math, and returns what it printed.
func runMain(t *testing.T, body string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	i := New(Options{Stdout: &out})
	if err := i.Use(Exports{
		"fmt/fmt":   {"Println": reflect.ValueOf(func(a ...any) { fmt.Fprintln(&out, a...) }), "Sprintf": reflect.ValueOf(fmt.Sprintf)},
		"math/math": {"NaN": reflect.ValueOf(math.NaN), "Copysign": reflect.ValueOf(math.Copysign), "Signbit": reflect.ValueOf(math.Signbit), "IsNaN": reflect.ValueOf(math.IsNaN)},
		// Use compiles the generic sources with fmt; slices needs bits.Len.
		"math/bits/bits": {"Len": reflect.ValueOf(bits.Len)},
	}); err != nil {
		t.Fatal(err)
	}
	_, err := i.Eval("package main\nimport (\"fmt\"; \"math\")\nvar _ = math.NaN\nfunc main() {\n" + body + "\n}")
	return out.String(), err
}

func TestMinMax(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{"a, b := 3, 1\nfmt.Println(min(a, b), max(a, b), min(a, 2, b), max(b, 7, a))", "1 3 1 7\n"},
		{"var u uint8 = 200\nfmt.Println(max(u, 3), min(u, 3))", "200 3\n"},
		{"x := 2.5\nfmt.Println(min(x, 1), max(x, 3), min(x))", "1 3 2.5\n"},
		{`fmt.Println(min("b", "a", "c"), max("b", "a"))`, "a b\n"},
		// Constants only: a constant of the widest untyped kind.
		{"const c = min(3, 1.5)\nfmt.Println(c, max(1, 'a'))", "1.5 97\n"},
		{"const k int = 4\nfmt.Println(min(k, 2), max(k, 9))", "2 9\n"},
		{"fmt.Println(min(1, 2) + 3)", "4\n"},
		// A NaN wins; min(-0.0, 0.0) is -0.0 and max is 0.0.
		{"fmt.Println(math.IsNaN(min(1, math.NaN())), math.IsNaN(max(math.NaN(), 1)))", "true true\n"},
		{"z := math.Copysign(0, -1)\nfmt.Println(math.Signbit(min(0.0, z)), math.Signbit(max(z, 0.0)))", "true false\n"},
		// A named type keeps its type; the result goes where values go.
		{"type C float64\nvar c C = 3\nvar d C = min(c, 2)\nfmt.Println(d)", "2\n"},
		{"var i any = max(3, 4)\nfmt.Println(fmt.Sprintf(\"%T %v\", i, i))", "int 4\n"},
		{"f := func() int { return max(1, 9) }\nfmt.Println(f())", "9\n"},
		{"var z int\nz = max(z, 5, 2)\nfmt.Println(z)", "5\n"},
		// In a generic function, for each of its instantiations.
		{"fmt.Println(smaller(3, 2), smaller(\"b\", \"a\"))\n}\nfunc smaller[T int | string](a, b T) T {\nreturn min(a, b)", "2 a\n"},
	} {
		got, err := runMain(t, c.body)
		if err != nil || got != c.want {
			t.Errorf("%s\nprinted %q, err %v; want %q", c.body, got, err, c.want)
		}
	}
}

func TestClear(t *testing.T) {
	got, err := runMain(t, "m := map[string]int{\"a\": 1, \"b\": 2}\nclear(m)\ns := []int{1, 2}\nclear(s)\nfmt.Println(len(m), s)\n"+
		"type T struct{ m map[int]bool }\nv := T{m: map[int]bool{1: true}}\ndefer func() { fmt.Println(len(v.m)) }()\ndefer clear(v.m)")
	if want := "0 [0 0]\n0\n"; err != nil || got != want {
		t.Errorf("printed %q, err %v; want %q", got, err, want)
	}
}

func TestMinMaxClearErrors(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{"var x int = 1\nvar y float64 = 2\nfmt.Println(min(x, y))", "mismatched types int and float64 in call to min"},
		{"fmt.Println(max([]int{1}, []int{2}))", "[]int cannot be ordered"},
		{"fmt.Println(min())", "not enough arguments in call to min"},
		{"x := 1\nfmt.Println(min(x, 1.5))", "truncated"},
		{"clear(3)", "is not a map or slice"},
		{`fmt.Println(max(1, "a"))`, "cannot convert"},
	} {
		_, err := runMain(t, c.body)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s\nerr %v, want one saying %q", c.body, err, c.want)
		}
	}
}
