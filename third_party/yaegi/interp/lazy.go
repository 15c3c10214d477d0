package interp

// Patched for iotkernel: binary packages whose symbols are built the first
// time a program needs them (UseLazy), rather than all at start.

import (
	"fmt"
	"path"
	"reflect"

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
// as Use does for the standard library.
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
	_, stdlib := pkgs["fmt/fmt"]
	if stdlib {
		fixStdlib(interp)
	}
	interp.binMu.Unlock()
	if stdlib {
		for _, s := range gen.Sources {
			if _, err := interp.Compile(s); err != nil {
				return err
			}
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
