package host

import (
	"fmt"
	"go/ast"
	"log"
	"maps"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/iotkernel/iotkernel/host/display"
	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
	"github.com/traefik/yaegi/stdlib/syscall"
	"github.com/traefik/yaegi/stdlib/unrestricted"
)

// The package through which generated code talks to the host. Its name
// starts with an underscore so that it stays out of users' way.
const (
	hostPkgName = "_iothost"
	hostPkgPath = "_iothost"
)

// displayPath is the import path of the display package in cells.
const displayPath = "display"

// useSymbols loads the standard library, with the symbols that would reach
// outside the cell (the process's stdio, os.Exit and syscall.Exit, an uninterruptible
// Sleep, the process-wide logger and command line, the kernel's signals)
// replaced by ones bound to in.
//
// A standard package's symbols are built the first time a cell imports it
// (yaegi's UseLazy): building all of them at start cost 8 MiB of memory
// and a megabyte of code run at init. Replacements given here for a
// package not built yet are applied when it is. Likewise the generic
// sources of cmp, maps and slices are compiled when a cell first names
// the package, not here.
func (in *Interp) useSymbols() error {
	if err := in.yi.Use(stdlib.Symbols); err != nil {
		return err
	}
	if err := in.yi.UseLazy(stdlib.Lazy); err != nil {
		return err
	}
	if err := in.yi.UseLazy(syscall.Lazy); err != nil {
		return err
	}
	if err := in.yi.Use(unrestricted.Symbols); err != nil {
		return err
	}
	if err := in.yi.Use(syscall.Symbols); err != nil {
		return err
	}
	// Concrete types, so that their methods (WriteString) work in cells.
	var (
		stdout = &stream{in: in}
		stderr = &stream{in: in, stderr: true}
		stdinR = in.stdin
	)
	args := []string{programName} // os.Args in cells
	in.vars = newCellVars(&args)
	logger := log.New(stderr, "", log.LstdFlags)
	fatal := func(print func(...any) string) func(...any) {
		return func(v ...any) {
			_ = logger.Output(3, print(v...))
			in.exit(1)
		}
	}
	fatalf := func(format string, v ...any) {
		_ = logger.Output(2, fmt.Sprintf(format, v...))
		in.exit(1)
	}
	result := reflect.ValueOf(in.setResult)
	logPrint := reflect.ValueOf(logger.Print)
	logPrintf := reflect.ValueOf(logger.Printf)
	logPrintln := reflect.ValueOf(logger.Println)
	logPanic := reflect.ValueOf(logger.Panic)
	logPanicf := reflect.ValueOf(logger.Panicf)
	logPanicln := reflect.ValueOf(logger.Panicln)

	displayExports := map[string]reflect.Value{
		"Bundle":    reflect.ValueOf((*display.Bundle)(nil)),
		"Handle":    reflect.ValueOf((*display.Handle)(nil)),
		"Chart":     reflect.ValueOf((*display.Chart)(nil)),
		"Plot":      reflect.ValueOf(in.disp.Plot),
		"Data":      reflect.ValueOf(in.disp.Data),
		"HTML":      reflect.ValueOf(in.disp.HTML),
		"Markdown":  reflect.ValueOf(in.disp.Markdown),
		"SVG":       reflect.ValueOf(in.disp.SVG),
		"PNG":       reflect.ValueOf(in.disp.PNG),
		"JPEG":      reflect.ValueOf(in.disp.JPEG),
		"JSON":      reflect.ValueOf(in.disp.JSON),
		"Text":      reflect.ValueOf(in.disp.Text),
		"Clear":     reflect.ValueOf(in.disp.Clear),
		"ClearWait": reflect.ValueOf(in.disp.ClearWait),
	}
	in.displayExports = displayExports
	if err := in.yi.Use(in.track.exports()); err != nil {
		return err
	}
	return in.yi.Use(interp.Exports{
		"os/os": {
			"Stdout": reflect.ValueOf(&stdout).Elem(),
			"Stderr": reflect.ValueOf(&stderr).Elem(),
			"Stdin":  reflect.ValueOf(&stdinR).Elem(),
			"Exit":   reflect.ValueOf(in.exit),
			"Args":   reflect.ValueOf(&args).Elem(),
		},
		"flag/flag":     in.flagExports(&args, stderr),
		"expvar/expvar": in.vars.exports(),
		"syscall/syscall": {
			"Exit": reflect.ValueOf(func(code int) { in.exitVia("syscall.Exit", code) }),
		},
		"time/time": {
			"Sleep": reflect.ValueOf(in.sleep),
		},
		"os/signal/signal": {
			"Ignore": reflect.ValueOf(signalIgnore),
			"Reset":  reflect.ValueOf(signalReset),
		},
		"log/log": {
			"Default":   reflect.ValueOf(func() *log.Logger { return logger }),
			"Fatal":     reflect.ValueOf(fatal(fmt.Sprint)),
			"Fatalln":   reflect.ValueOf(fatal(fmt.Sprintln)),
			"Fatalf":    reflect.ValueOf(fatalf),
			"Flags":     reflect.ValueOf(logger.Flags),
			"Output":    reflect.ValueOf(logger.Output),
			"Panic":     logPanic,
			"Panicf":    logPanicf,
			"Panicln":   logPanicln,
			"Prefix":    reflect.ValueOf(logger.Prefix),
			"Print":     logPrint,
			"Printf":    logPrintf,
			"Println":   logPrintln,
			"SetFlags":  reflect.ValueOf(logger.SetFlags),
			"SetOutput": reflect.ValueOf(logger.SetOutput),
			"SetPrefix": reflect.ValueOf(logger.SetPrefix),
			"Writer":    reflect.ValueOf(logger.Writer),
		},
		"log/slog/slog":          slogExports(logger),
		displayPath + "/display": displayExports,
		boardPath + "/board":     in.boardSyms,
		hostPkgPath + "/" + hostPkgName: {
			"AfterRun": reflect.ValueOf(in.afterRun),
			"Result":   result,
			"Take":     reflect.ValueOf(in.take),
			"Park":     reflect.ValueOf(in.park),
			"At":       reflect.ValueOf(in.at),
		},
		// Arguments of these functions that implement fmt.Stringer or
		// error (in interpreted code) reach them wrapped, so that %v
		// calls the interpreted methods, as it does for fmt.Print.
		".": {"MapTypes": reflect.ValueOf(map[reflect.Value][]reflect.Type{
			result:     stdlib.MapTypes[reflect.ValueOf(fmt.Sprint)],
			logPrint:   stdlib.MapTypes[reflect.ValueOf(log.Print)],
			logPrintf:  stdlib.MapTypes[reflect.ValueOf(log.Printf)],
			logPrintln: stdlib.MapTypes[reflect.ValueOf(log.Println)],
			logPanic:   stdlib.MapTypes[reflect.ValueOf(log.Panic)],
			logPanicf:  stdlib.MapTypes[reflect.ValueOf(log.Panicf)],
			logPanicln: stdlib.MapTypes[reflect.ValueOf(log.Panicln)],
		})},
	})
}

