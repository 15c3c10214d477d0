package store

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
)

// fileVersion is the "version" of the store files this package writes. A
// file with a higher version is refused, never moved aside or rewritten, so
// that an older kernel cannot destroy a newer kernel's store. Version 2
// added the "index" in front of the values; version 1 files are read too.
const fileVersion = 2

// indexEntry is what a listing shows of one value, kept in the file's
// "index" ahead of the values so that listing never reads a value.
type indexEntry struct {
	Type   string `json:"type"`
	GoType string `json:"go"`
	Short  string `json:"short"`
}

// MarshalJSON encodes v as the store file does: an object with one key
// naming the kind,
//
//	{"none": null}  {"bool": true}  {"int": -42}  {"float": 0.5}
//	{"float": "nan"} / "inf" / "-inf"
//	{"str": "text"}  {"bytes": "00ff"}  {"bytearray": "00ff"}  (hex)
//	{"list": [...]}  {"tuple": [...]}  {"dict": {"key": {...}, ...}}
//
// Dict keys keep their order.
func (v Value) MarshalJSON() ([]byte, error) {
	if d := v.depth(); d > maxDepth {
		return nil, fmt.Errorf("value nested %d levels deep, more than %d", d, maxDepth)
	}
	var b bytes.Buffer
	v.appendJSON(&b, "")
	return b.Bytes(), nil
}

// appendJSON writes v; a non-empty indent puts each element of a container
// on its own line, for people reading the file.
func (v Value) appendJSON(b *bytes.Buffer, indent string) {
	quote := func(s string) {
		q, _ := json.Marshal(s) // a string always marshals
		b.Write(q)
	}
	b.WriteString(`{"` + jsonTag(v.kind) + `": `)
	switch v.kind {
	case None:
		b.WriteString("null")
	case Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case Int:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case Float:
		f := v.Float()
		switch {
		case math.IsNaN(f):
			b.WriteString(`"nan"`)
		case math.IsInf(f, 0):
			b.WriteString(`"` + pyFloatRepr(f) + `"`)
		default:
			b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		}
	case Str:
		quote(v.str)
	case Bytes, ByteArray:
		b.WriteString(`"` + hex.EncodeToString([]byte(v.str)) + `"`)
	case List, Tuple, Dict:
		open, close := "[", "]"
		if v.kind == Dict {
			open, close = "{", "}"
		}
		b.WriteString(open)
		inner := ""
		if indent != "" {
			inner = indent + "  "
		}
		for i, e := range v.items {
			if i > 0 {
				b.WriteString(",")
				if indent == "" {
					b.WriteString(" ")
				}
			}
			if indent != "" {
				b.WriteString("\n" + inner)
			}
			if v.kind == Dict {
				quote(v.keys[i])
				b.WriteString(": ")
			}
			e.appendJSON(b, inner)
		}
		if indent != "" && len(v.items) > 0 {
			b.WriteString("\n" + indent)
		}
		b.WriteString(close)
	}
	b.WriteString("}")
}

// jsonTag is the key that marks kind k in the store file: its Python name,
// except for None.
func jsonTag(k Kind) string {
	if k == None {
		return "none"
	}
	return k.String()
}

func jsonKind(tag string) (Kind, bool) {
	for k := None; k <= Dict; k++ {
		if jsonTag(k) == tag {
			return k, true
		}
	}
	return 0, false
}

// UnmarshalJSON decodes what MarshalJSON writes, strictly: one known key
// per object, ints within int64, valid hex, no repeated dict keys.
func (v *Value) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	x, err := decodeValue(dec, 0)
	if err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("store: trailing data after value")
	}
	*v = x
	return nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return fmt.Errorf("store: got %v, want %v", t, want)
	}
	return nil
}

func decodeValue(dec *json.Decoder, depth int) (Value, error) {
	if depth > maxDepth {
		return Value{}, fmt.Errorf("store: value nested more than %d levels deep", maxDepth)
	}
	if err := expectDelim(dec, '{'); err != nil {
		return Value{}, err
	}
	t, err := dec.Token()
	if err != nil {
		return Value{}, err
	}
	tag, _ := t.(string)
	kind, ok := jsonKind(tag)
	if !ok {
		return Value{}, fmt.Errorf("store: unknown value tag %.20q", tag)
	}
	var v Value
	switch kind {
	case List, Tuple:
		if err := expectDelim(dec, '['); err != nil {
			return Value{}, err
		}
		v.kind = kind
		for dec.More() {
			e, err := decodeValue(dec, depth+1)
			if err != nil {
				return Value{}, err
			}
			v.items = append(v.items, e)
		}
		if err := expectDelim(dec, ']'); err != nil {
			return Value{}, err
		}
	case Dict:
		if err := expectDelim(dec, '{'); err != nil {
			return Value{}, err
		}
		v.kind = Dict
		seen := make(map[string]bool)
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return Value{}, err
			}
			k, _ := t.(string)
			if seen[k] {
				return Value{}, fmt.Errorf("store: dict key %.30q twice", k)
			}
			seen[k] = true
			e, err := decodeValue(dec, depth+1)
			if err != nil {
				return Value{}, err
			}
			v.keys = append(v.keys, k)
			v.items = append(v.items, e)
		}
		if err := expectDelim(dec, '}'); err != nil {
			return Value{}, err
		}
	default:
		t, err := dec.Token()
		if err != nil {
			return Value{}, err
		}
		if v, err = scalarFromJSON(kind, t); err != nil {
			return Value{}, err
		}
	}
	return v, expectDelim(dec, '}')
}

