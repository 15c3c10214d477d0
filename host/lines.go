package host

import (
	"go/ast"
	"go/token"
	"strconv"
)

// markLines puts a call telling the host which line runs before each
// top-level statement of a cell's block but the first (evalUnit reports
// that one), so that a cell that kills the
// process (a fatal runtime error, which no recover sees) can be reported
// with the line it was running (Options.Line). Only top-level statements
// are marked: a function the statement calls runs under its line.
func markLines(fset *token.FileSet, b *ast.BlockStmt) {
	list := make([]ast.Stmt, 0, 2*len(b.List))
	for i, s := range b.List {
		if i == 0 {
			// evalUnit reports the first line before the unit runs,
			// which costs the interpreter nothing to keep.
			list = append(list, s)
			continue
		}
		// yaegi names the position of a block's first node as the cell's
		// frame in a panic's trace: the mark takes the position of its
		// statement, none for a statement scopeTemporaries wrapped, so
		// that traces read as they would without it.
		if line := firstPos(s); line.IsValid() {
			pos := s.Pos()
			list = append(list, &ast.ExprStmt{X: &ast.CallExpr{
				Fun: &ast.SelectorExpr{
					X:   &ast.Ident{NamePos: pos, Name: hostPkgName},
					Sel: &ast.Ident{NamePos: pos, Name: "At"},
				},
				Lparen: pos,
				Args:   []ast.Expr{&ast.BasicLit{ValuePos: pos, Kind: token.INT, Value: strconv.Itoa(fset.Position(line).Line)}},
				Rparen: pos,
			}})
		}
		list = append(list, s)
	}
	b.List = list
}

// firstPos is the position of n's first positioned node of the cell's
// own code: statements that scopeTemporaries wrapped have no position of
// their own, and the call that takes a cell's value is on line 1.
func firstPos(n ast.Node) token.Pos {
	var pos token.Pos
	ast.Inspect(n, func(n ast.Node) bool {
		if pos.IsValid() || n == nil {
			return false
		}
		if s, ok := n.(*ast.ExprStmt); ok {
			n = s.X
		}
		if args, ok := hostCallArgs(n); ok {
			for _, a := range args {
				if pos = firstPos(a); pos.IsValid() {
					break
				}
			}
			return false
		}
		if p := n.Pos(); p.IsValid() {
			pos = p
			return false
		}
		return true
	})
	return pos
}

// hostCallArgs returns the arguments of n if it calls the host's package.
func hostCallArgs(n ast.Node) ([]ast.Expr, bool) {
	call, ok := n.(*ast.CallExpr)
	if !ok {
		return nil, false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return nil, false
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok || id.Name != hostPkgName {
		return nil, false
	}
	return call.Args, true
}

// at is the body of the marks markLines adds.
func (in *Interp) at(line int) {
	if in.onLine != nil {
		in.onLine(line)
	}
}
