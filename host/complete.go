package host

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/printer"
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"unicode"
)

func isKeyword(s string) bool { return token.Lookup(s).IsKeyword() }

// universe holds Go's predeclared identifiers that cells can use.
const universe = "any bool byte comparable complex64 complex128 error float32 float64 " +
	"int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr " +
	"true false iota nil " +
	"append cap clear close complex copy delete imag len make max min new panic print println real recover"

func isUniverse(s string) bool {
	for _, u := range strings.Fields(universe) {
		if u == s {
			return true
		}
	}
	return false
}

func isIdentRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// Complete returns the names that can replace the identifier before
// cursor, and the rune offsets [start, end) of the text they replace:
// names in scope, keywords, builtins and package names, or after "x."
// the members of package x or the fields and methods of variable x.
func (in *Interp) Complete(code string, cursor int) (matches []string, start, end int) {
	in.evalMu.Lock()
	defer in.release()
	rs := []rune(code)
	cursor = min(max(cursor, 0), len(rs))
	start = cursor
	for start > 0 && isIdentRune(rs[start-1]) {
		start--
	}
	prefix := string(rs[start:cursor])
	var cands []string
	if start > 0 && rs[start-1] == '.' {
		x := start - 1
		for x > 0 && isIdentRune(rs[x-1]) {
			x--
		}
		cands = in.members(string(rs[x : start-1]))
	} else if !in.isClosed() {
		cands = in.scopeNames()
	}
	seen := map[string]bool{}
	for _, c := range cands {
		if strings.HasPrefix(c, prefix) && !seen[c] && !strings.HasPrefix(c, hostPkgName) {
			seen[c] = true
			matches = append(matches, c)
		}
	}
	sort.Strings(matches)
	return matches, start, cursor
}

// scopeNames lists every name a cell can use at top level.
func (in *Interp) scopeNames() []string {
	names := strings.Fields(universe)
	for _, t := range []token.Token{token.BREAK, token.CASE, token.CHAN, token.CONST, token.CONTINUE,
		token.DEFAULT, token.DEFER, token.ELSE, token.FALLTHROUGH, token.FOR, token.FUNC, token.GO,
		token.GOTO, token.IF, token.IMPORT, token.INTERFACE, token.MAP, token.PACKAGE, token.RANGE,
		token.RETURN, token.SELECT, token.STRUCT, token.SWITCH, token.TYPE, token.VAR} {
		names = append(names, t.String())
	}
	for n := range in.imports {
		if !strings.HasPrefix(n, ". ") {
			names = append(names, n)
		}
	}
	for n := range in.defined {
		names = append(names, n)
	}
	for n := range in.globals() {
		names = append(names, n)
	}
	return append(names, in.pkgs.names()...)
}

// members lists what follows "x.": a package's exported names, or a
// variable's fields and methods.
func (in *Interp) members(x string) []string {
	if p, ok := in.packagePath(x); ok {
		return in.pkgs.members(p)
	}
	if in.isClosed() {
		return nil
	}
	v, ok := in.globals()[x]
	if !ok || !v.IsValid() {
		return nil
	}
	return typeMembers(v.Type())
}

// packagePath resolves a package name used in a cell: what the kernel
// imported under that name, else the standard-library package by that name.
func (in *Interp) packagePath(name string) (string, bool) {
	if p, ok := in.imports[name]; ok {
		return p, true
	}
	if in.defined[name] {
		return "", false
	}
	paths := in.pkgs.byName[name]
	if len(paths) == 0 {
		return "", false
	}
	for _, p := range paths {
		if p == preferred(name) {
			return p, true
		}
	}
	return paths[0], true
}

func typeMembers(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumMethod(); i++ {
		names = append(names, t.Method(i).Name)
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() {
				names = append(names, f.Name)
			}
		}
	}
	return names
}

