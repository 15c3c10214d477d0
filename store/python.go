package store

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/iotkernel/iotkernel/pysource"
)

// DumpBegin and DumpEnd are the lines around the records that a board's
// dump program prints for ParsePythonDump. They are whole lines of ASCII,
// so neither the raw REPL's 0x04 framing nor a UTF-8 decoder on the way
// can touch them; the version number lets a newer parser refuse an older
// program's output.
const (
	DumpBegin = "@iotkernel-store-begin 1"
	DumpEnd   = "@iotkernel-store-end"
)

// literalChunk is the longest run of escaped text in one Python string
// literal; longer values are split into adjacent literals on separate lines
// so that no board has to hold one long source line.
const literalChunk = 64

const pythonStorable = "only str, int, float, bool, None, bytes, bytearray, list, tuple and dict with str keys can be stored"

// ErrUndefined is wrapped by the error for a name that the board does not
// define.
var ErrUndefined = errors.New("not defined")

// A VarError reports one variable of a dump that could not be stored. The
// other variables of the same dump are unaffected.
type VarError struct {
	Name string
	Err  error
}

func (e *VarError) Error() string {
	var te *TypeError
	if errors.As(e.Err, &te) && te.Path == "" {
		return fmt.Sprintf("cannot store %s (a %s): %s", e.Name, te.Type, te.why())
	}
	return "cannot store " + e.Name + ": " + e.Err.Error()
}

func (e *VarError) Unwrap() error { return e.Err }

// ValidName reports whether name can be stored: an ASCII identifier, valid
// in both Python and Go.
func ValidName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

var pythonKeywords = map[string]bool{
	"False": true, "None": true, "True": true, "and": true, "as": true,
	"assert": true, "async": true, "await": true, "break": true,
	"class": true, "continue": true, "def": true, "del": true, "elif": true,
	"else": true, "except": true, "finally": true, "for": true,
	"from": true, "global": true, "if": true, "import": true, "in": true,
	"is": true, "lambda": true, "nonlocal": true, "not": true, "or": true,
	"pass": true, "raise": true, "return": true, "try": true,
	"while": true, "with": true, "yield": true,
}

// PythonLiteral returns ASCII-only Python source for an expression that
// rebuilds v on a board running MicroPython 1.9 or later, or CPython 3.
// Non-integral floats are written as m*2.0**e, which every parser
// evaluates exactly (MicroPython's decimal parser can be off by one ulp);
// NaN loses its payload. Long str and bytes values are split into adjacent
// literals of at most 64 characters each.
func (v Value) PythonLiteral() (string, error) {
	if d := v.depth(); d > maxDepth {
		return "", fmt.Errorf("value nested %d levels deep, more than %d", d, maxDepth)
	}
	var b strings.Builder
	v.writePython(&b, pyStyle{literal: true, bytearray: "bytearray"})
	return b.String(), nil
}

// chunkedLiteral writes s as one or more adjacent ASCII str (or bytes)
// literals, parenthesized when there are several.
func chunkedLiteral(b *strings.Builder, s string, isBytes bool) {
	prefix := "'"
	if isBytes {
		prefix = "b'"
	}
	var chunks []string
	var cur strings.Builder
	flush := func() {
		chunks = append(chunks, prefix+cur.String()+"'")
		cur.Reset()
	}
	if isBytes {
		for i := 0; i < len(s); i++ {
			pysource.EscapeByte(&cur, s[i])
			if cur.Len() >= literalChunk {
				flush()
			}
		}
	} else {
		for _, r := range s {
			pysource.EscapeRune(&cur, r, true)
			if cur.Len() >= literalChunk {
				flush()
			}
		}
	}
	if cur.Len() > 0 || len(chunks) == 0 {
		flush()
	}
	if len(chunks) == 1 {
		b.WriteString(chunks[0])
		return
	}
	b.WriteString("(")
	b.WriteString(strings.Join(chunks, "\n"))
	b.WriteString(")")
}

