package boardpy

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bytes is a Python bytes (or bytearray) value decoded by ParseLiteral.
type Bytes []byte

// Dict is a Python dict decoded by ParseLiteral, its keys in order.
type Dict struct {
	Keys, Values []any
}

// maxLiteralDepth bounds the nesting ParseLiteral follows.
const maxLiteralDepth = 100

// ParseLiteral decodes the repr of a Python value as MicroPython and
// CPython print it: None, True, False, numbers (json.Number; inf and nan
// as float64), str (string), bytes and bytearray(...) (Bytes), lists,
// tuples and sets ([]any) and dicts (*Dict). Anything else (an object's
// "<...>" repr) is an error.
func ParseLiteral(s string) (any, error) {
	p := &litParser{s: s}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, p.errorf("unexpected %q after the value", short(p.s[p.i:], 20))
	}
	return v, nil
}

type litParser struct {
	s string
	i int
}

func (p *litParser) errorf(format string, args ...any) error {
	return fmt.Errorf("python literal at offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *litParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\n' || p.s[p.i] == '\t' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *litParser) word(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		end := p.i + len(w)
		if end == len(p.s) || !isIdentByte(p.s[end]) {
			p.i = end
			return true
		}
	}
	return false
}

func (p *litParser) value(depth int) (any, error) {
	if depth > maxLiteralDepth {
		return nil, p.errorf("nested too deep")
	}
	p.space()
	if p.i >= len(p.s) {
		return nil, p.errorf("value missing")
	}
	switch c := p.s[p.i]; {
	case p.word("None"):
		return nil, nil
	case p.word("True"):
		return true, nil
	case p.word("False"):
		return false, nil
	case p.word("inf"):
		return math.Inf(1), nil
	case p.word("nan"):
		return math.NaN(), nil
	case strings.HasPrefix(p.s[p.i:], "bytearray("):
		p.i += len("bytearray(")
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, ok := v.(Bytes); !ok {
			return nil, p.errorf("bytearray of something else than bytes")
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return nil, p.errorf("bytearray( not closed")
		}
		p.i++
		return v, nil
	case c == '\'' || c == '"':
		return p.str(false)
	case c == 'b' && p.i+1 < len(p.s) && (p.s[p.i+1] == '\'' || p.s[p.i+1] == '"'):
		p.i++
		return p.str(true)
	case c == '[':
		return p.seq(']', depth)
	case c == '(':
		return p.seq(')', depth)
	case c == '{':
		return p.dict(depth)
	case c == '-' || c == '+' || c == '.' || c >= '0' && c <= '9':
		return p.number()
	}
	return nil, p.errorf("not a literal: %q", short(p.s[p.i:], 20))
}

func (p *litParser) number() (any, error) {
	start := p.i
	if p.s[p.i] == '-' || p.s[p.i] == '+' {
		p.i++
		if p.word("inf") {
			if p.s[start] == '-' {
				return math.Inf(-1), nil
			}
			return math.Inf(1), nil
		}
	}
	for p.i < len(p.s) && strings.IndexByte("0123456789.eE+-", p.s[p.i]) >= 0 {
		if (p.s[p.i] == '+' || p.s[p.i] == '-') && p.s[p.i-1] != 'e' && p.s[p.i-1] != 'E' {
			break
		}
		p.i++
	}
	num := p.s[start:p.i]
	if _, err := strconv.ParseFloat(num, 64); err != nil {
		return nil, p.errorf("bad number %q", num)
	}
	// JSON wants a digit before and after a decimal point.
	num = strings.TrimPrefix(num, "+")
	if strings.HasPrefix(num, ".") || strings.HasPrefix(num, "-.") {
		num = strings.Replace(num, ".", "0.", 1)
	}
	if strings.HasSuffix(num, ".") {
		num += "0"
	}
	num = strings.Replace(strings.Replace(num, ".e", ".0e", 1), ".E", ".0E", 1)
	return json.Number(num), nil
}

func (p *litParser) seq(end byte, depth int) (any, error) {
	p.i++
	out := []any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == end {
			p.i++
			return out, nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == end {
			p.i++
			return out, nil
		}
		return nil, p.errorf("want ',' or %q", end)
	}
}

func (p *litParser) dict(depth int) (any, error) {
	p.i++
	d := &Dict{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return d, nil
		}
		k, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i < len(p.s) && (p.s[p.i] == ',' || p.s[p.i] == '}') && len(d.Keys) == 0 {
			return nil, p.errorf("a set is not a dict")
		}
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.errorf("want ':' in a dict")
		}
		p.i++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		d.Keys, d.Values = append(d.Keys, k), append(d.Values, v)
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return d, nil
		}
		return nil, p.errorf("want ',' or '}' in a dict")
	}
}

// str decodes a quoted str or bytes body at p.i (the quote).
func (p *litParser) str(isBytes bool) (any, error) {
	q := p.s[p.i]
	p.i++
	var b []byte
	for {
		if p.i >= len(p.s) {
			return nil, p.errorf("string not closed")
		}
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			if isBytes {
				return Bytes(b), nil
			}
			if !utf8.Valid(b) {
				return nil, p.errorf("str is not UTF-8")
			}
			return string(b), nil
		case c != '\\':
			b = append(b, c)
			p.i++
			continue
		}
		p.i++
		if p.i >= len(p.s) {
			return nil, p.errorf("string not closed")
		}
		e := p.s[p.i]
		p.i++
		switch e {
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case '\\', '\'', '"':
			b = append(b, e)
		case 'a':
			b = append(b, 7)
		case 'b':
			b = append(b, 8)
		case 'f':
			b = append(b, 12)
		case 'v':
			b = append(b, 11)
		case '0':
			b = append(b, 0)
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if isBytes && e != 'x' {
				b = append(b, '\\', e)
				continue
			}
			if p.i+n > len(p.s) {
				return nil, p.errorf("short \\%c escape", e)
			}
			r, err := strconv.ParseUint(p.s[p.i:p.i+n], 16, 32)
			if err != nil {
				return nil, p.errorf("bad \\%c escape", e)
			}
			p.i += n
			if isBytes {
				b = append(b, byte(r))
			} else {
				b = utf8.AppendRune(b, rune(r))
			}
		default:
			b = append(b, '\\', e)
		}
	}
}
