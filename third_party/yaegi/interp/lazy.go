package interp

// Patched for iotkernel: binary packages whose symbols are built the first
// time a program needs them (UseLazy), rather than all at start.

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	gen "github.com/traefik/yaegi/stdlib/generic"
)

// lazyPackage is a binary package registered by UseLazy and not built yet.
type lazyPackage struct {
	load    func() map[string]reflect.Value
	pending []map[string]reflect.Value // symbols given to Use (or fixStdlib) before it was built, in order
}

// UseLazy registers binary packages, by the keys Use takes ("fmt/fmt"),
// each with the function that builds its symbols. A package is built the
// first time a program imports it, or needs one of its interface
// wrappers; symbols that Use gives for it before then are applied over
// it, in order, once it is built. Registering "fmt/fmt" sets up the
// interpreter's standard streams and generic standard library sources,
// as Use does for the standard library; a source is compiled the first
// time a program names its package (compileNamedSources), not at once.
//
// Built packages are kept; the interpreter may build one while goroutines
// of earlier programs run.
func (interp *Interpreter) UseLazy(pkgs map[string]func() map[string]reflect.Value) error {
	interp.binMu.Lock()
	for k, load := range pkgs {
		importPath, packageName := path.Dir(k), path.Base(k)
		if importPath == "." {
			interp.binMu.Unlock()
			return fmt.Errorf("export path %[1]q is missing a package name; did you mean '%[1]s/%[1]s'?", k)
		}
		if p := interp.binPkg[importPath]; p != nil {
			for s, sym := range load() {
				if _, ok := p[s]; !ok { // what Use gave before stays
					p[s] = sym
				}
			}
			continue
		}
		if interp.lazy == nil {
			interp.lazy = map[string]*lazyPackage{}
		}
		interp.lazy[importPath] = &lazyPackage{load: load}
		interp.pkgNames[importPath] = packageName
	}
	if _, stdlib := pkgs["fmt/fmt"]; stdlib {
		fixStdlib(interp)
		if interp.lazySrc == nil {
			interp.lazySrc = map[string]string{}
		}
		srcs, err := genericSources()
		if err != nil {
			interp.binMu.Unlock()
			return err
		}
		for _, src := range srcs {
			interp.lazySrc[src.name] = src.text
		}
	}
	interp.binMu.Unlock()
	return nil
}

// genericSource is the source of a generic standard library package.
type genericSource struct{ name, text string }

// genericSources returns the generic standard library sources (gen.Sources)
// one per package, a package's files merged into one (mergeSource), in
// the order the packages first appear. They are merged once per process:
// every interpreter built after the first gets the same strings.
var genericSources = sync.OnceValues(func() ([]genericSource, error) {
	var srcs []genericSource
	for _, src := range gen.Sources {
		f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.ImportsOnly)
		if err != nil {
			return nil, fmt.Errorf("generic standard library source: %w", err)
		}
		i := slices.IndexFunc(srcs, func(s genericSource) bool { return s.name == f.Name.Name })
		if i < 0 {
			srcs = append(srcs, genericSource{name: f.Name.Name})
			i = len(srcs) - 1
		}
		srcs[i].text = mergeSource(srcs[i].text, src, f)
	}
	return srcs, nil
})

// mergeSource returns the source of one package made of the file merged
// so far (empty for none) and the file src, parsed as f (imports only):
// the package's files are compiled as one, since they name each other's
// declarations (slices' sort.go uses zsortanyfunc.go's pdqsortCmpFunc,
// which uses sort.go's sortedHint). src's imports that merged lacks go
// right after the package clause, each in a declaration of its own
// (imports must come before the other declarations of a file).
func mergeSource(merged, src string, f *ast.File) string {
	if merged == "" {
		return src
	}
	body := src[f.Name.End()-1:] // after the package clause
	if n := len(f.Decls); n > 0 {
		body = src[f.Decls[n-1].End()-1:] // after the last import declaration
	}
	head, err := parser.ParseFile(token.NewFileSet(), "", merged, parser.ImportsOnly)
	if err != nil {
		return merged // it parsed when it was registered
	}
	at := head.Name.End() - 1
	var imports strings.Builder
	for _, spec := range f.Imports {
		if !slices.ContainsFunc(head.Imports, func(h *ast.ImportSpec) bool { return h.Path.Value == spec.Path.Value }) {
			imports.WriteString("\nimport " + spec.Path.Value)
		}
	}
	return merged[:at] + imports.String() + merged[at:] + "\n" + body
}

// compileNamedSources compiles the generic standard library sources that
// UseLazy registered and the file or node n names, before n is compiled:
// a package is named by an import path, or as the operand of a selector
// (slices.Index), since a compiled source package is visible under its
// name without an import. A source naming another (slices uses cmp) has
// it compiled first, by the same rule. A name that turns out to be a
// variable only costs an unneeded compilation.
func (interp *Interpreter) compileNamedSources(n ast.Node) error {
	var names []string // the pending sources n names, each once
	named := func(name string) {
		if _, ok := interp.lazySrc[name]; ok && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	interp.binMu.RLock()
	if len(interp.lazySrc) > 0 {
		ast.Inspect(n, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ImportSpec:
				if p, err := strconv.Unquote(n.Path.Value); err == nil {
					named(p)
				}
			case *ast.SelectorExpr:
				if id, ok := n.X.(*ast.Ident); ok {
					named(id.Name)
				}
			}
			return true
		})
	}
	interp.binMu.RUnlock()
	for _, name := range names {
		interp.binMu.Lock()
		src, ok := interp.lazySrc[name]
		delete(interp.lazySrc, name) // before compiling: the source may name itself
		interp.binMu.Unlock()
		if !ok {
			continue
		}
		if _, err := interp.compileSrc(src, "", true); err != nil {
			return fmt.Errorf("generic standard library package %s: %w", name, err)
		}
	}
	return nil
}

// binPackage returns the symbols of the binary package at path, building
// them first if UseLazy registered it, or nil if there is no such package.
func (interp *Interpreter) binPackage(path string) map[string]reflect.Value {
	interp.binMu.RLock()
	p, l := interp.binPkg[path], interp.lazy[path]
	interp.binMu.RUnlock()
	if p != nil || l == nil {
		return p
	}
	interp.binMu.Lock()
	defer interp.binMu.Unlock()
	if p := interp.binPkg[path]; p != nil {
		return p // another goroutine built it meanwhile
	}
	p = l.load()
	for _, o := range l.pending {
		for s, sym := range o {
			p[s] = sym
		}
	}
	interp.binPkg[path] = p
	delete(interp.lazy, path)
	return p
}

// fixTarget returns the symbols that fixStdlib changes for the package at
// path: the package's own when it is built, else new ones applied first
// over it when it is, or nil if there is no such package. The caller
// holds binMu.
func (interp *Interpreter) fixTarget(path string) map[string]reflect.Value {
	if p := interp.binPkg[path]; p != nil {
		return p
	}
	l := interp.lazy[path]
	if l == nil {
		return nil
	}
	o := map[string]reflect.Value{}
	l.pending = append([]map[string]reflect.Value{o}, l.pending...)
	return o
}
