package host

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/scanner"
	"go/token"
	"path"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/traefik/yaegi/interp"
)

// A cell mixes what Go keeps apart: imports, package-level declarations
// and statements. yaegi compiles one kind at a time, so a cell is split at
// its top-level statement boundaries into units of one kind, run in order.
// Each unit is parsed with a //line directive, so that every position
// yaegi reports (compile errors, panic frames) is a line of the cell, in a
// file named after the cell (cellN/cell.go).

type unitKind int

const (
	importUnit unitKind = iota
	declUnit            // func, method, type, var, const
	stmtUnit
	exprUnit // the cell's last statement, an expression: its value is the result
)

type unit struct {
	kind      unitKind
	text      string
	line, col int // where text starts in the cell, 1-based
}

// item is one top-level statement or declaration of a cell.
type item struct {
	kind       unitKind
	start, end int // byte offsets in the cell
}

// splitCell cuts code into units. Code that does not scan or whose
// brackets do not balance is returned as one unit, for the parser to
// report its error.
func splitCell(code string) ([]unit, error) {
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(code))
	var (
		s       scanner.Scanner
		scanErr bool
		items   []item
		toks    []token.Token
		start   = -1
		end     int
		depth   int
	)
	s.Init(file, []byte(code), func(token.Position, string) { scanErr = true }, 0)
	flush := func() {
		if start >= 0 {
			items = append(items, item{kind: classify(toks), start: start, end: end})
		}
		start, toks = -1, toks[:0]
	}
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		off := file.Offset(pos)
		switch tok {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth--
		}
		if tok == token.SEMICOLON && depth == 0 {
			flush()
			continue
		}
		if start < 0 {
			start = off
		}
		toks = append(toks, tok)
		switch {
		case lit != "":
			end = off + len(lit)
		default:
			end = off + len(tok.String())
		}
	}
	flush()
	if len(items) == 0 {
		return nil, nil
	}
	if scanErr || depth != 0 {
		return []unit{makeUnit(code, items[0].kind, 0, len(code))}, nil
	}
	// The last statement alone, when it is an expression, to show its value.
	last := &items[len(items)-1]
	if last.kind == stmtUnit {
		if _, err := parser.ParseExpr(code[last.start:last.end]); err == nil {
			last.kind = exprUnit
		}
	}
	var units []unit
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].kind == items[i].kind && items[i].kind != exprUnit {
			j++
		}
		units = append(units, makeUnit(code, items[i].kind, items[i].start, items[j-1].end))
		i = j
	}
	return units, nil
}

func makeUnit(code string, kind unitKind, start, end int) unit {
	line := 1 + strings.Count(code[:start], "\n")
	col := 1 + start - (strings.LastIndexByte(code[:start], '\n') + 1)
	return unit{kind: kind, text: code[start:end], line: line, col: col}
}

// classify tells a top-level item's kind from its first tokens.
func classify(toks []token.Token) unitKind {
	if len(toks) == 0 {
		return stmtUnit
	}
	switch toks[0] {
	case token.IMPORT:
		return importUnit
	case token.CONST, token.TYPE, token.VAR:
		return declUnit
	case token.FUNC:
		if len(toks) > 1 && toks[1] == token.IDENT {
			return declUnit
		}
		// func (r T) Name( is a method; func (...) T { is a literal.
		if len(toks) > 1 && toks[1] == token.LPAREN {
			depth := 0
			for i := 1; i < len(toks); i++ {
				switch toks[i] {
				case token.LPAREN:
					depth++
				case token.RPAREN:
					depth--
				}
				if depth == 0 {
					if i+2 < len(toks) && toks[i+1] == token.IDENT && toks[i+2] == token.LPAREN {
						return declUnit
					}
					break
				}
			}
		}
	}
	return stmtUnit
}

// cellFile names a cell's source in positions. yaegi scopes imports by
// the base name of a position's file, so every cell's file has the same
// base name and the cell number goes in the directory.
func cellFile(cell int) string { return fmt.Sprintf("cell%d/cell.go", cell) }

