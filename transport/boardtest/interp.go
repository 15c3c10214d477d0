package boardtest

import (
	"strconv"
	"strings"
)

// Interp is the default cell handler: a tiny line-by-line imitation of
// Python, enough for protocol tests. It understands
//
//	NAME = EXPR          store in the namespace
//	print(EXPR)          print it
//	del NAME
//	NAME                 NameError if undefined
//	while True: pass     run until Ctrl-C (KeyboardInterrupt)
//	while True: print(EXPR)  print until Ctrl-C
//	raise NAME / raise NAME('msg')
//	machine.reset()      the board resets
//	import ..., pass, comments, blank lines: nothing
//
// where EXPR is an integer, a quoted string, a NAME, or 'string' * INT.
// Unbalanced parentheses raise SyntaxError; other lines are ignored.
func Interp(r *Run) {
	for i, line := range strings.Split(r.Code, "\n") {
		r.excLine = i + 1
		if !interpLine(r, strings.TrimSpace(strings.TrimRight(line, "\r"))) {
			return
		}
	}
}

// interpLine runs one line; false ends the cell.
func interpLine(r *Run, l string) bool {
	if strings.Count(l, "(") != strings.Count(l, ")") {
		r.Raise("SyntaxError", "invalid syntax")
		return false
	}
	switch {
	case l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "import ") || l == "pass":
		return true
	case l == "machine.reset()":
		r.Reset(false)
		<-r.Stopped()
		return false
	case strings.HasPrefix(l, "while True:"):
		body := strings.TrimSpace(strings.TrimPrefix(l, "while True:"))
		if body == "pass" || body == "" {
			<-r.Stopped()
			return false
		}
		for {
			if !interpLine(r, body) {
				return false
			}
			select {
			case <-r.Stopped():
				return false
			default:
			}
		}
	case strings.HasPrefix(l, "raise "):
		name, arg, _ := strings.Cut(strings.TrimPrefix(l, "raise "), "(")
		msg, _ := literal(strings.TrimSuffix(arg, ")"))
		r.Raise(name, msg)
		return false
	case strings.HasPrefix(l, "print(") && strings.HasSuffix(l, ")"):
		v, ok := eval(r, l[len("print("):len(l)-1])
		if !ok {
			return false
		}
		r.Print(v + "\n")
		return true
	case strings.HasPrefix(l, "del "):
		name := strings.TrimSpace(strings.TrimPrefix(l, "del "))
		if _, ok := r.Get(name); !ok {
			nameError(r, name)
			return false
		}
		r.Del(name)
		return true
	}
	if name, expr, ok := strings.Cut(l, "="); ok && isName(strings.TrimSpace(name)) {
		v, ok := eval(r, expr)
		if ok {
			r.Set(strings.TrimSpace(name), v)
		}
		return ok
	}
	if isName(l) {
		_, ok := eval(r, l)
		return ok
	}
	return true
}

func nameError(r *Run, name string) {
	r.Raise("NameError", "name '"+name+"' isn't defined")
}

// eval evaluates EXPR; false (with NameError raised) for unknown names.
func eval(r *Run, expr string) (string, bool) {
	expr = strings.TrimSpace(expr)
	if s, n, ok := strings.Cut(expr, "*"); ok {
		v, _ := literal(strings.TrimSpace(s))
		k, err := strconv.Atoi(strings.TrimSpace(n))
		if err == nil {
			return strings.Repeat(v, k), true
		}
	}
	if v, ok := literal(expr); ok {
		return v, true
	}
	if isName(expr) {
		v, ok := r.Get(expr)
		if !ok {
			nameError(r, expr)
		}
		return v, ok
	}
	return expr, true
}

// literal decodes an integer or a quoted string without escapes.
func literal(s string) (string, bool) {
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1], true
	}
	if _, err := strconv.Atoi(s); err == nil {
		return s, true
	}
	return "", false
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
