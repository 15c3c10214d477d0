// Package pysource analyses Python source for board cells without running
// it: whether a cell is complete (Jupyter's is_complete_request, answered
// as CPython's codeop and IPython's input splitter do), and where a cell's
// last top-level statement starts when it is an expression, so that the
// kernel can show its value as the Python REPL would.
//
// Everything rests on one lexer (Tokens; LineScanner for source fed a line
// at a time, as the router's cell splitter does to tell a magic at column
// 0 from a line inside a multi-line string). It knows Python's lexical
// structure (strings of every prefix and quote form with their escapes,
// comments, brackets, backslash continuations, indentation), not its full
// grammar: "invalid" is reported only for what is certainly wrong, such
// as a closing bracket without its opener.
//
// It also writes Python literals (Str, Bytes, WriteStr) for the code the
// kernel sends to boards: printable ASCII that every MicroPython version
// and CPython read back to the same string or bytes.
//
// It is pure Go, without dependencies, and holds no state.
package pysource

import "strings"

// line is one logical line of source: physical lines joined by open
// brackets, triple-quoted strings or backslashes.
type line struct {
	start, end int    // byte offsets in the source; end excludes the newline
	code       string // the text with comments and string contents blanked
	indent     int    // columns of leading whitespace of the first physical line
	blank      bool   // only whitespace and comments
}

// scanState is where a scan of the source ended.
type scanState struct {
	lines   []line
	open    []byte // brackets still open, innermost last
	inStr   bool   // inside an unterminated triple-quoted string
	contin  bool   // the source ends with a backslash continuation
	invalid bool   // a closing bracket without its opener, a bad string
}

// scan splits src into logical lines.
func scan(src string) scanState {
	var (
		st    scanState
		code  strings.Builder
		start = 0
		i     = 0
	)
	lineStart := func() {
		start = i
		code.Reset()
	}
	endLine := func(end int) {
		c := code.String()
		raw := src[start:end]
		ind := 0
		for _, r := range raw {
			if r == ' ' {
				ind++
			} else if r == '\t' {
				ind = (ind/8 + 1) * 8
			} else {
				break
			}
		}
		st.lines = append(st.lines, line{start: start, end: end, code: c, indent: ind, blank: strings.TrimSpace(c) == ""})
	}
tokens:
	for t := range Tokens(src) {
		i = t.End
		text := src[t.Start:t.End]
		switch t.Kind {
		case Comment:
		case Continuation:
			code.WriteByte(' ')
			st.contin = t.End == len(src)
		case String:
			code.WriteString("''")
			if t.Open {
				if len(t.Quote) == 3 {
					st.inStr = true
				} else {
					st.invalid = true
				}
				// Nothing after it can be judged.
				i = len(src)
				break tokens
			}
		case Newline:
			if len(st.open) > 0 {
				code.WriteByte(' ')
				continue
			}
			endLine(t.Start)
			lineStart()
			continue
		case Op:
			switch c := text[0]; c {
			case '(', '[', '{':
				st.open = append(st.open, c)
			case ')', ']', '}':
				if len(st.open) == 0 || st.open[len(st.open)-1] != opener(c) {
					st.invalid = true
				} else {
					st.open = st.open[:len(st.open)-1]
				}
			case '\\':
				st.contin = st.contin || t.End == len(src)
			}
			code.WriteString(text)
		default:
			code.WriteString(text)
		}
	}
	if start < len(src) || code.Len() > 0 {
		endLine(len(src))
	}
	return st
}

func opener(c byte) byte {
	switch c {
	case ')':
		return '('
	case ']':
		return '['
	}
	return '{'
}

// blockKeywords are the compound statements whose header ends with ':'.
var blockKeywords = []string{"if", "elif", "else", "for", "while", "try", "except", "finally",
	"with", "def", "class", "async", "match", "case"}

// IsComplete says whether code is ready to run as a cell: "complete",
// "incomplete" with the indent the next line should get (an open block,
// bracket, triple-quoted string, or a trailing backslash), or "invalid"
// (a bracket closed without being opened, a single-quoted string that runs
// to the end of its line).
func IsComplete(code string) (status, indent string) {
	if strings.TrimSpace(code) == "" {
		return "complete", ""
	}
	st := scan(code)
	if st.invalid {
		return "invalid", ""
	}
	if st.inStr {
		return "incomplete", ""
	}
	last := lastCodeLine(st.lines)
	curIndent := ""
	if last >= 0 {
		curIndent = strings.Repeat(" ", st.lines[last].indent)
	}
	if len(st.open) > 0 || st.contin {
		return "incomplete", curIndent
	}
	if last < 0 {
		return "complete", ""
	}
	l := st.lines[last]
	if strings.HasSuffix(strings.TrimSpace(l.code), ":") && startsBlock(l.code) {
		return "incomplete", curIndent + "    "
	}
	// Inside an indented block, a cell is finished by an empty line, as at
	// the Python prompt.
	if l.indent > 0 && !strings.HasSuffix(code, "\n\n") && !strings.HasSuffix(code, "\n\r\n") {
		return "incomplete", curIndent
	}
	return "complete", ""
}

