package host

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"net"
	"net/http"
	"os/exec"
)

func TestAutoImportEveryPackage(t *testing.T) {
	in := newInterp(t)
	wantValue(t, in, `exec.Command("true").Run() == nil`, "true")
	wantValue(t, in, `netip.MustParseAddr("10.0.0.1").Is4()`, "true")
	wantValue(t, in, `syscall.Getpid() > 0`, "true")
	wantValue(t, in, `os.FindProcess != nil`, "true")
	wantValue(t, in, `strings.ToUpper("ok")`, "OK")
}

// Packages are built when first needed (yaegi's UseLazy): what the host
// replaces in them applies from a package's first use, and an interface
// wrapper is found in a package no cell imported (io, for a cell's
// writer given to fmt.Fprint).
func TestLazyPackages(t *testing.T) {
	in := newInterp(t)
	_, rec := mustEval(t, in, "type upper struct{}\nfunc (upper) Write(p []byte) (int, error) { return os.Stdout.Write(bytes.ToUpper(p)) }\nfmt.Fprint(upper{}, \"shout\")")
	if got := rec.stdout.String(); got != "SHOUT" {
		t.Errorf("a cell's writer through fmt.Fprint printed %q on the cell's stdout, want SHOUT", got)
	}
	// time.Sleep is the host's (interruptible) one from the package's first use.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := in.Eval(ctx, "time.Sleep(time.Hour)", (&recorder{}).IO())
	if err == nil {
		t.Fatal("time.Sleep(time.Hour) was not interrupted: the standard Sleep was used")
	}
}

// The generic packages' sources are compiled when a cell first names
// them (see third_party/yaegi's lazy.go); cells use them as before, with
// or without an import, and from functions that later cells call.
func TestGenericPackages(t *testing.T) {
	in := newInterp(t)
	wantValue(t, in, "slices.Index([]int{3, 1}, 1)", "1")
	in = newInterp(t)
	mustEval(t, in, `import "slices"`)
	wantValue(t, in, "slices.Contains([]int{1, 5}, 5)", "true")
	in = newInterp(t)
	mustEval(t, in, "import \"cmp\"\nfunc low(a, b int) bool { return cmp.Less(a, b) }")
	wantValue(t, in, "low(1, 2)", "true")
	wantValue(t, in, "cmp.Compare(2, 1)", "1")
}

// What the interpreter lacks of generics is said in terms of the cell:
// the line of the call, the function, and what to use instead.
func TestGenericGaps(t *testing.T) {
	for _, c := range []struct {
		code string
		line int
		want []string
	}{
		{"x := []int{3, 1, 2}\n_ = slices.Repeat(x, 2)", 2, []string{"slices.Repeat is not available in %%host cells", "as Go 1.22 has it", "a loop"}},
		{"\n_ = slices.Index(nil, 1)", 2, []string{"slices.Index: cannot infer its type parameter S from the arguments", "not nil"}},
	} {
		in := newInterp(t)
		_, _, err := eval(t, in, c.code)
		var ce *CompileError
		if !errors.As(err, &ce) {
			t.Errorf("Eval(%q) = %v, want a CompileError", c.code, err)
			continue
		}
		if ce.Line != c.line {
			t.Errorf("Eval(%q): error on line %d, want %d (%s)", c.code, ce.Line, c.line, ce.Msg)
		}
		for _, w := range c.want {
			if !strings.Contains(ce.Msg, w) {
				t.Errorf("Eval(%q) = %q, want it to say %q", c.code, ce.Msg, w)
			}
		}
	}
	in := newInterp(t)
	wantValue(t, in, "slices.Index([]int{3, 1}, 1)", "1") // what it has still works
	// A package-level var from a generic call, and from a variable an
	// earlier cell defined with := (both were refused).
	mustEval(t, in, "z := []int{4, 5}")
	wantValue(t, in, "var c = slices.Clone(z)\nc[1] = 9\nfmt.Sprint(c, z)", "[4 9] [4 5]")
	wantValue(t, in, "var n = len(z) + 1\nn", "3")
}

