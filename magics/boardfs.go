package magics

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/adler32"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/iotkernel/iotkernel/pysource"
)

// Board files travel through Exec as Python snippets that use nothing
// beyond what every port has: open, os.listdir and print, and os.stat
// where the port has it (the micro:bit's flat filesystem has only
// os.size). Data goes up as ASCII-only literals (base64 through binascii
// when the board has it, else bytes literals with \x escapes, whichever is
// shorter for the chunk) and comes down as base64 or, without binascii,
// hex built by hand, so no byte outside printable ASCII crosses the raw
// REPL. Each file is verified by a hash the board computes: SHA-256 where
// it has hashlib, else Adler-32 in plain Python, which the host computes
// too.
//
// A micro:bit has about 9 KB of free heap, in which the raw REPL holds a
// snippet's source while it compiles it: a snippet gets only the helpers
// it uses (pyPrelude), written tersely, and uploads go in chunks sized to
// the board's free memory.

// A pyHelper is one definition the snippets share, a global prefixed _ik_
// that pyCleanup removes.
type pyHelper struct {
	name string
	code string
}

// pyHelpers in the order they are defined; each uses only those before it.
var pyHelpers = []pyHelper{
	// _ik_mod imports a module by its name or, as on ports before 1.20,
	// by its u-prefixed one; None when the port has neither.
	{"_ik_mod", `def _ik_mod(n):
 for m in (n, 'u' + n):
  try:
   return __import__(m)
  except ImportError:
   pass
`},
	{"_ik_os", `_ik_os = _ik_mod('os')
`},
	{"_ik_isdir", `def _ik_isdir(st):
 return st[0] & 0x4000 != 0
`},
	{"_ik_join", `def _ik_join(d, n):
 if not d:
  return n
 if d[-1] == '/':
  return d + n
 return d + '/' + n
`},
	{"_ik_hexs", `def _ik_hexs(bs):
 return ''.join(['%02x' % c for c in bs])
`},
	{"_ik_hasher", `def _ik_hasher():
 try:
  return _ik_mod('hashlib').sha256()
 except Exception:
  return None
`},
	{"_ik_sum", `def _ik_sum(h, ad, d):
 if h is not None:
  h.update(d)
  return ad
 a, b = ad
 for c in d:
  a = (a + c) % 65521
  b = (b + a) % 65521
 return (a, b)
`},
	{"_ik_digest", `def _ik_digest(h, ad):
 if h is not None:
  return 'sha256 ' + _ik_hexs(h.digest())
 return 'adler32 %04x%04x' % (ad[1], ad[0])
`},
	{"_ik_hash", `def _ik_hash(p):
 h = _ik_hasher()
 ad = (1, 0)
 f = open(p, 'rb')
 try:
  while True:
   d = f.read(512)
   if not d:
    break
   ad = _ik_sum(h, ad, d)
 finally:
  f.close()
 return _ik_digest(h, ad)
`},
	// _ik_stat is ('d', 0) for a directory, ('f', size) for a file, None
	// for nothing. Without os.stat (the micro:bit) every name is a file
	// and "" the one directory.
	{"_ik_stat", `def _ik_stat(p):
 if not p:
  return ('d', 0)
 st = getattr(_ik_os, 'stat', None)
 try:
  if st is None:
   return ('f', _ik_os.size(p))
  st = st(p)
 except OSError:
  return None
 if _ik_isdir(st):
  return ('d', 0)
 return ('f', st[6])
`},
}

// pyPrelude returns the definitions of the helpers that code uses, and of
// those that they use. A helper uses only helpers listed before it, so one
// pass from the last to the first finds them all.
func pyPrelude(code string) string {
	need := make([]bool, len(pyHelpers))
	for i := len(pyHelpers) - 1; i >= 0; i-- {
		if mentions(code, pyHelpers[i].name) {
			need[i] = true
			code += pyHelpers[i].code
		}
	}
	var b strings.Builder
	for i, h := range pyHelpers {
		if need[i] {
			b.WriteString(h.code)
		}
	}
	return b.String()
}

