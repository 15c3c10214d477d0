package interp

// Tests of the iotkernel patch that infers type arguments by name and
// from the constraints' core types (generic.go).

import (
	"strings"
	"testing"
)

// generics are the generic functions the tests call, declared after main.
const generics = `
func Rev[S ~[]E, E any](s S) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

func Same[S ~[]E, E comparable](a, b S) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func Grow[S ~[]E, E any](s S, n int) S { return append(s, make(S, n)...)[:len(s)] }

func Cat[S ~[]E, E any](xs ...S) S {
	out := Grow[S](nil, 4)
	for _, x := range xs {
		out = append(out, x...)
	}
	return out
}

func Keys[M ~map[K]V, K comparable, V any](m M) []K {
	var ks []K
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func Put[E any](s []E, v ...E) []E { return append(s, v...) }

func Map[T, U any](xs []T, f func(T) U) []U {
	var out []U
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}

type IDs []int
`

func TestInferFromConstraints(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		// E comes from S's constraint ~[]E, also for a named slice type.
		{"x := []int{1, 2, 3}\nRev(x)\nids := IDs{4, 5}\nRev(ids)\nfmt.Println(x, ids)", "[3 2 1] [5 4]\n"},
		// Two parameters of one type: each argument is paired.
		{"fmt.Println(Same([]int{1, 2}, []int{1, 2}), Same([]int{1, 2}, []int{2, 1}))", "true false\n"},
		// f[S] inside an instance of a generic function.
		{"fmt.Println(Cat([]int{1}, []int{2, 3}))", "[1 2 3]\n"},
		{"fmt.Println(len(Keys(map[string]bool{\"a\": true})))", "1\n"},
		// U from a function's result: interpreted, or compiled.
		{"fmt.Println(Map([]int{1, 2}, func(i int) string { return fmt.Sprintf(\"<%d>\", i) }), Map([]float64{1}, math.IsNaN))", "[<1> <2>] [false]\n"},
		// Variadic, spread, and untyped constants given their default type.
		{"more := []float64{2.5}\nfmt.Println(Put([]float64{1}, more...), Put([]int{1}, 2, 3))", "[1 2.5] [1 2 3]\n"},
	} {
		got, err := runMain(t, c.body+"\n}\n"+generics+"\nfunc unused() {")
		if err != nil || got != c.want {
			t.Errorf("%s\nprinted %q, err %v; want %q", c.body, got, err, c.want)
		}
	}
}

func TestGenericCallInGlobalVar(t *testing.T) {
	// A package-level var initialised by a call of a generic function has
	// its value (the instance did nothing there, and the var stayed zero).
	got, err := runMain(t, "fmt.Println(total, len(ks), ks[0])\n}\nvar total = len(Cat([]int{1}, []int{2}))\nvar ks = Keys(map[string]int{\"a\": 1})\n"+generics+"\nfunc unused() {")
	if want := "2 1 a\n"; err != nil || got != want {
		t.Errorf("package-level vars: printed %q, err %v; want %q", got, err, want)
	}
	// In a function, the same calls are fine.
	got, err = runMain(t, "total := len(Cat([]int{1}, []int{2}))\nvar ks = Keys(map[string]int{\"a\": 1})\nfmt.Println(total, len(ks))\n}\n"+generics+"\nfunc unused() {")
	if want := "2 1\n"; err != nil || got != want {
		t.Errorf("in a function: printed %q, err %v; want %q", got, err, want)
	}
}

func TestInferNilFails(t *testing.T) {
	// An untyped nil gives no type: S cannot be inferred, as in Go.
	_, err := runMain(t, "Rev(nil)\n}\n"+generics+"\nfunc unused() {")
	if err == nil || !strings.Contains(err.Error(), "undefined type for S") {
		t.Errorf("Rev(nil): err %v, want one saying S cannot be inferred", err)
	}
}