// parseUnit parses u into the node yaegi compiles: a file for imports and
// declarations, a block for statements. asResult wraps an expression unit
// in a call that hands its value to the host.
func parseUnit(fset *token.FileSet, cell int, u unit, asResult bool) (ast.Node, error) {
	// The wrapping is placed on line 1 of the cell file too: yaegi looks
	// imports up by the file of the unit's root node.
	head := fmt.Sprintf("//line %s:1:1\n", cellFile(cell))
	dir := fmt.Sprintf("\n//line %s:%d:%d\n", cellFile(cell), u.line, u.col)
	if u.kind == importUnit || u.kind == declUnit {
		f, err := parser.ParseFile(fset, "", head+"package main"+dir+u.text+"\n", parser.DeclarationErrors)
		if err != nil {
			return nil, parseError(u, err)
		}
		return f, nil
	}
	body := dir + u.text
	if asResult {
		body = hostPkgName + ".Result(" + dir + u.text + ",\n)"
	}
	f, err := parser.ParseFile(fset, "", head+"package main; func main() {"+body+"\n}", parser.DeclarationErrors)
	if err != nil {
		return nil, parseError(u, err)
	}
	block := f.Decls[0].(*ast.FuncDecl).Body
	if r := topReturn(block); r != nil {
		// yaegi fails on a return in its top-level frame with a nil
		// pointer dereference; say what is wrong instead.
		return nil, &CompileError{Line: fset.Position(r.Pos()).Line, Col: fset.Position(r.Pos()).Column,
			Msg: "return at the top level of a cell: a cell is not a function; put the code in a func and call it"}
	}
	scopeTemporaries(block)
	markLines(fset, block)
	return block, nil
}

// scopeTemporaries wraps each statement of a top-level block that defines
// no cell-level name in a function literal called on the spot.
//
// yaegi compiles a top-level block into the interpreter's global frame,
// and every temporary of it (the 1 MB string of
// fmt.Print(strings.Repeat("x", 1<<20)), a loop's buffers) keeps a slot
// there, with its last value, for the kernel's life. Run inside a
// function, those temporaries live in the function's own frame and are
// freed when it returns. Statements that define names (x := ..., var,
// const, type) stay as they are so the names outlive the cell (the
// temporaries of their right-hand sides stay referenced), and a
// block with labels or goto is left whole, since a jump may not cross a
// function boundary.
func scopeTemporaries(b *ast.BlockStmt) {
	for _, s := range b.List {
		switch s.(type) {
		case *ast.LabeledStmt, *ast.BranchStmt:
			return
		}
	}
	for i, s := range b.List {
		switch s := s.(type) {
		case *ast.DeclStmt, *ast.EmptyStmt:
			continue
		case *ast.AssignStmt:
			if s.Tok == token.DEFINE {
				continue
			}
		}
		b.List[i] = &ast.ExprStmt{X: &ast.CallExpr{Fun: &ast.FuncLit{
			Type: &ast.FuncType{Params: &ast.FieldList{}},
			Body: &ast.BlockStmt{List: []ast.Stmt{s}},
		}}}
	}
}

// topReturn finds a return statement of the block itself (not one of a
// function literal inside it).
func topReturn(b *ast.BlockStmt) *ast.ReturnStmt {
	var found *ast.ReturnStmt
	ast.Inspect(b, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			found = n
		}
		return found == nil
	})
	return found
}

// parseError turns a parser error into a CompileError on a cell line.
func parseError(u unit, err error) error {
	var list scanner.ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		return &CompileError{Msg: err.Error()}
	}
	e := list[0]
	lastLine := u.line + strings.Count(u.text, "\n")
	if e.Pos.Line > lastLine || e.Pos.Line < u.line {
		// A position in our wrapping: the end of the unit.
		return &CompileError{Line: lastLine, Msg: e.Msg}
	}
	return &CompileError{Line: e.Pos.Line, Col: e.Pos.Column, Msg: e.Msg}
}