// Inspect describes the name at cursor (a rune offset): a package member's
// signature and, where the Go sources are installed, its documentation; a
// variable's type and value. found is false when nothing is known.
func (in *Interp) Inspect(code string, cursor int) (text string, found bool) {
	in.evalMu.Lock()
	defer in.release()
	rs := []rune(code)
	cursor = min(max(cursor, 0), len(rs))
	start, end := cursor, cursor
	for start > 0 && isIdentRune(rs[start-1]) {
		start--
	}
	for end < len(rs) && isIdentRune(rs[end]) {
		end++
	}
	if start == end && start > 0 && rs[start-1] == '(' { // cursor just inside f(
		end = start - 1
		start = end
		for start > 0 && isIdentRune(rs[start-1]) {
			start--
		}
	}
	name := string(rs[start:end])
	if name == "" {
		return "", false
	}
	if start > 0 && rs[start-1] == '.' {
		x := start - 1
		for x > 0 && isIdentRune(rs[x-1]) {
			x--
		}
		return in.inspectMember(string(rs[x:start-1]), name)
	}
	return in.inspectName(name)
}

func (in *Interp) inspectMember(x, name string) (string, bool) {
	p, ok := in.packagePath(x)
	if !ok {
		if v, ok := in.globals()[x]; ok && v.IsValid() {
			if m, ok := v.Type().MethodByName(name); ok {
				return fmt.Sprintf("method %s.%s %s", v.Type(), name, m.Type), true
			}
		}
		return "", false
	}
	syms := in.yi.Symbols(p)[p]
	sym, ok := syms[name]
	if !ok {
		return "", false
	}
	if text, ok := in.docs.lookup(p, name); ok {
		return text, true
	}
	return describeSymbol(x+"."+name, sym), true
}

func (in *Interp) inspectName(name string) (string, bool) {
	if isKeyword(name) {
		return "keyword " + name, true
	}
	if in.isClosed() {
		return "", false
	}
	if v, ok := in.globals()[name]; ok && v.IsValid() {
		return describeSymbol(name, v), true
	}
	if _, imported := in.imports[name]; !in.defined[name] || imported {
		if p, ok := in.packagePath(name); ok {
			if text, ok := in.docs.packageDoc(p); ok {
				return text, true
			}
			return "package " + name + ` // import "` + p + `"`, true
		}
	}
	if in.defined[name] {
		// A function defined in a cell: its value carries its signature.
		// Evaluating a name has no side effects.
		if v, err := in.yi.Eval(name); err == nil && v.IsValid() && v.Kind() == reflect.Func {
			return fmt.Sprintf("func %s%s", name, strings.TrimPrefix(v.Type().String(), "func")), true
		}
		return name + " (defined in this kernel)", true
	}
	if isUniverse(name) {
		if text, ok := in.docs.lookup("builtin", name); ok {
			return text, true
		}
		return "predeclared " + name, true
	}
	return "", false
}

// describeSymbol says what a compiled symbol is from its reflect value.
func describeSymbol(name string, v reflect.Value) string {
	if !v.IsValid() {
		return name
	}
	t := v.Type()
	switch {
	case t.Kind() == reflect.Func:
		return "func " + name + strings.TrimPrefix(t.String(), "func")
	case t.Kind() == reflect.Pointer && v.IsNil():
		// The extracted form of a type: a nil pointer to it.
		return "type " + name + " " + t.Elem().Kind().String()
	}
	s := fmt.Sprintf("%s %s", name, t)
	if v.CanInterface() {
		s += fmt.Sprintf(" = %v", v.Interface())
	}
	return s
}

// docCache reads documentation from the Go toolchain's sources on first
// use, one package at a time.
type docCache struct {
	goroot string
	mu     sync.Mutex
	pkgs   map[string]*docPackage
}

type docPackage struct {
	fset *token.FileSet
	pkg  *doc.Package // nil when the sources are absent
}

func newDocCache(goroot string) *docCache {
	return &docCache{goroot: goroot, pkgs: map[string]*docPackage{}}
}

func (c *docCache) load(p string) *docPackage {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.pkgs[p]; ok {
		return d
	}
	d := &docPackage{fset: token.NewFileSet()}
	c.pkgs[p] = d
	if c.goroot == "" {
		return d
	}
	dir := filepath.Join(c.goroot, "src", filepath.FromSlash(p))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return d
	}
	var files []*ast.File
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(d.fset, filepath.Join(dir, n), nil, parser.ParseComments)
		if err != nil || (p != "builtin" && f.Name.Name != filepath.Base(dir)) {
			continue
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return d
	}
	pkg, err := doc.NewFromFiles(d.fset, files, p)
	if err == nil {
		d.pkg = pkg
	}
	return d
}