// mentions reports whether code uses the identifier name.
func mentions(code, name string) bool {
	for i := 0; ; {
		j := strings.Index(code[i:], name)
		if j < 0 {
			return false
		}
		end := i + j + len(name)
		if end == len(code) || !isIdentByte(code[end]) {
			if start := i + j; start == 0 || !isIdentByte(code[start-1]) {
				return true
			}
		}
		i = end
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// pyCleanup deletes the helpers and the transfers' globals.
const pyCleanup = `for _ik_n in [n for n in globals() if n.startswith('_ik_') and n != '_ik_n']:
 del globals()[_ik_n]
globals().pop('_ik_n', None)
`

// runPy runs code on b and returns what it printed. The board's traceback
// travels in the returned *transport.ExecError, so stderr is dropped.
func runPy(ctx context.Context, b Board, code string) (string, error) {
	var out strings.Builder
	err := b.Exec(ctx, code, &out, io.Discard)
	return out.String(), err
}

// withPrelude runs body after the helpers it uses and removes every _ik_
// name afterwards, in one Exec, or in a second one when body raised.
func withPrelude(ctx context.Context, b Board, body string) (string, error) {
	out, err := runPy(ctx, b, pyPrelude(body)+body+pyCleanup)
	if err != nil {
		cleanup(ctx, b)
	}
	return out, err
}

// fileHash is a hash as the board reports it: "sha256 HEX" or
// "adler32 HEX".
type fileHash string

// hashOf computes data's hash with the algorithm of like.
func hashOf(like fileHash, data []byte) fileHash {
	if strings.HasPrefix(string(like), "adler32 ") {
		return fileHash(fmt.Sprintf("adler32 %08x", adler32.Checksum(data)))
	}
	sum := sha256.Sum256(data)
	return fileHash("sha256 " + hex.EncodeToString(sum[:]))
}

// boardStat is what the board says about a path.
type boardStat struct {
	exists, dir bool
	size        int64
	hash        fileHash // set when asked for and the path is a file
}

// statBoard stats path on b; with hashIfSize >= 0, it also hashes the
// file when its size is hashIfSize (to skip copying an unchanged file).
func statBoard(ctx context.Context, b Board, path string, hashIfSize int64) (boardStat, error) {
	body := fmt.Sprintf(`_ik_p = %s
_ik_s = _ik_stat(_ik_p)
if _ik_s is None:
 print('stat=n')
else:
 print('stat=%%s %%d' %% _ik_s)
`, pysource.Str(path))
	if hashIfSize >= 0 {
		body += fmt.Sprintf(` if _ik_s[0] == 'f' and _ik_s[1] == %d:
  print('hash=' + _ik_hash(_ik_p))
`, hashIfSize)
	}
	out, err := withPrelude(ctx, b, body)
	if err != nil {
		return boardStat{}, err
	}
	kv := parseKeyValues(out)
	var st boardStat
	switch s := kv["stat"]; {
	case s == "n":
	case strings.HasPrefix(s, "d "):
		st.exists, st.dir = true, true
	case strings.HasPrefix(s, "f "):
		n, err := strconv.ParseInt(s[2:], 10, 64)
		if err != nil {
			return st, fmt.Errorf("stat :%s: unexpected answer %q", path, s)
		}
		st.exists, st.size, st.hash = true, n, fileHash(kv["hash"])
	default:
		return st, fmt.Errorf("stat :%s: unexpected answer from the board %q", path, short(out, 200))
	}
	return st, nil
}

// boardEntry is one entry of a board directory.
type boardEntry struct {
	name string
	dir  bool
	size int64
}

// listBoard lists a board directory; a file lists as itself. missing is
// true when path does not exist.
func listBoard(ctx context.Context, b Board, path string) (entries []boardEntry, isDir, missing bool, err error) {
	body := fmt.Sprintf(`_ik_p = %s
_ik_s = _ik_stat(_ik_p)
if _ik_s is None:
 print('missing')
elif _ik_s[0] == 'f':
 print('file')
 print('f %%d %%s' %% (_ik_s[1], _ik_p))
else:
 print('dir')
 for _ik_n in sorted(_ik_os.listdir(_ik_p) if _ik_p else _ik_os.listdir()):
  _ik_s = _ik_stat(_ik_join(_ik_p, _ik_n))
  print('%%s %%d %%s' %% (_ik_s[0], _ik_s[1], _ik_n))
`, pysource.Str(path))
	out, err := withPrelude(ctx, b, body)
	if err != nil {
		return nil, false, false, err
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	switch lines[0] {
	case "missing":
		return nil, false, true, nil
	case "file", "dir":
	default:
		return nil, false, false, fmt.Errorf("ls :%s: unexpected answer from the board %q", path, short(out, 200))
	}
	for _, l := range lines[1:] {
		kind, rest, _ := strings.Cut(l, " ")
		size, name, _ := strings.Cut(rest, " ")
		n, err := strconv.ParseInt(size, 10, 64)
		if err != nil || (kind != "d" && kind != "f") {
			return nil, false, false, fmt.Errorf("ls :%s: unexpected line from the board %q", path, l)
		}
		entries = append(entries, boardEntry{name: name, dir: kind == "d", size: n})
	}
	return entries, lines[0] == "dir", false, nil
}

// boardJoin joins a board directory and a name as the snippets do.
func boardJoin(dir, name string) string {
	switch {
	case dir == "":
		return name
	case strings.HasSuffix(dir, "/"):
		return dir + name
	}
	return dir + "/" + name
}

// readBoardFile downloads path from b, reporting progress (bytes of the
// file received so far) to onProgress, and verifies it by hash.
func readBoardFile(ctx context.Context, b Board, path string, size int64, onProgress func(int64)) ([]byte, error) {
	// Without binascii the hex of a chunk is built from one string per
	// byte: small chunks keep that within a micro:bit's heap.
	body := fmt.Sprintf(`def _ik_get(p):
 e = getattr(_ik_mod('binascii'), 'b2a_base64', None)
 h = _ik_hasher()
 ad = (1, 0)
 f = open(p, 'rb')
 try:
  while True:
   d = f.read(768 if e else 64)
   if not d:
    break
   ad = _ik_sum(h, ad, d)
   if e is None:
    print('H' + _ik_hexs(d))
   else:
    print('B' + e(d).decode().strip())
 finally:
  f.close()
 print('hash=' + _ik_digest(h, ad))
_ik_get(%s)
`, pysource.Str(path))
	lw := &lineWriter{onLine: func(line string) error { return nil }}
	var data bytes.Buffer
	var sum fileHash
	lw.onLine = func(line string) error {
		var chunk []byte
		var err error
		switch {
		case strings.HasPrefix(line, "B"):
			chunk, err = base64.StdEncoding.DecodeString(line[1:])
		case strings.HasPrefix(line, "H"):
			chunk, err = hex.DecodeString(line[1:])
		case strings.HasPrefix(line, "hash="):
			sum = fileHash(line[len("hash="):])
			return nil
		default:
			return nil
		}
		if err != nil {
			return fmt.Errorf("read :%s: bad data line from the board: %v", path, err)
		}
		data.Write(chunk)
		if onProgress != nil {
			onProgress(int64(data.Len()))
		}
		return nil
	}
	err := b.Exec(ctx, pyPrelude(body)+body+pyCleanup, lw, io.Discard)
	if err == nil {
		err = lw.Flush()
	} else {
		cleanup(ctx, b)
	}
	if err != nil {
		return nil, err
	}
	if sum == "" {
		return nil, fmt.Errorf("read :%s: the board sent no hash: the copy is incomplete", path)
	}
	if got := hashOf(sum, data.Bytes()); got != sum {
		return nil, fmt.Errorf("read :%s: hash mismatch: the board has %s, %d bytes arrived with %s; try again", path, sum, data.Len(), got)
	}
	return data.Bytes(), nil
}

// lineWriter calls onLine for each complete line written to it; the
// first error from onLine is kept and returned by Flush.
type lineWriter struct {
	buf    []byte
	onLine func(string) error
	err    error
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimRight(string(w.buf[:i]), "\r")
		w.buf = w.buf[i+1:]
		if err := w.onLine(line); err != nil && w.err == nil {
			w.err = err
		}
	}
	return len(p), nil
}

// Flush handles a last line without a newline and returns the first error.
func (w *lineWriter) Flush() error {
	if len(w.buf) > 0 {
		if err := w.onLine(string(w.buf)); err != nil && w.err == nil {
			w.err = err
		}
		w.buf = nil
	}
	return w.err
}

// writeBoardFile uploads data to path on b in chunks of at most chunk
// bytes (one Exec each; fewer on a board with little free memory),
// appending when appendTo, reporting progress, and verifies the result by
// hash (by size when appending).
func writeBoardFile(ctx context.Context, b Board, path string, data []byte, appendTo bool, chunk int, onProgress func(int64)) (err error) {
	mode := "wb"
	if appendTo {
		mode = "ab"
	}
	// The helpers the last Exec uses are defined by the first.
	finish := fmt.Sprintf(`_ik_f.close()
print('hash=' + _ik_hash(%[1]s))
print('size=%%d' %% _ik_stat(%[1]s)[1])
`, pysource.Str(path)) + pyCleanup
	// open raises ValueError for a mode the port lacks (the micro:bit
	// cannot append).
	start := fmt.Sprintf(`try:
 _ik_f = open(%s, %s)
 print('open=ok')
except ValueError:
 print('open=mode')
except OSError as _ik_e:
 print('open=%%s' %% _ik_e)
_ik_b = getattr(_ik_mod('binascii'), 'a2b_base64', None)
print('b64=%%d' %% (_ik_b is not None))
try:
 import gc as _ik_gc
 _ik_gc.collect()
 print('free=%%d' %% _ik_gc.mem_free())
except Exception:
 pass
`, pysource.Str(path), pysource.Str(mode))
	out, err := runPy(ctx, b, pyPrelude(start+finish)+start)
	if err != nil {
		cleanup(ctx, b)
		return err
	}
	kv := parseKeyValues(out)
	if kv["open"] != "ok" {
		cleanup(ctx, b)
		switch kv["open"] {
		case "":
			return fmt.Errorf("write :%s: unexpected answer from the board %q", path, short(out, 200))
		case "mode":
			return fmt.Errorf("write :%s: this board cannot open a file in mode %q (its port lacks it): write the whole file instead", path, mode)
		}
		return fmt.Errorf("write :%s: the board cannot open it: %s (does its directory exist? %%mkdir :DIR makes one)", path, kv["open"])
	}
	defer func() {
		if err != nil {
			cleanup(ctx, b)
		}
	}()
	b64 := kv["b64"] == "1"
	chunk = uploadChunk(chunk, kv["free"], b64)
	for off := 0; off < len(data); off += chunk {
		p := data[off:min(off+chunk, len(data))]
		lit := pysource.Bytes(p)
		if b64 {
			// bytes, not str: micropython-lib's binascii.py (the
			// WebAssembly port's) decodes only bytes.
			if enc := "_ik_b(b'" + base64.StdEncoding.EncodeToString(p) + "')"; len(enc) < len(lit) {
				lit = enc
			}
		}
		if _, err := runPy(ctx, b, "_ik_f.write("+lit+")\n"); err != nil {
			return err
		}
		if onProgress != nil {
			onProgress(int64(off + len(p)))
		}
	}
	out, err = runPy(ctx, b, finish)
	if err != nil {
		return err
	}
	kv = parseKeyValues(out)
	if appendTo {
		return nil
	}
	sum := fileHash(kv["hash"])
	if sum == "" {
		return fmt.Errorf("write :%s: the board sent no hash (got %q)", path, short(out, 200))
	}
	if want := hashOf(sum, data); want != sum {
		return fmt.Errorf("write :%s: hash mismatch after the copy: the board has %s (%s bytes), the host sent %s (%d bytes); try again", path, sum, kv["size"], want, len(data))
	}
	return nil
}

// uploadChunk returns how many file bytes to send per Exec: at most limit,
// and little enough that the board, with free bytes of heap (as it
// reported them, "" when it could not), can hold the chunk's source while
// it compiles it: the source of a bytes literal is up to four times the
// chunk, base64 a third more than it, and the raw REPL's buffer grows by
// copying, so a chunk takes some ten times its size for a moment.
func uploadChunk(limit int, free string, b64 bool) int {
	n, err := strconv.Atoi(free)
	if err != nil || n <= 0 {
		return limit
	}
	per := 16 // bytes of heap per byte of chunk, with a margin
	if b64 {
		per = 8
	}
	return min(limit, (n/per)&^63+64)
}

// cleanup closes a transfer's file on the board and removes its names,
// even when ctx is done (the board was interrupted and is idle again).
func cleanup(ctx context.Context, b Board) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	runPy(ctx, b, "try:\n    _ik_f.close()\nexcept Exception:\n    pass\n"+pyCleanup)
}