// startsBlock reports whether a logical line is a compound statement's
// header (as opposed to, say, a dict display or a lambda ending in ':').
func startsBlock(code string) bool {
	w := firstWord(code)
	for _, k := range blockKeywords {
		if w == k {
			return true
		}
	}
	return false
}

func firstWord(code string) string {
	s := strings.TrimSpace(code)
	end := 0
	for end < len(s) && (s[end] == '_' || s[end] >= 'a' && s[end] <= 'z' || s[end] >= 'A' && s[end] <= 'Z' || s[end] >= '0' && s[end] <= '9') {
		end++
	}
	return s[:end]
}

func lastCodeLine(lines []line) int {
	for i := len(lines) - 1; i >= 0; i-- {
		if !lines[i].blank {
			return i
		}
	}
	return -1
}

// statementKeywords begin statements that are not expressions.
var statementKeywords = []string{"assert", "break", "class", "continue", "def", "del", "elif", "else",
	"except", "finally", "for", "from", "global", "if", "import", "nonlocal", "pass", "raise",
	"return", "try", "while", "with", "yield", "async", "match", "case"}

// SplitLastExpression splits code before its last top-level statement
// when that statement is an expression (a call, a name, arithmetic; not an
// assignment, not augmented assignment, not a keyword statement), so that
// the caller can run body and then evaluate expr and show its repr. ok is
// false when the last statement is not an expression or code is not
// complete; body and expr then are empty. Trailing comments are dropped
// from expr; semicolon-separated statements on the last line are split.
func SplitLastExpression(code string) (body, expr string, ok bool) {
	st := scan(code)
	if st.invalid || st.inStr || len(st.open) > 0 || st.contin {
		return "", "", false
	}
	last := lastCodeLine(st.lines)
	if last < 0 {
		return "", "", false
	}
	l := st.lines[last]
	if l.indent > 0 {
		return "", "", false // the end of a block, not a top-level statement
	}
	// The last of several statements joined by ';' on this line.
	stmtStart, stmtCode := l.start, l.code
	if i := strings.LastIndexByte(l.code, ';'); i >= 0 {
		rest := l.code[i+1:]
		if strings.TrimSpace(rest) == "" {
			return "", "", false // "x;" : IPython's convention for "show nothing"
		}
		off, ok := rawOffset(code[l.start:l.end], l.code, i+1)
		if !ok {
			return "", "", false
		}
		stmtStart, stmtCode = l.start+off, rest
	}
	if !isExpression(stmtCode) {
		return "", "", false
	}
	exprText := stripComment(code[stmtStart:l.end])
	body = strings.TrimRight(code[:stmtStart], " \t")
	if strings.HasSuffix(body, ";") {
		body = strings.TrimSuffix(body, ";")
	}
	return body, strings.TrimSpace(exprText), true
}

// rawOffset maps offset n of a blanked line back to the raw text. Blanking
// keeps every byte outside strings and comments in place except for
// strings (shortened to ”) and continuations; ';' after them is found by
// counting the semicolons outside strings instead.
func rawOffset(raw, blanked string, n int) (int, bool) {
	want := strings.Count(blanked[:n], ";")
	seen := 0
	for t := range Tokens(raw) {
		switch {
		case t.Kind == Comment || t.Kind == String && t.Open:
			return 0, false
		case t.Kind == Op && raw[t.Start] == ';':
			seen++
			if seen == want {
				return t.End, true
			}
		}
	}
	return 0, false
}

// stripComment drops a trailing comment from one logical line of source.
func stripComment(s string) string {
	for t := range Tokens(s) {
		switch {
		case t.Kind == Comment:
			return s[:t.Start]
		case t.Kind == String && t.Open:
			return s
		}
	}
	return s
}

// isExpression reports whether a blanked logical line is an expression
// statement.
func isExpression(code string) bool {
	s := strings.TrimSpace(code)
	if s == "" || s[0] == '@' { // a decorator
		return false
	}
	w := firstWord(s)
	for _, k := range statementKeywords {
		if w == k {
			return false
		}
	}
	if w == "lambda" {
		return true // its ':' is not an annotation's
	}
	// An assignment has '=' at bracket depth 0 that is not part of a
	// comparison (==, !=, <=, >=) or of := inside brackets.
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case '=':
			if depth > 0 {
				continue
			}
			prev := byte(0)
			if i > 0 {
				prev = s[i-1]
			}
			next := byte(0)
			if i+1 < len(s) {
				next = s[i+1]
			}
			if next == '=' {
				i++ // ==
				continue
			}
			if prev == '!' || prev == '<' || prev == '>' || prev == '=' {
				continue // != <= >= and the second = of ==
			}
			if prev == ':' {
				return true // a walrus at top level is a syntax error; let Python say so
			}
			return false // = or an augmented assignment (+=, -=, ...)
		case ':':
			if depth == 0 && i+1 < len(s) && s[i+1] != '=' {
				return false // an annotation: "x: int" or "x: int = 1"
			}
			if depth == 0 && i+1 == len(s) {
				return false
			}
		}
	}
	return true
}