// posError matches yaegi's "file:line:col: message".
var posError = regexp.MustCompile(`(?s)^cell(\d+)/cell\.go:(\d+):(\d+): (.*)$`)

// compileError turns a yaegi error into a CompileError on a cell line.
// node, if not nil, is the unit that failed, searched for better messages.
func (in *Interp) compileError(cell int, err error, node ast.Node) error {
	msg := err.Error()
	m := posError.FindStringSubmatch(msg)
	if m == nil {
		if e := in.inferenceGap(cell, msg, node); e != nil {
			return e
		}
		return &CompileError{Msg: msg}
	}
	c, _ := strconv.Atoi(m[1])
	line, _ := strconv.Atoi(m[2])
	col, _ := strconv.Atoi(m[3])
	msg = m[4]
	if msg == "constant definition loop" && node != nil {
		// What yaegi says of an undefined name in a statement.
		if id := in.firstUndefined(node); id != nil {
			msg = "undefined: " + id.Name
			if p := in.yi.FileSet().Position(id.Pos()); p.Filename == cellFile(cell) {
				line, col = p.Line, p.Column
			}
		}
	}
	msg = genericGap(msg)
	if c != cell {
		return &CompileError{Msg: fmt.Sprintf("in code from an earlier cell, line %d: %s", line, msg)}
	}
	return &CompileError{Line: line, Col: col, Msg: msg}
}

// firstUndefined returns the first identifier of node that names nothing
// the interpreter knows.
func (in *Interp) firstUndefined(node ast.Node) *ast.Ident {
	globals := in.globals()
	var found *ast.Ident
	ast.Inspect(node, func(n ast.Node) bool {
		if found != nil {
			return false
		}
		if sel, ok := n.(*ast.SelectorExpr); ok {
			ast.Inspect(sel.X, func(n ast.Node) bool { return found == nil && in.checkIdent(n, globals, &found) })
			return false // the selected name is a field or member
		}
		if kv, ok := n.(*ast.KeyValueExpr); ok {
			if _, isIdent := kv.Key.(*ast.Ident); isIdent {
				ast.Inspect(kv.Value, func(n ast.Node) bool { return found == nil && in.checkIdent(n, globals, &found) })
				return false // the key may be a field name
			}
		}
		return in.checkIdent(n, globals, &found)
	})
	return found
}

func (in *Interp) checkIdent(n ast.Node, globals map[string]reflect.Value, found **ast.Ident) bool {
	id, ok := n.(*ast.Ident)
	if !ok {
		return true
	}
	if id.Obj != nil || id.Name == "_" || isUniverse(id.Name) || in.defined[id.Name] {
		return true
	}
	if _, ok := in.imports[id.Name]; ok {
		return true
	}
	if _, ok := globals[id.Name]; ok {
		return true
	}
	*found = id
	return false
}

// panicError builds the PanicError of a panic with the frames yaegi printed.
// The outermost frame is the cell's top level, whatever yaegi calls it:
// "main", or "func" when it is a statement's wrapper (scopeTemporaries)
// or the panic came through a function literal called there. The wrapper's
// own call has no position and is left out.
func (in *Interp) panicError(cell int, value any, trace []string) error {
	type frame struct {
		cell, line int
		fn         string
	}
	var frames []frame
	for _, l := range trace {
		m := panicLine.FindStringSubmatch(l)
		if m == nil || m[1] == "" {
			continue
		}
		c, _ := strconv.Atoi(m[1])
		line, _ := strconv.Atoi(m[2])
		fn := strings.TrimPrefix(strings.TrimSuffix(m[4], "(...)"), "main.")
		frames = append(frames, frame{c, line, fn})
	}
	if n := len(frames); n > 0 && frames[n-1].cell == cell {
		frames[n-1].fn = "<cell>"
	}
	pe := &PanicError{Value: panicText(value)}
	for _, f := range frames {
		where := "cell"
		if f.cell != cell {
			where = "earlier cell"
		}
		entry := fmt.Sprintf("%s, line %d, in %s", where, f.line, f.fn)
		if src := in.srcs[f.cell]; f.line >= 1 && f.line <= len(src) {
			entry += "\n    " + strings.TrimSpace(src[f.line-1])
		}
		pe.Traceback = append(pe.Traceback, entry)
	}
	pe.Traceback = foldRepeats(pe.Traceback)
	var depth interp.CallDepthError
	if err, ok := value.(error); ok && errors.As(err, &depth) {
		re := &RecursionError{Depth: depth.Depth}
		where := ""
		if len(frames) > 0 {
			re.Line = frames[0].line
			where = fmt.Sprintf("line %d of an earlier cell", re.Line)
			if frames[0].cell == cell {
				where = fmt.Sprintf("line %d", re.Line)
			}
		}
		re.PanicError = PanicError{Value: recursionValue(depth.Depth, where), Traceback: pe.Traceback}
		return re
	}
	return pe
}