// floatLiteral writes f so that MicroPython and CPython both evaluate it to
// exactly f (on boards with 64-bit floats).
func floatLiteral(f float64) string {
	switch {
	// 1e999 overflows to inf in every parser; no builtin is called, so
	// a board variable named float does no harm.
	case math.IsNaN(f):
		return "(1e999-1e999)"
	case math.IsInf(f, 1):
		return "1e999"
	case math.IsInf(f, -1):
		return "-1e999"
	case f == 0 && math.Signbit(f):
		return "-0.0"
	case f == math.Trunc(f) && math.Abs(f) < 1<<53:
		// Few enough digits that any parser accumulates them exactly.
		return strconv.FormatFloat(f, 'f', 0, 64) + ".0"
	}
	frac, exp := math.Frexp(f)
	m := int64(frac * (1 << 53))
	e := exp - 53
	for e < -1074 { // subnormal: 2.0**e itself must not underflow
		m /= 2
		e++
	}
	for m%2 == 0 {
		m /= 2
		e++
	}
	return strconv.FormatInt(m, 10) + "*2.0**" + strconv.Itoa(e)
}

// pyFloatRepr formats f as Python's repr does.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// PythonDefine returns Python source that assigns each value to its name on
// the board, one statement per name in name order. Bytearrays are built by
// calling the name bytearray, which the caller binds to the builtin (so
// that a board variable named bytearray does no harm); usesBytearray says
// whether the source calls it. A name that is not a valid identifier, or
// is a Python keyword, is an error.
func PythonDefine(vars map[string]Value, bytearray string) (code string, usesBytearray bool, err error) {
	names := make([]string, 0, len(vars))
	for name, v := range vars {
		names = append(names, name)
		usesBytearray = usesBytearray || v.has(ByteArray)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		if !ValidName(name) || pythonKeywords[name] {
			return "", false, fmt.Errorf("cannot define %q on the board: not a Python identifier", name)
		}
		v := vars[name]
		if d := v.depth(); d > maxDepth {
			return "", false, fmt.Errorf("cannot define %s on the board: nested %d levels deep, more than %d", name, d, maxDepth)
		}
		b.WriteString(name)
		b.WriteString(" = ")
		v.writePython(&b, pyStyle{literal: true, bytearray: bytearray})
		b.WriteString("\n")
	}
	return b.String(), usesBytearray, nil
}

// has reports whether v is or contains a value of kind k.
func (v Value) has(k Kind) bool {
	if v.kind == k {
		return true
	}
	for _, e := range v.items {
		if e.has(k) {
			return true
		}
	}
	return false
}

// ParsePythonDump parses what a board's dump program (boardpy.Dump)
// printed: records of the form that dumpParser reads, between DumpBegin
// and DumpEnd. It returns every variable that could be read; each one that could
// not (undefined, of a type the store cannot hold, an int beyond int64, an
// invalid name) is a *VarError in the returned error, joined with
// errors.Join. Output without both marker lines (the program was
// interrupted, or this is not its output) is an error too, with whatever
// variables came before the cut. Text around the markers is ignored;
// "\r\n" line ends are accepted.
func ParsePythonDump(output string) (map[string]Value, error) {
	lines := strings.Split(output, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasSuffix(strings.TrimRight(l, "\r"), DumpBegin) {
			start = i + 1
			break
		}
	}
	if start < 0 {
		return nil, errors.New("store dump: no begin marker in the board's output")
	}
	vars := make(map[string]Value)
	failed := make(map[string]error)
	var order []string              // names of failed, in the order they came
	broken := make(map[string]bool) // the failure is a value line that did not parse
	var errs []error
	ended := false
	for _, l := range lines[start:] {
		l = strings.TrimRight(l, "\r")
		if l == DumpEnd {
			ended = true
			break
		}
		if l == "" {
			continue // the program ends a broken line before an error record
		}
		name, v, err := parseRecord(l)
		if name == "" {
			errs = append(errs, fmt.Errorf("store dump: malformed line %.40q", l))
			continue
		}
		_, stored := vars[name]
		_, hasFailed := failed[name]
		switch {
		case l[0] == '!' && broken[name]:
			// The board broke off printing the value and says why.
			failed[name] = err
			broken[name] = false
		case stored || hasFailed:
			if stored {
				delete(vars, name)
				order = append(order, name)
			}
			failed[name] = errors.New("reported twice by the board")
		case err != nil:
			order = append(order, name)
			failed[name] = err
			broken[name] = l[0] == '='
		default:
			vars[name] = v
		}
	}
	for _, name := range order {
		errs = append(errs, &VarError{Name: name, Err: failed[name]})
	}
	if !ended {
		errs = append(errs, errors.New("store dump: the board's output ended before the end marker (interrupted?)"))
	}
	return vars, errors.Join(errs...)
}

