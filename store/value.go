package store

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/iotkernel/iotkernel/pysource"
)

// A Kind is the type of a stored value, named after the Python type that
// holds it on the board.
type Kind uint8

// The kinds of value the store holds. The zero Kind is None, so the zero
// Value is None.
const (
	None      Kind = iota // Python None, Go nil
	Bool                  // Python bool, Go bool
	Int                   // Python int within int64, Go int
	Float                 // Python float, Go float64
	Str                   // Python str, Go string (valid UTF-8)
	Bytes                 // Python bytes, Go []byte
	ByteArray             // Python bytearray, Go []byte
	List                  // Python list, Go slice
	Tuple                 // Python tuple, Go slice
	Dict                  // Python dict with str keys, Go map[string]T
)

var kindNames = [...]string{
	None:      "NoneType",
	Bool:      "bool",
	Int:       "int",
	Float:     "float",
	Str:       "str",
	Bytes:     "bytes",
	ByteArray: "bytearray",
	List:      "list",
	Tuple:     "tuple",
	Dict:      "dict",
}

// String returns the Python name of the kind ("str", "NoneType", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + itoa(int64(k)) + ")"
}

// maxDepth bounds the nesting of lists, tuples and dicts everywhere values
// are built or decoded, so that a self-referencing Go slice, a cyclic Python
// list or a hostile file cannot exhaust the stack.
const maxDepth = 100

// A Value is one stored value: an immutable tree of the kinds above. The
// zero Value is None. Values are safe for concurrent use.
type Value struct {
	kind  Kind
	num   uint64   // Bool (0/1), Int (two's complement), Float (IEEE 754 bits)
	str   string   // Str, Bytes and ByteArray contents
	items []Value  // List and Tuple elements, Dict values
	keys  []string // Dict keys, in order, parallel to items
}

// A Field is one key and its value in a Dict.
type Field struct {
	Key   string
	Value Value
}

// NoneValue returns None.
func NoneValue() Value { return Value{} }

// BoolValue returns a bool.
func BoolValue(b bool) Value {
	v := Value{kind: Bool}
	if b {
		v.num = 1
	}
	return v
}

// IntValue returns an int.
func IntValue(i int64) Value { return Value{kind: Int, num: uint64(i)} }

// FloatValue returns a float. Every float64, including NaN, ±Inf and -0.0,
// is kept bit for bit in the store file and on the way to and from the board.
func FloatValue(f float64) Value { return Value{kind: Float, num: math.Float64bits(f)} }

// StrValue returns a str. Python strings are Unicode, so invalid UTF-8 in s
// is replaced by U+FFFD; use FromGo to get an error instead.
func StrValue(s string) Value { return Value{kind: Str, str: strings.ToValidUTF8(s, "\uFFFD")} }

// BytesValue returns a bytes value holding a copy of b.
func BytesValue(b []byte) Value { return Value{kind: Bytes, str: string(b)} }

// ByteArrayValue returns a bytearray holding a copy of b.
func ByteArrayValue(b []byte) Value { return Value{kind: ByteArray, str: string(b)} }

// ListValue returns a list of the given elements.
func ListValue(elems ...Value) Value {
	return Value{kind: List, items: append([]Value(nil), elems...)}
}

// TupleValue returns a tuple of the given elements.
func TupleValue(elems ...Value) Value {
	return Value{kind: Tuple, items: append([]Value(nil), elems...)}
}

// DictValue returns a dict of the given fields, in their order. A key given
// twice keeps its last value at its first position, as in Python.
func DictValue(fields ...Field) Value {
	v := Value{kind: Dict}
	index := make(map[string]int, len(fields))
	for _, f := range fields {
		if i, ok := index[f.Key]; ok {
			v.items[i] = f.Value
			continue
		}
		index[f.Key] = len(v.keys)
		v.keys = append(v.keys, strings.ToValidUTF8(f.Key, "\uFFFD"))
		v.items = append(v.items, f.Value)
	}
	return v
}

// Kind returns the value's kind.
func (v Value) Kind() Kind { return v.kind }

// Type returns the Python type name of v ("int", "list", ...).
func (v Value) Type() string { return v.kind.String() }

// Bool returns the value of a Bool; false for other kinds.
func (v Value) Bool() bool { return v.kind == Bool && v.num != 0 }

// Int returns the value of an Int; 0 for other kinds.
func (v Value) Int() int64 {
	if v.kind != Int {
		return 0
	}
	return int64(v.num)
}

// Float returns the value of a Float; 0 for other kinds.
func (v Value) Float() float64 {
	if v.kind != Float {
		return 0
	}
	return math.Float64frombits(v.num)
}

// Str returns the text of a Str or the contents of a Bytes or ByteArray;
// "" for other kinds.
func (v Value) Str() string { return v.str }

// Len returns the number of elements of a List, Tuple or Dict, the length
// in bytes of a Str, Bytes or ByteArray, and 0 for other kinds.
func (v Value) Len() int {
	switch v.kind {
	case List, Tuple, Dict:
		return len(v.items)
	case Str, Bytes, ByteArray:
		return len(v.str)
	}
	return 0
}

// Index returns element i of a List or Tuple, or the value of the i'th
// field of a Dict. It panics if i is out of range.
func (v Value) Index(i int) Value { return v.items[i] }

// Fields returns the fields of a Dict in order; nil for other kinds.
func (v Value) Fields() []Field {
	if v.kind != Dict {
		return nil
	}
	fs := make([]Field, len(v.keys))
	for i, k := range v.keys {
		fs[i] = Field{Key: k, Value: v.items[i]}
	}
	return fs
}