// foldRepeats replaces the fourth and later of consecutive equal
// traceback entries by one line that counts them, as Python does.
func foldRepeats(tb []string) []string {
	const keep = 3
	var out []string
	for i := 0; i < len(tb); {
		j := i
		for j < len(tb) && tb[j] == tb[i] {
			j++
		}
		for k := i; k < j && k < i+keep; k++ {
			out = append(out, tb[k])
		}
		if n := j - i - keep; n > 0 {
			out = append(out, fmt.Sprintf("[previous line repeated %d more times]", n))
		}
		i = j
	}
	return out
}

// evalImports runs an import unit, skipping what the kernel already
// imported, since yaegi refuses a second import of the same package.
func (in *Interp) evalImports(ctx context.Context, cell int, u unit) error {
	node, err := parseUnit(in.yi.FileSet(), cell, u, false)
	if err != nil {
		return err
	}
	for _, spec := range node.(*ast.File).Imports {
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			return &CompileError{Msg: err.Error()}
		}
		name := packageName(p)
		if spec.Name != nil {
			name = spec.Name.Name
		}
		if name == "_" {
			// Compiled packages ran their init at kernel start; what
			// they register for the program is registered now.
			in.track.imported(p, in.vars)
			continue
		}
		pos := in.yi.FileSet().Position(spec.Pos())
		if err := in.importPackage(ctx, cell, name, p, pos.Line); err != nil {
			return err
		}
	}
	return nil
}

// importPackage imports p as name unless it already is.
func (in *Interp) importPackage(ctx context.Context, cell int, name, p string, line int) error {
	key := name
	if name == "." {
		key = ". " + p
	}
	if old, ok := in.imports[key]; ok {
		if old == p {
			return nil
		}
		return &CompileError{Line: line, Msg: fmt.Sprintf(
			"%s already names package %q in this kernel; import %q under another name: import %s2 %q",
			name, old, p, name, p)}
	}
	src := fmt.Sprintf("import %s %q", name, p)
	if name == packageName(p) {
		src = fmt.Sprintf("import %q", p)
	}
	node, err := parseUnit(in.yi.FileSet(), cell, unit{kind: importUnit, text: src, line: max(line, 1), col: 1}, false)
	if err != nil {
		return err
	}
	prog, err := in.compile(node)
	if err != nil {
		if e := notImportable(p, line, err); e != nil {
			return e
		}
		return in.compileError(cell, err, nil)
	}
	if err := in.execute(ctx, cell, prog); err != nil {
		return err
	}
	in.imports[key] = p
	in.track.imported(p, in.vars)
	return nil
}

// packageName guesses the name of the package at import path p.
func packageName(p string) string {
	name := path.Base(p)
	if strings.HasPrefix(name, "v") {
		if _, err := strconv.Atoi(name[1:]); err == nil && path.Dir(p) != "." {
			name = path.Base(path.Dir(p)) // example.com/mod/v2
		}
	}
	return strings.TrimSuffix(strings.TrimPrefix(name, "go-"), ".go")
}