func scalarFromJSON(kind Kind, t json.Token) (Value, error) {
	bad := func() (Value, error) {
		return Value{}, fmt.Errorf("store: bad %s value %.30v", jsonTag(kind), t)
	}
	switch x := t.(type) {
	case nil:
		if kind == None {
			return Value{}, nil
		}
	case bool:
		if kind == Bool {
			return BoolValue(x), nil
		}
	case json.Number:
		switch kind {
		case Int:
			i, err := strconv.ParseInt(string(x), 10, 64)
			if err != nil {
				return bad()
			}
			return IntValue(i), nil
		case Float:
			f, err := strconv.ParseFloat(string(x), 64)
			if err != nil {
				return bad()
			}
			return FloatValue(f), nil
		}
	case string:
		switch kind {
		case Float:
			switch x {
			case "nan":
				return FloatValue(math.NaN()), nil
			case "inf":
				return FloatValue(math.Inf(1)), nil
			case "-inf":
				return FloatValue(math.Inf(-1)), nil
			}
		case Str:
			return Value{kind: Str, str: x}, nil
		case Bytes, ByteArray:
			b, err := hex.DecodeString(x)
			if err != nil {
				return bad()
			}
			return Value{kind: kind, str: string(b)}, nil
		}
	}
	return bad()
}

// encodeFile renders the whole store file.
func encodeFile(values map[string]Value) []byte {
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteString("{\n  \"version\": " + strconv.Itoa(fileVersion) + ",\n  \"index\": {")
	for i, name := range names {
		if i > 0 {
			b.WriteString(",")
		}
		v := values[name]
		q, _ := json.Marshal(name)
		b.WriteString("\n    ")
		b.Write(q)
		b.WriteString(": ")
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // keep a repr's <, > and & readable
		enc.Encode(indexEntry{Type: v.Type(), GoType: v.GoType(), Short: v.Short(shortLen)})
		b.Truncate(b.Len() - 1) // Encode's newline
	}
	if len(names) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("},\n  \"values\": {")
	for i, name := range names {
		if i > 0 {
			b.WriteString(",")
		}
		q, _ := json.Marshal(name)
		b.WriteString("\n    ")
		b.Write(q)
		b.WriteString(": ")
		values[name].appendJSON(&b, "    ")
	}
	if len(names) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("}\n}\n")
	return b.Bytes()
}

// A VersionError reports a store file written by a newer kernel.
type VersionError struct {
	Path    string
	Version int
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("store %s has version %d; this kernel reads version %d (upgrade the kernel, or set IOTKERNEL_STORE to another file)", e.Path, e.Version, fileVersion)
}

// decodeFile parses a store file. A *VersionError means the file is sound
// but too new; any other error means it is corrupt.
func decodeFile(path string, data []byte) (map[string]Value, error) {
	var top struct {
		Version *int                       `json:"version"`
		Index   map[string]indexEntry      `json:"index"` // for listings only
		Values  map[string]json.RawMessage `json:"values"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&top); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the top-level object")
	}
	switch {
	case top.Version == nil:
		return nil, errors.New(`no "version"`)
	case *top.Version > fileVersion:
		return nil, &VersionError{Path: path, Version: *top.Version}
	case *top.Version < 1:
		return nil, fmt.Errorf("bad version %d", *top.Version)
	}
	values := make(map[string]Value, len(top.Values))
	for name, raw := range top.Values {
		if !ValidName(name) {
			return nil, fmt.Errorf("bad name %.40q", name)
		}
		var v Value
		if err := v.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("value of %s: %w", name, err)
		}
		values[name] = v
	}
	return values, nil
}

// readIndex reads a store file's "version" and "index", which come before
// its values, and stops there: a listing costs the same whatever the size
// of the values. ok is false when the file has no index ahead of its
// values (a version 1 file, a hand edit) or does not parse: the caller
// then reads the whole file.
func readIndex(path string, r io.Reader) (entries []Entry, ok bool, err error) {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false, nil
	}
	version := 0
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, false, nil
		}
		switch key {
		case "version":
			if err := dec.Decode(&version); err != nil {
				return nil, false, nil
			}
			if version > fileVersion {
				return nil, false, &VersionError{Path: path, Version: version}
			}
		case "index":
			var index map[string]indexEntry
			if version < 2 || dec.Decode(&index) != nil {
				return nil, false, nil
			}
			entries = make([]Entry, 0, len(index))
			for name, e := range index {
				entries = append(entries, Entry{Name: name, Type: e.Type, GoType: e.GoType, Short: e.Short})
			}
			sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
			return entries, true, nil
		default:
			return nil, false, nil
		}
	}
	return nil, false, nil
}