// packageDoc returns the package clause and doc of package p.
func (c *docCache) packageDoc(p string) (string, bool) {
	d := c.load(p)
	if d.pkg == nil {
		return "", false
	}
	return fmt.Sprintf("package %s // import %q\n\n%s", d.pkg.Name, p, d.pkg.Doc), true
}

// lookup returns the declaration and doc of name in package p.
func (c *docCache) lookup(p, name string) (string, bool) {
	d := c.load(p)
	if d.pkg == nil {
		return "", false
	}
	show := func(decl ast.Node, docText string) (string, bool) {
		var b bytes.Buffer
		if err := printer.Fprint(&b, d.fset, decl); err != nil {
			return "", false
		}
		if docText != "" {
			b.WriteString("\n\n" + docText)
		}
		return b.String(), true
	}
	fn := func(f *doc.Func) (string, bool) {
		decl := *f.Decl
		decl.Body = nil
		decl.Doc = nil
		return show(&decl, f.Doc)
	}
	for _, f := range d.pkg.Funcs {
		if f.Name == name {
			return fn(f)
		}
	}
	for _, t := range d.pkg.Types {
		if t.Name == name {
			decl := *t.Decl
			decl.Doc = nil
			return show(&decl, t.Doc)
		}
		for _, f := range t.Funcs {
			if f.Name == name {
				return fn(f)
			}
		}
		for _, v := range append(t.Consts, t.Vars...) {
			if hasName(v, name) {
				return show(v.Decl, v.Doc)
			}
		}
	}
	for _, v := range append(d.pkg.Consts, d.pkg.Vars...) {
		if hasName(v, name) {
			return show(v.Decl, v.Doc)
		}
	}
	return "", false
}

func hasName(v *doc.Value, name string) bool {
	for _, n := range v.Names {
		if n == name {
			return true
		}
	}
	return false
}

// IsComplete says whether Go code is ready to run: "complete",
// "incomplete" (an open bracket, raw string or comment, or a trailing
// operator; indent is a tab per open bracket), or "invalid".
func IsComplete(code string) (status, indent string) {
	if strings.TrimSpace(code) == "" {
		return "complete", ""
	}
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(code))
	var (
		s          scanner.Scanner
		unfinished bool // raw string or comment running into the end
		bad        bool
		stack      []token.Token
		last       token.Token
	)
	s.Init(file, []byte(code), func(_ token.Position, msg string) {
		if msg == "raw string literal not terminated" || msg == "comment not terminated" {
			unfinished = true
		} else {
			bad = true
		}
	}, 0)
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		switch tok {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			stack = append(stack, tok)
		case token.RPAREN, token.RBRACK, token.RBRACE:
			if len(stack) == 0 || closer(stack[len(stack)-1]) != tok {
				return "invalid", ""
			}
			stack = stack[:len(stack)-1]
		}
		if tok == token.SEMICOLON && lit == "\n" {
			continue // inserted at a line end
		}
		last = tok
	}
	switch {
	case bad:
		return "invalid", ""
	case unfinished:
		return "incomplete", ""
	case len(stack) > 0:
		return "incomplete", strings.Repeat("\t", len(stack))
	case continues(last):
		return "incomplete", "\t"
	}
	units, err := splitCell(code)
	if err != nil {
		return "invalid", ""
	}
	for _, u := range units {
		if _, err := parseUnit(token.NewFileSet(), 1, u, false); err != nil {
			return "invalid", ""
		}
	}
	return "complete", ""
}

func closer(open token.Token) token.Token {
	switch open {
	case token.LPAREN:
		return token.RPAREN
	case token.LBRACK:
		return token.RBRACK
	}
	return token.RBRACE
}

// continues reports whether a line ending in tok must go on: a binary
// operator, an assignment, a comma or a dot.
func continues(tok token.Token) bool {
	switch tok {
	case token.COMMA, token.PERIOD, token.ASSIGN, token.DEFINE, token.COLON, token.ARROW,
		token.LAND, token.LOR:
		return true
	}
	return tok.IsOperator() && tok.Precedence() > 0 || tok >= token.ADD_ASSIGN && tok <= token.AND_NOT_ASSIGN
}
