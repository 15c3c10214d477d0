package interp

// Tests of the iotkernel patch that builds binary packages on first use
// (lazy.go).

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"math/bits"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// counted registers a package whose builds are counted.
func counted(n *int, mu *sync.Mutex, syms map[string]reflect.Value) func() map[string]reflect.Value {
	return func() map[string]reflect.Value {
		mu.Lock()
		*n++
		mu.Unlock()
		out := map[string]reflect.Value{}
		for k, v := range syms {
			out[k] = v
		}
		return out
	}
}

func TestLazyPackageIsBuiltOnImportOnly(t *testing.T) {
	var mu sync.Mutex
	var strBuilds, ioBuilds int
	i := New(Options{})
	err := i.UseLazy(map[string]func() map[string]reflect.Value{
		"strings/strings": counted(&strBuilds, &mu, map[string]reflect.Value{
			"ToUpper": reflect.ValueOf(strings.ToUpper),
			"Repeat":  reflect.ValueOf(strings.Repeat),
		}),
		"io/io": counted(&ioBuilds, &mu, map[string]reflect.Value{
			"Discard": reflect.ValueOf(&io.Discard).Elem(),
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	// A replacement given before the package is built wins over it.
	if err := i.Use(Exports{"strings/strings": {"Repeat": reflect.ValueOf(func(string, int) string { return "replaced" })}}); err != nil {
		t.Fatal(err)
	}
	if strBuilds != 0 || ioBuilds != 0 {
		t.Fatalf("built before any import: strings %d, io %d", strBuilds, ioBuilds)
	}
	if _, err := i.Eval(`import "strings"`); err != nil {
		t.Fatal(err)
	}
	v, err := i.Eval(`strings.ToUpper("ab") + strings.Repeat("x", 2)`)
	if err != nil {
		t.Fatal(err)
	}
	if got := v.String(); got != "ABreplaced" {
		t.Errorf("got %q, want ABreplaced", got)
	}
	if _, err := i.Eval(`strings.ToUpper("c")`); err != nil {
		t.Fatal(err)
	}
	if strBuilds != 1 || ioBuilds != 0 {
		t.Errorf("builds: strings %d (want 1), io %d (want 0)", strBuilds, ioBuilds)
	}
}

func TestLazyPackageMissingStaysMissing(t *testing.T) {
	i := New(Options{})
	if err := i.UseLazy(map[string]func() map[string]reflect.Value{
		"strings/strings": func() map[string]reflect.Value { return map[string]reflect.Value{} },
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := i.Eval(`import "nosuchpkg"`); err == nil {
		t.Fatal("importing a package nobody registered succeeded")
	}
	if err := i.UseLazy(map[string]func() map[string]reflect.Value{"bad": nil}); err == nil {
		t.Fatal("a key without a package name was accepted")
	}
}

// An interpreted type passed where compiled code wants an interface of a
// package no program imported: the interface's wrapper is found by
// building that package.
func TestLazyWrapperOfPackageNotImported(t *testing.T) {
	var mu sync.Mutex
	var ioBuilds int
	var out bytes.Buffer
	i := New(Options{})
	err := i.UseLazy(map[string]func() map[string]reflect.Value{
		"io/io": counted(&ioBuilds, &mu, map[string]reflect.Value{
			"Writer":  reflect.ValueOf((*io.Writer)(nil)),
			"_Writer": reflect.ValueOf((*testWriterWrapper)(nil)),
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := i.Use(Exports{"sink/sink": {"Write": reflect.ValueOf(func(w io.Writer, s string) { _, _ = io.WriteString(w, s) })}}); err != nil {
		t.Fatal(err)
	}
	if err := i.Use(Exports{"buf/buf": {"Out": reflect.ValueOf(&out)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := i.Eval(`import ("sink"; "buf")`); err != nil {
		t.Fatal(err)
	}
	_, err = i.Eval(`type W struct{}
func (W) Write(p []byte) (int, error) { return buf.Out.Write(p) }`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err = i.Eval(`sink.Write(W{}, "through the wrapper")`); err != nil {
		t.Fatal(err)
	}
	if out.String() != "through the wrapper" {
		t.Errorf("wrote %q", out.String())
	}
	if ioBuilds != 1 {
		t.Errorf("io built %d times, want 1 (for its Writer wrapper)", ioBuilds)
	}
}

type testWriterWrapper struct {
	IValue interface{}
	WWrite func(p []byte) (n int, err error)
}

func (w testWriterWrapper) Write(p []byte) (int, error) { return w.WWrite(p) }

// Goroutines of an earlier program keep running (and looking packages
// up) while a later program builds packages: no data race (go test -race).
func TestLazyBuildWhileGoroutinesRun(t *testing.T) {
	pkgs := map[string]func() map[string]reflect.Value{}
	for _, name := range []string{"a", "b", "c", "d", "e", "f"} {
		pkgs[name+"/"+name] = func() map[string]reflect.Value {
			return map[string]reflect.Value{"N": reflect.ValueOf(len(name))}
		}
	}
	pkgs["strings/strings"] = func() map[string]reflect.Value {
		return map[string]reflect.Value{"Repeat": reflect.ValueOf(strings.Repeat)}
	}
	i := New(Options{})
	if err := i.UseLazy(pkgs); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				i.binPackage("strings")
				i.Symbols("a")
			}
		}()
	}
	for _, name := range []string{"a", "b", "c", "d", "e", "f"} {
		if _, err := i.Eval(`import "` + name + `"`); err != nil {
			t.Error(err)
		}
		if _, err := i.Eval(name + `.N`); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
}

// The generic standard sources (cmp, maps, slices) are compiled when a
// program first names their package, by import or by selector, not when
// the standard library is registered; slices names cmp, which comes first.
func TestGenericSourceCompiledWhenNamed(t *testing.T) {
	i := New(Options{})
	if err := i.UseLazy(map[string]func() map[string]reflect.Value{
		"fmt/fmt":        func() map[string]reflect.Value { return map[string]reflect.Value{} },
		"math/bits/bits": func() map[string]reflect.Value { return map[string]reflect.Value{"Len": reflect.ValueOf(bits.Len)} },
	}); err != nil {
		t.Fatal(err)
	}
	compiled := func(name string) bool {
		i.binMu.RLock()
		defer i.binMu.RUnlock()
		_, pending := i.lazySrc[name]
		return i.srcPkg[name] != nil && !pending
	}
	for _, name := range []string{"cmp", "maps", "slices"} {
		if compiled(name) {
			t.Fatalf("%s was compiled by UseLazy, before any program named it", name)
		}
	}
	v, err := i.Eval("slices.Index([]int{3, 1}, 1)")
	if err != nil || v.Interface() != 1 {
		t.Fatalf("slices.Index = %v, %v; want 1", v, err)
	}
	if !compiled("slices") || !compiled("cmp") || compiled("maps") {
		t.Errorf("after naming slices: compiled slices %v, cmp %v (want both), maps %v (want not)", compiled("slices"), compiled("cmp"), compiled("maps"))
	}
	if _, err := i.Eval(`import "maps"`); err != nil {
		t.Fatal(err)
	}
	if !compiled("maps") {
		t.Error(`import "maps" did not compile the generic source of maps`)
	}
	if v, err := i.Eval("cmp.Compare(2, 1)"); err != nil || v.Interface() != 1 {
		t.Errorf("cmp.Compare(2, 1) = %v, %v; want 1", v, err)
	}
	// slices is three files, compiled as one: sort.go's Sort calls
	// zsortanyfunc.go's pdqsortCmpFunc, which uses sort.go's sortedHint.
	if _, err := i.Eval("x := []int{5, 2, 9, 1}\nslices.Sort(x)"); err != nil {
		t.Fatal(err)
	}
	if v, err := i.Eval("x"); err != nil || !reflect.DeepEqual(v.Interface(), []int{1, 2, 5, 9}) {
		t.Errorf("after slices.Sort: %v, %v; want [1 2 5 9]", v, err)
	}
	if v, err := i.Eval("slices.Max(x)"); err != nil || v.Interface() != 9 {
		t.Errorf("slices.Max = %v, %v; want 9", v, err)
	}
}

func TestMergeSource(t *testing.T) {
	one := "package p\n\nimport \"cmp\"\n\nfunc A() int { return B() + cmp.Compare(1, 2) }\n"
	two := "// a second file\npackage p\n\nimport (\n\t\"cmp\"\n\t\"math/bits\"\n)\n\nfunc B() int { return bits.Len(3) + cmp.Compare(2, 1) }\n"
	merged := one
	for _, src := range []string{two} {
		f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		merged = mergeSource(merged, src, f)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "", merged, 0)
	if err != nil {
		t.Fatalf("merged source does not parse: %v\n%s", err, merged)
	}
	var imports, funcs []string
	for _, spec := range f.Imports {
		imports = append(imports, spec.Path.Value)
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok {
			funcs = append(funcs, fd.Name.Name)
		}
	}
	if strings.Join(imports, " ") != `"math/bits" "cmp"` || strings.Join(funcs, " ") != "A B" {
		t.Errorf("merged imports %q, funcs %q; want each import once and both functions:\n%s", imports, funcs, merged)
	}
}