// packageIndex knows the packages cells may import without naming them:
// by package name, the import paths and their exported symbols. The
// symbols stay as the space-separated lists the symbol tables carry
// (stdlib.Names), read when a cell needs one, rather than a set entry
// per name: tens of thousands of names would otherwise sit in every
// interpreter's heap for the few lookups auto-import and completion make.
type packageIndex struct {
	byName  map[string][]string // "rand" -> ["math/rand", "crypto/rand"]
	symbols map[string][]string // path -> lists of exported names, each space-separated
}

// preferred breaks ties between packages of the same name when a
// selector exists in several (rand.Int, template.New...).
func preferred(name string) string {
	switch name {
	case "rand":
		return "math/rand"
	case "template":
		return "text/template"
	case "scanner":
		return "text/scanner"
	case "pprof":
		return "runtime/pprof"
	}
	return ""
}

func newPackageIndex(displayExports, boardExports map[string]reflect.Value) *packageIndex {
	x := &packageIndex{byName: map[string][]string{}, symbols: map[string][]string{}}
	add := func(key, list string) {
		p, name := path.Dir(key), path.Base(key)
		if p == "." || strings.HasPrefix(name, "_") || strings.Contains(p, "internal") ||
			strings.HasPrefix(p, "github.com/") || p == "unsafe" {
			return
		}
		if _, ok := x.symbols[p]; !ok {
			x.byName[name] = append(x.byName[name], p)
		}
		x.symbols[p] = append(x.symbols[p], list)
	}
	// Every package the interpreter has symbols for (useSymbols), by name
	// only: the lazily built ones are not built for this.
	for _, names := range []map[string]string{stdlib.Names, syscall.Names} {
		for key, list := range names {
			add(key, list)
		}
	}
	joined := func(syms map[string]reflect.Value) string {
		return strings.Join(slices.Collect(maps.Keys(syms)), " ")
	}
	for _, lib := range []interp.Exports{stdlib.Symbols, unrestricted.Symbols, syscall.Symbols} {
		for key, syms := range lib {
			add(key, joined(syms))
		}
	}
	add(displayPath+"/display", joined(displayExports))
	add(boardPath+"/board", joined(boardExports))
	for _, paths := range x.byName {
		sort.Strings(paths)
	}
	return x
}

