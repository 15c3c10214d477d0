// Package store owns the values that %store keeps: their typed model, the
// mapping between that model and Go values (the host interpreter) and
// Python values (the board), and the one JSON file that keeps them across
// kernel restarts, written atomically under a file lock.
//
// It knows nothing of Jupyter, boards or the interpreter: package boardpy
// holds the programs that run on a board (the %store magic in package
// magics runs them), and this package parses what they print.
//
// # Values
//
// A Value is an immutable tree of these kinds:
//
//	Kind       Python (board)          Go (host, Value.Go)        accepted by FromGo
//	None       None                    nil                        nil, nil interface
//	Bool       bool                    bool                       bool
//	Int        int in int64 range      int                        every integer kind within int64
//	Float      float (inf, nan too)    float64                    float32, float64
//	Str        str                     string                     string (valid UTF-8)
//	Bytes      bytes                   []byte                     []byte, [N]byte
//	ByteArray  bytearray               []byte                     (from the board only)
//	List       list                    []T or []any               slices and arrays
//	Tuple      tuple                   []T or []any               (from the board only)
//	Dict       dict with str keys      map[string]T or            maps with string keys
//	                                   map[string]any
//
// A list, tuple or dict becomes []T or map[string]T when all its elements
// convert to the same Go type T ([]int, []string, [][]byte,
// map[string][]float64...), and []any or map[string]any otherwise, or when
// it is empty or holds a None.
//
// Round trips: board -> store -> board is exact for every kind, tuple and
// bytearray included (dict key order is kept where the board keeps it;
// MicroPython's dicts do not). Go -> store -> Go is exact for string, int,
// float64, bool, nil, []byte and the []T / map[string]T / []any /
// map[string]any built from them; other Go types collapse as the table
// says (int32 comes back int, []any{1, 2} comes back []int, an empty []int
// comes back []any{}). Store -> Go -> store turns a tuple into a list and a
// bytearray into bytes, since Go has one slice type for each. Python ints
// beyond int64 are refused with an error saying so, as are Go uint64
// values above MaxInt64. A Go string that is not valid UTF-8 is refused
// (Python's str cannot hold it); store it as []byte.
//
// A value cannot nest more than 100 containers deep; this bounds the
// recursion that a list containing itself would cause.
//
// # The board
//
// boardpy.Dump runs a program on the board that prints variables in an
// ASCII-only, line-based encoding between the marker lines DumpBegin and
// DumpEnd, which ParsePythonDump reads back; PythonDefine and
// Value.PythonLiteral write the assignments that rebuild values on the
// board (boardpy.Define runs them). Both sides run on MicroPython 1.9 and
// later and on CPython 3, and any byte values and any Unicode survive,
// since neither the raw REPL's 0x04 framing nor a UTF-8 decoder ever sees
// a byte outside printable ASCII. Floats travel as their exact bits. The
// dump refuses, with an error naming the Python type, anything else (a
// socket, a function, a dict with int keys).
//
// # The file
//
// The store is one JSON file (DefaultPath: $IOTKERNEL_STORE, else
// $XDG_DATA_HOME/iotkernel/store.json, else
// ~/.local/share/iotkernel/store.json, by the rule of internal/userfile),
// human-readable:
//
//	{
//	  "version": 2,
//	  "index": {
//	    "ip": {"type":"str","go":"string","short":"'192.168.1.5'"},
//	    "pins": {"type":"list","go":"[]int","short":"[4, 5]"}
//	  },
//	  "values": {
//	    "ip": {"str": "192.168.1.5"},
//	    "pins": {"list": [
//	      {"int": 4},
//	      {"int": 5}
//	    ]}
//	  }
//	}
//
// The index comes first and is all that a listing reads, so a 200 MB value
// costs a listing nothing; values are read when restored. A version 1
// file (no index) is listed by reading it whole, and gains its index with
// the next change; whoever edits values by hand should drop the index too.
//
// Every operation re-reads the file under a flock(2) lock on the sidecar
// PATH.lock (shared to read, exclusive to change), so kernels sharing a
// file never lose each other's updates; changes are written to a temporary
// file in the same directory, synced, renamed over the store and the
// directory synced, so that kill -9 at any moment leaves a file that
// loads. A file that does not parse is never overwritten: it is renamed to
// PATH.corrupt-TIME, reported (*CorruptError, from Open or
// Store.Warnings), and the store starts empty. A file with a newer
// version is refused (*VersionError) and left alone.
//
// A symlink at the store path is followed: its target is rewritten and the
// link stays. A read-only store file (no write bit, or not writable by this
// user) can be read and listed, and changing it is an error that leaves it
// untouched. A path that holds a FIFO, a device or a directory is refused
// before anything opens it.
package store