// TestGenericsInferred checks the generic functions of slices and maps
// whose type parameters only the constraints give (S ~[]E: E from S),
// which the interpreter inferred from a patch on, and generic functions
// of the cell's own.
func TestGenericsInferred(t *testing.T) {
	in := newInterp(t)
	mustEval(t, in, "z := []int{1, 2, 3}\nslices.Reverse(z)\ntype IDs []string\nids := IDs{\"b\", \"a\"}\nslices.Reverse(ids)")
	wantValue(t, in, "z", "[3 2 1]")
	wantValue(t, in, "ids", "[a b]")
	// At top level too: the result has the inferred type.
	mustEval(t, in, "m := map[string]int{\"a\": 1}\nm2 := maps.Clone(m)\nm2[\"b\"] = 2\nc := slices.Clone(z)\nc[0] = 9")
	wantValue(t, in, "len(m)", "1") // a clone, not m itself
	wantValue(t, in, "len(m2)", "2")
	wantValue(t, in, "z[0]", "3")
	wantValue(t, in, "slices.Equal([]int{1, 2}, []int{1, 2})", "true")
	wantValue(t, in, "slices.Equal([]int{1, 2}, []int{1, 3})", "false")
	wantValue(t, in, `slices.Insert([]string{"a", "c"}, 1, "b")`, "[a b c]")
	wantValue(t, in, "more := []int{7, 8}\nslices.Insert([]int{1}, 1, more...)", "[1 7 8]")
	wantValue(t, in, "slices.Concat([]int{1}, []int{2, 3})", "[1 2 3]")
	wantValue(t, in, "slices.Compact([]int{1, 1, 2})", "[1 2]")
	wantValue(t, in, `slices.Index(strings.Fields("x y z"), "y")`, "1")
	wantValue(t, in, "maps.Equal(m, map[string]int{\"a\": 1})", "true")
	// The sorting half of slices (a patch compiles its files as one).
	mustEval(t, in, "xs := []int{5, 2, 9, 1}\nslices.Sort(xs)\nws := []string{\"b\", \"c\", \"a\"}\nslices.SortFunc(ws, strings.Compare)")
	wantValue(t, in, "xs", "[1 2 5 9]")
	wantValue(t, in, "ws", "[a b c]")
	wantValue(t, in, "slices.Max(xs) + slices.Min(xs)", "10")
	wantValue(t, in, "i, found := slices.BinarySearch(xs, 5)\nfmt.Sprint(i, found)", "2 true")
	wantValue(t, in, "fs := []float64{3, math.NaN(), 1}\nslices.Sort(fs)\nfmt.Sprint(fs)", "[NaN 1 3]") // NaNs first, as in Go
	// Past insertion sort: pdqsort's partitions, on 5,000 random ints
	// with many repeats, then a stable sort of reversed input.
	wantValue(t, in, "r := rand.New(rand.NewSource(1))\nrs := make([]int, 5000)\nfor i := range rs {\n\trs[i] = r.Intn(100)\n}\nwant := slices.Clone(rs)\nsort.Ints(want)\nslices.Sort(rs)\nslices.Equal(rs, want)", "true")
	wantValue(t, in, "zs := make([]int, 3000)\nfor i := range zs {\n\tzs[i] = len(zs) - i\n}\nslices.SortStableFunc(zs, func(a, b int) int { return a - b })\nslices.IsSorted(zs) && zs[0] == 1", "true")
	mustEval(t, in, "func Map[T, U any](xs []T, f func(T) U) []U {\n\tvar out []U\n\tfor _, x := range xs {\n\t\tout = append(out, f(x))\n\t}\n\treturn out\n}")
	wantValue(t, in, "Map([]int{1, 2}, func(i int) string { return fmt.Sprint(i * 10) })", "[10 20]")
	mustEval(t, in, "func Sum[N int | float64](xs ...N) N {\n\tvar s N\n\tfor _, x := range xs {\n\t\ts += x\n\t}\n\treturn s\n}")
	wantValue(t, in, "Sum(1, 2, 3)", "6")
	wantValue(t, in, "Sum(1.5, 2)", "3.5")
}

func TestUnsafeUnavailable(t *testing.T) {
	in := newInterp(t)
	for _, code := range []string{`import "unsafe"`, "import (\n\t\"fmt\"\n\t\"unsafe\"\n)"} {
		_, _, err := eval(t, in, code)
		var ce *CompileError
		if !errors.As(err, &ce) || !strings.Contains(ce.Msg, "unsafe is not available in %%host cells") || strings.Contains(ce.Msg, "GOPATH") {
			t.Errorf("Eval(%q) = %v, want a CompileError saying unsafe is not available", code, err)
		}
	}
	wantValue(t, in, `1 + 1`, "2")
}

// TestBuiltinsOfGo121 checks min, max and clear in cells (a patch of the
// interpreter, third_party/yaegi/interp/builtin121.go) and that
// completion offers them.
func TestBuiltinsOfGo121(t *testing.T) {
	in := newInterp(t)
	mustEval(t, in, "a, b := 3, 1\ntemps := []float64{21.5, 19.25, 23}")
	wantValue(t, in, "min(a, b)", "1")
	wantValue(t, in, "max(a, 2, b)", "3")
	wantValue(t, in, "min(temps[0], temps[1], temps[2])", "19.25")
	wantValue(t, in, `max("esp32", "microbit")`, "microbit")
	wantValue(t, in, "min(a, 2.0)", "2") // an untyped constant takes a's type
	mustEval(t, in, "const limit = max(10, 2.5)")
	wantValue(t, in, "limit", "10")
	wantValue(t, in, "math.IsNaN(max(math.NaN(), 1))", "true")
	mustEval(t, in, "seen := map[string]int{\"a\": 1, \"b\": 2}\nclear(seen)\nbuf := []byte(\"abc\")\nclear(buf)")
	wantValue(t, in, "len(seen)", "0")
	wantValue(t, in, "buf", "[0 0 0]")
	for _, c := range []struct{ code, want string }{
		{"x := 1\ny := 2.5\n_ = min(x, y)", "mismatched types int and float64 in call to min"},
		{"_ = max([]int{1})", "[]int cannot be ordered"},
		{"clear(3)", "is not a map or slice"},
	} {
		_, _, err := eval(t, in, c.code)
		var ce *CompileError
		if !errors.As(err, &ce) || !strings.Contains(ce.Msg, c.want) {
			t.Errorf("Eval(%q) = %v, want a CompileError saying %q", c.code, err, c.want)
		}
	}
	if m, _, _ := in.Complete("mi", 2); !slices.Contains(m, "min") {
		t.Errorf("completion of mi = %q, want min among them", m)
	}
}