// exports reports whether the package at path p exports sel.
func (x *packageIndex) exports(p, sel string) bool {
	for _, list := range x.symbols[p] {
		for rest := list; rest != ""; {
			i := strings.Index(rest, sel)
			if i < 0 {
				break
			}
			end := i + len(sel)
			if (i == 0 || rest[i-1] == ' ') && (end == len(rest) || rest[end] == ' ') {
				return true
			}
			rest = rest[end:]
		}
	}
	return false
}

// lookup returns the path of the package called name that exports sel.
func (x *packageIndex) lookup(name, sel string) (string, bool) {
	var found []string
	for _, p := range x.byName[name] {
		if x.exports(p, sel) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return "", false
	case 1:
		return found[0], true
	}
	for _, f := range found {
		if f == preferred(name) {
			return f, true
		}
	}
	return found[0], true
}

// members returns the exported names of the package at path p, sorted.
func (x *packageIndex) members(p string) []string {
	var names []string
	for _, list := range x.symbols[p] {
		names = append(names, strings.Fields(list)...)
	}
	sort.Strings(names)
	return slices.Compact(names)
}

// names returns all package names, sorted.
func (x *packageIndex) names() []string {
	var names []string
	for n := range x.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// What the interpreter (yaegi v0.16, patched) lacks of Go's generics,
// explained where its own message would puzzle. Its generic packages
// cmp, maps and slices are the sources of Go 1.22, so what later Go added
// (slices.Repeat, the iterator functions) is missing. A type parameter
// that no argument gives (slices.Index(nil, 1)) it reports at a line of
// the package's source. (Inference from constraints, the sorting half of
// slices and the built-ins min, max and clear it has from patches:
// third_party/yaegi/README.md.)
var (
	genericPackages = map[string]bool{"cmp": true, "maps": true, "slices": true}
	missingSelector = regexp.MustCompile(`^undefined selector: (\w+)\.(\w+)$`)
	noInference     = regexp.MustCompile(`^\d+:\d+: undefined type for (\w+)$`)
)

// genericGap explains an undefined function of a generic package.
func genericGap(msg string) string {
	m := missingSelector.FindStringSubmatch(msg)
	if m == nil || !genericPackages[m[1]] {
		return msg
	}
	return fmt.Sprintf("%s.%s is not available in %%%%host cells: the interpreter has the generic package %s as Go 1.22 has it, without what later Go added (a loop does the same)", m[1], m[2], m[1])
}

// inferenceGap explains a type parameter the interpreter could not infer
// in a generic package's source, at the cell's first call of a function
// of such a package; nil if msg is not that.
func (in *Interp) inferenceGap(cell int, msg string, node ast.Node) error {
	m := noInference.FindStringSubmatch(msg)
	if m == nil {
		return nil
	}
	e := &CompileError{Msg: fmt.Sprintf("cannot infer the type parameter %s of a generic function of slices, maps or cmp from the arguments: pass typed values (not nil)", m[1])}
	if node == nil {
		return e
	}
	ast.Inspect(node, func(n ast.Node) bool {
		if e.Line > 0 {
			return false // found
		}
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && genericPackages[id.Name] {
			if p := in.yi.FileSet().Position(call.Pos()); p.Filename == cellFile(cell) {
				e.Line, e.Col = p.Line, p.Column
				e.Msg = fmt.Sprintf("%s.%s: cannot infer its type parameter %s from the arguments: pass typed values (not nil), or give the types, as in %s.%s[[]int]", id.Name, sel.Sel.Name, m[1], id.Name, sel.Sel.Name)
			}
		}
		return true
	})
	return e
}

// notImportable explains an import of a package the interpreter has no
// symbols for (unsafe among them), or returns nil when err (yaegi's, compiling the import) is
// another one. Cells cannot import source packages: yaegi would look for
// the source under GOPATH only for a program that lives there, so it says
// "not in GOPATH" or "unable to find source", which tells a cell's author
// nothing.
func notImportable(p string, line int, err error) error {
	msg := err.Error()
	if !strings.Contains(msg, "not in GOPATH") && !strings.Contains(msg, "unable to find source") {
		return nil
	}
	var why string
	switch first, _, _ := strings.Cut(p, "/"); {
	case p == "unsafe":
		why = `package unsafe is not available in %%host cells: the interpreter cannot convert pointers or read memory directly (encoding/binary, math.Float64bits and reflect do most of what unsafe is used for)`
	case p == "C":
		why = `import "C" (cgo) is not available in %%host cells: the interpreter runs Go source and cannot call C`
	case strings.Contains(first, "."):
		why = fmt.Sprintf("package %q is not available in %%%%host cells: cells import the standard library, display and board, not modules (a program that needs %s can run with %%%%bash: go run)", p, p)
	default:
		why = fmt.Sprintf("package %q is not available in %%%%host cells: cells import the standard library the interpreter has symbols for (Go 1.22's), display and board, and %s is not among them", p, p)
	}
	return &CompileError{Line: line, Msg: why}
}
