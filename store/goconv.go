package store

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/iotkernel/iotkernel/pysource"
)

// A TypeError reports a Go or Python value that the store cannot hold.
type TypeError struct {
	Type string // the offending type, as its language spells it ("chan int", "socket")
	Path string // where it sits inside the value ("[2]['k']"), "" at the top
	Why  string // what is wrong, if not the type itself
}

const storable = "only strings, numbers, bools, nil, []byte, slices and map[string]... can be stored"

func (e *TypeError) Error() string {
	at := ""
	if e.Path != "" {
		at = " at " + e.Path
	}
	return "cannot store " + e.Type + at + ": " + e.why()
}

func (e *TypeError) why() string {
	if e.Why == "" {
		return storable
	}
	return e.Why
}

// FromGo converts a Go value into a Value: strings (valid UTF-8), all
// integer kinds within int64, float32 and float64, bool, nil, []byte,
// slices and arrays of those, maps with string keys, and interfaces
// holding any of these. Named types are converted by their underlying
// kind. Anything else (channels, funcs, structs, pointers, complex
// numbers, maps with other keys) is a *TypeError naming the type.
func FromGo(x any) (Value, error) {
	return FromReflect(reflect.ValueOf(x))
}

// FromReflect is FromGo for a reflect.Value, as an interpreter hands out
// its variables. The invalid reflect.Value is nil.
func FromReflect(rv reflect.Value) (Value, error) {
	return fromReflect(rv, "", 0)
}

func fromReflect(rv reflect.Value, path string, depth int) (Value, error) {
	if !rv.IsValid() {
		return Value{}, nil
	}
	if depth > maxDepth {
		return Value{}, &TypeError{Type: goTypeName(rv.Type()), Path: path,
			Why: fmt.Sprintf("nested more than %d levels deep (does it contain itself?)", maxDepth)}
	}
	bad := func(why string) (Value, error) {
		return Value{}, &TypeError{Type: goTypeName(rv.Type()), Path: path, Why: why}
	}
	switch rv.Kind() {
	case reflect.Interface:
		if rv.IsNil() {
			return Value{}, nil
		}
		return fromReflect(rv.Elem(), path, depth)
	case reflect.Bool:
		return BoolValue(rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return IntValue(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return bad(fmt.Sprintf("%d is out of int64 range", u))
		}
		return IntValue(int64(u)), nil
	case reflect.Float32, reflect.Float64:
		return FloatValue(rv.Float()), nil
	case reflect.String:
		s := rv.String()
		if !utf8.ValidString(s) {
			return bad(fmt.Sprintf("%q is not valid UTF-8 (store it as []byte)", s))
		}
		return StrValue(s), nil
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			if rv.Kind() == reflect.Slice {
				return BytesValue(rv.Bytes()), nil
			}
			b := make([]byte, rv.Len())
			reflect.Copy(reflect.ValueOf(b), rv)
			return BytesValue(b), nil
		}
		elems := make([]Value, rv.Len())
		for i := range elems {
			e, err := fromReflect(rv.Index(i), fmt.Sprintf("%s[%d]", path, i), depth+1)
			if err != nil {
				return Value{}, err
			}
			elems[i] = e
		}
		return Value{kind: List, items: elems}, nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return bad("map keys must be strings")
		}
		keys := make([]string, 0, rv.Len())
		vals := make(map[string]reflect.Value, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			k := it.Key().String()
			if !utf8.ValidString(k) {
				return bad(fmt.Sprintf("key %q is not valid UTF-8", k))
			}
			keys = append(keys, k)
			vals[k] = it.Value()
		}
		sort.Strings(keys)
		v := Value{kind: Dict, keys: keys, items: make([]Value, len(keys))}
		for i, k := range keys {
			e, err := fromReflect(vals[k], path+"["+pyQuote(k)+"]", depth+1)
			if err != nil {
				return Value{}, err
			}
			v.items[i] = e
		}
		return v, nil
	}
	return bad("")
}

// goTypeName spells a Go type as a user writes it.
func goTypeName(t reflect.Type) string {
	return strings.ReplaceAll(t.String(), "interface {}", "any")
}

func pyQuote(s string) string {
	var b strings.Builder
	pysource.WriteStr(&b, s, false)
	return b.String()
}

var anyType = reflect.TypeOf((*any)(nil)).Elem()

// Go returns v as a Go value:
//
//	None      nil
//	bool      bool
//	int       int (int64 where int is 32 bits and the value does not fit)
//	float     float64
//	str       string
//	bytes     []byte (a fresh copy)
//	bytearray []byte (a fresh copy)
//	list      []T when every element converts to the same type T, else []any
//	tuple     as list
//	dict      map[string]T when every value converts to the same type T, else map[string]any
//
// Empty lists and dicts give []any{} and map[string]any{}; a None element
// makes a list []any.
func (v Value) Go() any {
	switch v.kind {
	case Bool:
		return v.Bool()
	case Int:
		i := v.Int()
		if int64(int(i)) == i {
			return int(i)
		}
		return i
	case Float:
		return v.Float()
	case Str:
		return v.str
	case Bytes, ByteArray:
		return []byte(v.str)
	case List, Tuple:
		elems, t := v.goElems()
		s := reflect.MakeSlice(reflect.SliceOf(t), len(elems), len(elems))
		for i, e := range elems {
			if e != nil {
				s.Index(i).Set(reflect.ValueOf(e))
			}
		}
		return s.Interface()
	case Dict:
		elems, t := v.goElems()
		m := reflect.MakeMapWithSize(reflect.MapOf(reflect.TypeOf(""), t), len(elems))
		for i, e := range elems {
			ev := reflect.Zero(t)
			if e != nil {
				ev = reflect.ValueOf(e)
			}
			m.SetMapIndex(reflect.ValueOf(v.keys[i]), ev)
		}
		return m.Interface()
	}
	return nil
}

// goElems converts v's elements and finds the type they share, or any.
func (v Value) goElems() ([]any, reflect.Type) {
	elems := make([]any, len(v.items))
	var t reflect.Type
	for i, e := range v.items {
		elems[i] = e.Go()
		et := reflect.TypeOf(elems[i])
		switch {
		case et == nil:
			t = anyType
		case i == 0:
			t = et
		case et != t:
			t = anyType
		}
	}
	if t == nil {
		t = anyType
	}
	return elems, t
}

// GoType returns the type of v.Go() as Go spells it ("[]int",
// "map[string]any", "nil").
func (v Value) GoType() string {
	t := reflect.TypeOf(v.Go())
	if t == nil {
		return "nil"
	}
	return goTypeName(t)
}