// TestUnknownImports checks that a package the interpreter has no
// symbols for gets a message that says so, on the import's line, not
// yaegi's search of GOPATH.
func TestUnknownImports(t *testing.T) {
	in := newInterp(t)
	for _, c := range []struct{ code, want string }{
		{`import "C"`, `import "C" (cgo) is not available in %%host cells`},
		{"x := 1\nimport \"github.com/x/y\"", `package "github.com/x/y" is not available in %%host cells: cells import the standard library, display and board, not modules (a program that needs github.com/x/y can run with %%bash: go run)`},
		{`import "iter"`, `package "iter" is not available in %%host cells: cells import the standard library the interpreter has symbols for (Go 1.22's), display and board, and iter is not among them`},
		{`import "nosuchpkg"`, `package "nosuchpkg" is not available`},
	} {
		_, _, err := eval(t, in, c.code)
		var ce *CompileError
		wantLine := strings.Count(c.code, "\n") + 1
		if !errors.As(err, &ce) || !strings.HasPrefix(ce.Msg, c.want) || ce.Line != wantLine {
			t.Errorf("Eval(%q) = %#v, want a CompileError on line %d starting %q", c.code, err, wantLine, c.want)
		}
	}
	// What it has imports as before.
	mustEval(t, in, "import \"os/exec\"\nimport \"slices\"")
	wantValue(t, in, `slices.Index([]string{"a", exec.ErrNotFound.Error()}, "a")`, "0")
}

// The types cells see in place of the standard ones have all their
// methods.
func TestTrackedTypesHaveEveryMethod(t *testing.T) {
	for _, c := range []struct{ std, ours reflect.Type }{
		{reflect.TypeFor[*http.Server](), reflect.TypeFor[*httpServer]()},
		{reflect.TypeFor[*exec.Cmd](), reflect.TypeFor[*execCmd]()},
		{reflect.TypeFor[*http.Client](), reflect.TypeFor[*httpClient]()},
	} {
		for i := range c.std.NumMethod() {
			m := c.std.Method(i)
			got, ok := c.ours.MethodByName(m.Name)
			if !ok {
				t.Errorf("%v lacks method %s of %v", c.ours, m.Name, c.std)
				continue
			}
			if got.Type.NumIn() != m.Type.NumIn() || got.Type.NumOut() != m.Type.NumOut() {
				t.Errorf("%v.%s has type %v, want the shape of %v", c.ours, m.Name, got.Type, m.Type)
			}
		}
	}
	var _ net.Listener = (*listener)(nil)
}

func TestLineHook(t *testing.T) {
	var lines []int
	in, err := New(Options{Line: func(line int) { lines = append(lines, line) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	mustEval(t, in, "x := 1\nfmt.Sprint(x)\n\nfor i := 0; i < 3; i++ {\n\tx++\n}\nfunc f() {}\nx")
	if got, want := fmt.Sprint(lines), "[1 2 4 7 8]"; got != want {
		t.Errorf("lines reported = %s, want %s (each top-level statement once, and each run of declarations)", got, want)
	}
}

// The index matches whole exported names in its lists, prefers the usual
// package where names collide, and lists a package's members once each.
func TestPackageIndex(t *testing.T) {
	x := newPackageIndex(nil, map[string]reflect.Value{"Exec": {}})
	for _, c := range []struct {
		name, sel, want string
		ok              bool
	}{
		{"strings", "ToUpper", "strings", true},
		{"strings", "ToUpp", "", false},  // a prefix of a name
		{"strings", "oUpper", "", false}, // a suffix
		{"strings", "Upper ToLower", "", false},
		{"rand", "Intn", "math/rand", true}, // math/rand only
		{"rand", "Prime", "crypto/rand", true},
		{"rand", "Read", "math/rand", true}, // both: the preferred one
		{"board", "Exec", boardPath, true},  // from a symbol map, not a name list
		{"nosuch", "X", "", false},
	} {
		if got, ok := x.lookup(c.name, c.sel); got != c.want || ok != c.ok {
			t.Errorf("lookup(%q, %q) = %q, %v; want %q, %v", c.name, c.sel, got, ok, c.want, c.ok)
		}
	}
	m := x.members("os")
	if !slices.IsSorted(m) || len(slices.Compact(slices.Clone(m))) != len(m) || !slices.Contains(m, "Getenv") {
		t.Errorf("members(os) is not the sorted, distinct list of its names: %d names, Getenv %v", len(m), slices.Contains(m, "Getenv"))
	}
}