// autoImport imports the standard-library packages that node uses by
// name without importing them (strings.ToUpper in a cell with no import).
func (in *Interp) autoImport(ctx context.Context, cell int, node ast.Node) error {
	var globals map[string]reflect.Value
	want := map[string]string{}
	ast.Inspect(node, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || id.Obj != nil || in.defined[id.Name] {
			return true
		}
		if _, ok := in.imports[id.Name]; ok {
			return true
		}
		if globals == nil {
			globals = in.globals()
		}
		if _, ok := globals[id.Name]; ok {
			return true
		}
		if p, ok := in.pkgs.lookup(id.Name, sel.Sel.Name); ok {
			want[id.Name] = p
		}
		return true
	})
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := in.importPackage(ctx, cell, name, want[name], 1); err != nil {
			return err
		}
	}
	return nil
}

// renameRedefinedTypes works around yaegi keeping the first definition of
// a type name for ever: a type whose declaration changed since it was last
// defined is declared under a fresh name (T__2), with every reference in
// the unit renamed, and T becomes an alias of it for later cells.
func (in *Interp) renameRedefinedTypes(f *ast.File) map[string]string {
	defs := map[string]string{}
	for i := 0; i < len(f.Decls); i++ {
		d, ok := f.Decls[i].(*ast.GenDecl)
		if !ok || d.Tok != token.TYPE {
			continue
		}
		var aliases []ast.Spec
		for _, s := range d.Specs {
			ts := s.(*ast.TypeSpec)
			if ts.Assign.IsValid() || ts.TypeParams != nil {
				continue
			}
			text := nodeText(in.yi.FileSet(), ts.Type)
			defs[ts.Name.Name] = text
			old, seen := in.typeDefs[ts.Name.Name]
			if !seen || old == text {
				continue
			}
			in.renames++
			name := ts.Name.Name
			fresh := fmt.Sprintf("%s__%d", name, in.renames)
			obj := ts.Name.Obj
			var rename func(n ast.Node) bool
			rename = func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					ast.Inspect(n.X, rename) // n.Sel is a field or method
					return false
				case *ast.Ident:
					if n.Name == name && (n.Obj == obj || n.Obj == nil) {
						n.Name = fresh
					}
				}
				return true
			}
			ast.Inspect(f, rename)
			aliases = append(aliases, &ast.TypeSpec{Name: ast.NewIdent(name), Assign: ts.End(), Type: ast.NewIdent(fresh)})
		}
		if len(aliases) > 0 {
			alias := &ast.GenDecl{Tok: token.TYPE, Specs: aliases}
			f.Decls = append(f.Decls[:i+1], append([]ast.Decl{alias}, f.Decls[i+1:]...)...)
			i++
		}
	}
	return defs
}

// nodeText returns n formatted, to compare declarations.
func nodeText(fset *token.FileSet, n ast.Node) string {
	var b strings.Builder
	if err := printer.Fprint(&b, fset, n); err != nil {
		return ""
	}
	return b.String()
}

// topLevelNames returns the names a unit declares at top level.
func topLevelNames(node ast.Node) []string {
	var names []string
	addSpecs := func(d *ast.GenDecl) {
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				names = append(names, s.Name.Name)
			case *ast.ValueSpec:
				for _, n := range s.Names {
					names = append(names, n.Name)
				}
			}
		}
	}
	switch n := node.(type) {
	case *ast.File:
		for _, d := range n.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					names = append(names, d.Name.Name)
				}
			case *ast.GenDecl:
				if d.Tok != token.IMPORT {
					addSpecs(d)
				}
			}
		}
	case *ast.BlockStmt:
		for _, s := range n.List {
			switch s := s.(type) {
			case *ast.AssignStmt:
				if s.Tok == token.DEFINE {
					for _, e := range s.Lhs {
						if id, ok := e.(*ast.Ident); ok && id.Name != "_" {
							names = append(names, id.Name)
						}
					}
				}
			case *ast.DeclStmt:
				if d, ok := s.Decl.(*ast.GenDecl); ok {
					addSpecs(d)
				}
			}
		}
	}
	return names
}