// Lookup returns the value stored under key in a Dict.
func (v Value) Lookup(key string) (Value, bool) {
	for i, k := range v.keys {
		if k == key {
			return v.items[i], true
		}
	}
	return Value{}, false
}

// Equal reports whether v and w are the same value of the same kind. Floats
// compare by bits, except that any NaN equals any NaN; so 0.0 and -0.0
// differ. Dicts are equal when they hold the same keys with equal values,
// in any order, as in Python (MicroPython does not keep insertion order).
func (v Value) Equal(w Value) bool {
	if v.kind != w.kind || len(v.items) != len(w.items) || v.str != w.str {
		return false
	}
	if v.kind == Float {
		a, b := v.Float(), w.Float()
		if math.IsNaN(a) || math.IsNaN(b) {
			return math.IsNaN(a) && math.IsNaN(b)
		}
	}
	if v.num != w.num {
		return false
	}
	if v.kind == Dict {
		index := make(map[string]int, len(w.keys))
		for i, k := range w.keys {
			index[k] = i
		}
		for i, k := range v.keys {
			j, ok := index[k]
			if !ok || !v.items[i].Equal(w.items[j]) {
				return false
			}
		}
		return true
	}
	for i := range v.items {
		if !v.items[i].Equal(w.items[i]) {
			return false
		}
	}
	return true
}

// depth returns how deeply v nests containers; a scalar has depth 0.
func (v Value) depth() int {
	d := 0
	for _, e := range v.items {
		d = max(d, e.depth()+1)
	}
	return d
}

// String returns a Python repr of v, as the board would print it.
func (v Value) String() string {
	var b strings.Builder
	v.repr(&b)
	return b.String()
}

// Short returns the start of v's Python repr, at most n runes long, ending
// in "..." when cut.
func (v Value) Short(n int) string {
	// The repr of a value cut after n units of content (runes, bytes,
	// items) agrees with the full repr for at least its first n runes,
	// since each unit shows as one rune or more: so a 200 MB value costs
	// no more than a short one.
	budget := n
	var b strings.Builder
	v.cut(&budget).repr(&b)
	s := b.String()
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:max(n-3, 0)]) + "..."
}

// cut returns v with its content beyond *budget units dropped, spending
// the budget in repr order: a rune of a str, a byte of bytes, an element
// of a container (a dict's key runes too).
func (v Value) cut(budget *int) Value {
	switch v.kind {
	case Str:
		return Value{kind: Str, str: cutRunes(v.str, budget)}
	case Bytes, ByteArray:
		n := min(len(v.str), max(*budget, 0))
		*budget -= n
		return Value{kind: v.kind, str: v.str[:n]}
	case List, Tuple, Dict:
		c := Value{kind: v.kind}
		for i, e := range v.items {
			if *budget <= 0 {
				break
			}
			*budget--
			if v.kind == Dict {
				c.keys = append(c.keys, cutRunes(v.keys[i], budget))
			}
			c.items = append(c.items, e.cut(budget))
		}
		return c
	}
	*budget--
	return v
}

// cutRunes returns the first *budget runes of s, spending them.
func cutRunes(s string, budget *int) string {
	i := 0
	for i < len(s) && *budget > 0 {
		_, n := utf8.DecodeRuneInString(s[i:])
		i += n
		*budget--
	}
	return s[:i]
}

// A pyStyle says how writePython spells a value.
type pyStyle struct {
	// literal asks for source that rebuilds the value exactly on any
	// board: ASCII only, exact floats, long strings split in chunks.
	// Otherwise the text is a repr for people.
	literal   bool
	bytearray string // what to call to build a bytearray
}

var reprStyle = pyStyle{bytearray: "bytearray"}

func (v Value) repr(b *strings.Builder) { v.writePython(b, reprStyle) }

// writePython writes v as Python source in the given style.
func (v Value) writePython(b *strings.Builder, st pyStyle) {
	switch v.kind {
	case None:
		b.WriteString("None")
	case Bool:
		if v.Bool() {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case Int:
		b.WriteString(itoa(v.Int()))
	case Float:
		if st.literal {
			b.WriteString(floatLiteral(v.Float()))
		} else {
			b.WriteString(pyFloatRepr(v.Float()))
		}
	case Str:
		if st.literal {
			chunkedLiteral(b, v.str, false)
		} else {
			pysource.WriteStr(b, v.str, false)
		}
	case Bytes, ByteArray:
		if v.kind == ByteArray {
			b.WriteString(st.bytearray + "(")
		}
		if st.literal {
			chunkedLiteral(b, v.str, true)
		} else {
			b.WriteString(pysource.Bytes([]byte(v.str)))
		}
		if v.kind == ByteArray {
			b.WriteString(")")
		}
	case List, Tuple:
		open, close := "[", "]"
		if v.kind == Tuple {
			open, close = "(", ")"
		}
		b.WriteString(open)
		for i, e := range v.items {
			if i > 0 {
				b.WriteString(", ")
			}
			e.writePython(b, st)
		}
		if v.kind == Tuple && len(v.items) == 1 {
			b.WriteString(",")
		}
		b.WriteString(close)
	case Dict:
		b.WriteString("{")
		for i, k := range v.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			Value{kind: Str, str: k}.writePython(b, st)
			b.WriteString(": ")
			v.items[i].writePython(b, st)
		}
		b.WriteString("}")
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