// parseRecord parses one record line: "=NAME VALUE" or "!NAME CODE [TEXT;]",
// where CODE is N (undefined), I (invalid name) or E (TEXT is the
// exception the board raised).
// It returns name "" when the line is not a record at all.
func parseRecord(line string) (name string, v Value, err error) {
	if len(line) < 2 || line[0] != '=' && line[0] != '!' {
		return "", Value{}, nil
	}
	rawName, rest, ok := strings.Cut(line[1:], " ")
	if !ok {
		return "", Value{}, nil
	}
	name, err = unescapeDump(rawName)
	if err != nil || name == "" {
		return "", Value{}, nil
	}
	if line[0] == '=' {
		p := dumpParser{s: rest}
		v, err := p.value(0)
		if err == nil && p.i != len(p.s) {
			err = fmt.Errorf("store dump: trailing data after value at byte %d", p.i)
		}
		return name, v, err
	}
	code, text, _ := strings.Cut(rest, " ")
	if text != "" {
		text, err = unescapeDump(strings.TrimSuffix(text, ";"))
		if err != nil {
			return name, Value{}, err
		}
	}
	switch code {
	case "N":
		return name, Value{}, fmt.Errorf("name '%s' is %w on the board", name, ErrUndefined)
	case "I":
		return name, Value{}, errors.New("not a valid variable name")
	case "E":
		if typ, msg, ok := strings.Cut(text, ": "); ok {
			text = pythonTypeName(typ) + ": " + msg
		}
		return name, Value{}, errors.New(text)
	}
	return name, Value{}, fmt.Errorf("store dump: unknown error code %.10q", code)
}

// pythonTypeName turns str(type(x)), "<class '__main__.Sock'>", into "Sock".
func pythonTypeName(s string) string {
	if t, ok := strings.CutPrefix(s, "<class '"); ok {
		if t, ok := strings.CutSuffix(t, "'>"); ok {
			s = t
		}
	}
	return strings.TrimPrefix(s, "__main__.")
}

// unescapeDump reverses the dump program's escapes: %XX is the byte XX.
// The program writes so every byte outside printable ASCII, '%' and ';'
// (and spaces in names, which a space ends).
func unescapeDump(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+3 > len(s) {
			return "", errors.New("store dump: truncated %-escape")
		}
		n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("store dump: bad %%-escape %q", s[i:i+3])
		}
		b = append(b, byte(n))
		i += 2
	}
	return string(b), nil
}

// dumpParser reads the value tokens that the dump program writes:
//
//	N T F                 None, True, False
//	i<decimal>;           int
//	f<16 hex digits>;     float, as the big-endian IEEE 754 bits
//	g<repr>;              float, as repr (boards without struct)
//	s<esc>; b<esc>; a<esc>;  str (UTF-8), bytes, bytearray
//	?<esc>;               an unsupported object, with str(type(x))
//	[...] (...)           list, tuple: values one after another
//	{...}                 dict: str key token, value, key, value...
type dumpParser struct {
	s string
	i int
}

func (p *dumpParser) value(depth int) (Value, error) {
	if depth > maxDepth {
		return Value{}, fmt.Errorf("nested more than %d levels deep", maxDepth)
	}
	if p.i >= len(p.s) {
		return Value{}, errors.New("store dump: value cut short")
	}
	tag := p.s[p.i]
	p.i++
	switch tag {
	case 'N':
		return Value{}, nil
	case 'T', 'F':
		return BoolValue(tag == 'T'), nil
	case 'i':
		text, err := p.text()
		if err != nil {
			return Value{}, err
		}
		i, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				if len(text) > 30 {
					text = text[:12] + "..." + text[len(text)-12:] + " (" + strconv.Itoa(len(strings.TrimPrefix(text, "-"))) + " digits)"
				}
				return Value{}, fmt.Errorf("int %s does not fit in int64 (Go's int)", text)
			}
			return Value{}, fmt.Errorf("store dump: bad int %.30q", text)
		}
		return IntValue(i), nil
	case 'f':
		text, err := p.text()
		if err != nil {
			return Value{}, err
		}
		bits, err := strconv.ParseUint(text, 16, 64)
		if err != nil || len(text) != 16 {
			return Value{}, fmt.Errorf("store dump: bad float bits %.30q", text)
		}
		return FloatValue(math.Float64frombits(bits)), nil
	case 'g':
		text, err := p.text()
		if err != nil {
			return Value{}, err
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return Value{}, fmt.Errorf("store dump: bad float %.30q", text)
		}
		return FloatValue(f), nil
	case '?':
		text, err := p.text()
		if err == nil {
			text, err = unescapeDump(text)
		}
		if err != nil {
			return Value{}, err
		}
		return Value{}, &TypeError{Type: pythonTypeName(text), Why: pythonStorable}
	case 's', 'b', 'a':
		text, err := p.text()
		if err == nil {
			text, err = unescapeDump(text)
		}
		if err != nil {
			return Value{}, err
		}
		switch tag {
		case 'b':
			return Value{kind: Bytes, str: text}, nil
		case 'a':
			return Value{kind: ByteArray, str: text}, nil
		}
		if !utf8.ValidString(text) {
			return Value{}, errors.New("store dump: str is not valid UTF-8")
		}
		return Value{kind: Str, str: text}, nil
	case '[', '(':
		end, kind := byte(']'), List
		if tag == '(' {
			end, kind = ')', Tuple
		}
		v := Value{kind: kind}
		for {
			if p.i < len(p.s) && p.s[p.i] == end {
				p.i++
				return v, nil
			}
			e, err := p.value(depth + 1)
			if err != nil {
				return Value{}, err
			}
			v.items = append(v.items, e)
		}
	case '{':
		v := Value{kind: Dict}
		seen := make(map[string]bool)
		for {
			if p.i < len(p.s) && p.s[p.i] == '}' {
				p.i++
				return v, nil
			}
			k, err := p.value(depth + 1)
			if err != nil {
				return Value{}, err
			}
			if k.kind != Str {
				return Value{}, &TypeError{Type: "dict", Why: "dict keys must be str, not " + k.kind.String()}
			}
			if seen[k.str] {
				return Value{}, fmt.Errorf("store dump: dict key %.30q twice", k.str)
			}
			seen[k.str] = true
			e, err := p.value(depth + 1)
			if err != nil {
				return Value{}, err
			}
			v.keys = append(v.keys, k.str)
			v.items = append(v.items, e)
		}
	}
	return Value{}, fmt.Errorf("store dump: unknown tag %q at byte %d", tag, p.i-1)
}

// text returns the token text up to the next ';' and moves past it.
func (p *dumpParser) text() (string, error) {
	n := strings.IndexByte(p.s[p.i:], ';')
	if n < 0 {
		return "", errors.New("store dump: value cut short")
	}
	t := p.s[p.i : p.i+n]
	p.i += n + 1
	return t, nil
}
