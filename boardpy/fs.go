package boardpy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/adler32"
	"io"
	"strconv"
	"strings"

	"github.com/iotkernel/iotkernel/pysource"
)

// Board files travel through Exec as programs that use nothing beyond
// what every port has: open, os.listdir and print, and os.stat where the
// port has it (the micro:bit's flat filesystem has only os.size). Data
// goes up as ASCII-only literals (base64 through binascii when the board
// has it, else bytes literals with \x escapes, whichever is shorter for
// the chunk) and comes down as base64 or, without binascii, hex built by
// hand, so no byte outside printable ASCII crosses the raw REPL. Each
// file is verified by a hash the board computes: SHA-256 where it has
// hashlib, else Adler-32 in plain Python, which the host computes too.
// Uploads go in chunks sized to the board's free memory.

// Errors of the file operations, wrapped with the operation and path
// ("rm :lib: is a directory").
var (
	ErrNotFound = errors.New("no such file or directory on the board")
	ErrIsDir    = errors.New("is a directory")
)

// A FileHash is a hash as the board reports it: "sha256 HEX" or
// "adler32 HEX".
type FileHash string

// HashOf computes data's hash with the algorithm of like, so that it
// compares with a hash the board computed.
func HashOf(like FileHash, data []byte) FileHash {
	if strings.HasPrefix(string(like), "adler32 ") {
		return FileHash(fmt.Sprintf("adler32 %08x", adler32.Checksum(data)))
	}
	sum := sha256.Sum256(data)
	return FileHash("sha256 " + hex.EncodeToString(sum[:]))
}

// FileInfo is what the board says about a path.
type FileInfo struct {
	Exists, Dir bool
	Size        int64
	Hash        FileHash // set by Hash for a file of the size asked
}

// Join joins a board directory and a name as the board programs do.
func Join(dir, name string) string {
	switch {
	case dir == "":
		return name
	case strings.HasSuffix(dir, "/"):
		return dir + name
	}
	return dir + "/" + name
}

// Stat says whether path exists on the board, is a directory, and its
// size. "" is the board's current directory.
func Stat(ctx context.Context, ex Execer, path string) (FileInfo, error) {
	return stat(ctx, ex, path, -1)
}

// Hash is Stat, and when path is a file of size bytes also its hash, in
// the same round trip: a file of another size cannot hold the same bytes,
// so it is not read.
func Hash(ctx context.Context, ex Execer, path string, size int64) (FileInfo, error) {
	return stat(ctx, ex, path, max(size, 0))
}

func stat(ctx context.Context, ex Execer, path string, hashIfSize int64) (FileInfo, error) {
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
	out, err := withPrelude(ctx, ex, body)
	if err != nil {
		return FileInfo{}, err
	}
	kv := parseKeyValues(out)
	var st FileInfo
	switch s := kv["stat"]; {
	case s == "n":
	case strings.HasPrefix(s, "d "):
		st.Exists, st.Dir = true, true
	case strings.HasPrefix(s, "f "):
		n, err := strconv.ParseInt(s[2:], 10, 64)
		if err != nil {
			return st, fmt.Errorf("stat :%s: unexpected answer %q", path, s)
		}
		st.Exists, st.Size, st.Hash = true, n, FileHash(kv["hash"])
	default:
		return st, fmt.Errorf("stat :%s: unexpected answer from the board %q", path, short(out, 200))
	}
	return st, nil
}

// An Entry is one entry of a board directory.
type Entry struct {
	Name string
	Dir  bool
	Size int64
}

// Ls lists a board directory, sorted by name; a file lists as itself, and
// isDir says which path was. A missing path is an error wrapping
// ErrNotFound.
func Ls(ctx context.Context, ex Execer, path string) (entries []Entry, isDir bool, err error) {
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
	out, err := withPrelude(ctx, ex, body)
	if err != nil {
		return nil, false, err
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	switch lines[0] {
	case "missing":
		return nil, false, fmt.Errorf("ls :%s: %w", path, ErrNotFound)
	case "file", "dir":
	default:
		return nil, false, fmt.Errorf("ls :%s: unexpected answer from the board %q", path, short(out, 200))
	}
	for _, l := range lines[1:] {
		kind, rest, _ := strings.Cut(l, " ")
		size, name, _ := strings.Cut(rest, " ")
		n, err := strconv.ParseInt(size, 10, 64)
		if err != nil || (kind != "d" && kind != "f") {
			return nil, false, fmt.Errorf("ls :%s: unexpected line from the board %q", path, l)
		}
		entries = append(entries, Entry{Name: name, Dir: kind == "d", Size: n})
	}
	return entries, lines[0] == "dir", nil
}

// Read downloads the file at path, reporting progress (bytes received so
// far) to onProgress if not nil, and verifies it by hash. A FileLink
// board moves the bytes with its own file protocol (filelink.go).
func Read(ctx context.Context, ex Execer, path string, onProgress func(int64)) ([]byte, error) {
	if data, done, err := readLink(ctx, ex, path, onProgress); done {
		return data, err
	}
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
	var data bytes.Buffer
	var sum FileHash
	lw := &lineWriter{onLine: func(line string) error {
		var chunk []byte
		var err error
		switch {
		case strings.HasPrefix(line, "B"):
			chunk, err = base64.StdEncoding.DecodeString(line[1:])
		case strings.HasPrefix(line, "H"):
			chunk, err = hex.DecodeString(line[1:])
		case strings.HasPrefix(line, "hash="):
			sum = FileHash(line[len("hash="):])
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
	}}
	err := ex.Exec(ctx, prelude(body)+body+cleanupCode, lw, io.Discard)
	if err == nil {
		err = lw.Flush()
	} else {
		cleanup(ctx, ex)
	}
	if err != nil {
		return nil, err
	}
	if sum == "" {
		return nil, fmt.Errorf("read :%s: the board sent no hash: the copy is incomplete", path)
	}
	if got := HashOf(sum, data.Bytes()); got != sum {
		return nil, fmt.Errorf("read :%s: hash mismatch: the board has %s, %d bytes arrived with %s; try again", path, sum, data.Len(), got)
	}
	return data.Bytes(), nil
}

// WriteOptions configure Write.
type WriteOptions struct {
	// Append adds to the end of the file instead of replacing it; the
	// result is checked by size only.
	Append bool
	// Chunk is the most file bytes sent per Exec (fewer on a board with
	// little free memory); DefaultChunk when 0.
	Chunk int
	// Progress, if not nil, is told how many bytes were sent so far.
	Progress func(int64)
}

// DefaultChunk is the largest upload chunk unless WriteOptions say
// otherwise.
const DefaultChunk = 2048

// Write uploads data to the file at path, whose directory must exist, in
// chunks of one Exec each (or, on a FileLink board, with its own file
// protocol), and verifies the result by hash.
//
// A copy that arrives changed (the board's hash of the file differs from
// the host's: a byte lost or altered on a noisy line) is sent once more
// before Write gives up with ErrCorrupted, as rsync sends a file again
// that fails its check.
func Write(ctx context.Context, ex Execer, path string, data []byte, opts WriteOptions) error {
	err := write(ctx, ex, path, data, opts)
	if errors.Is(err, ErrCorrupted) && !opts.Append && ctx.Err() == nil {
		err = write(ctx, ex, path, data, opts)
	}
	return err
}

// ErrCorrupted is the error of a Write whose copy on the board differs
// from what the host sent, both times it was sent.
var ErrCorrupted = errors.New("sent twice")

// write is one attempt of Write.
func write(ctx context.Context, ex Execer, path string, data []byte, opts WriteOptions) (err error) {
	if done, err := writeLink(ctx, ex, path, data, opts); done {
		return err
	}
	limit := opts.Chunk
	if limit <= 0 {
		limit = DefaultChunk
	}
	if !opts.Append && len(data) <= min(smallWrite, limit) {
		return writeSmall(ctx, ex, path, data, opts)
	}
	mode := "wb"
	if opts.Append {
		mode = "ab"
	}
	// The helpers the last Exec uses are defined by the first.
	finish := fmt.Sprintf(`_ik_f.close()
print('hash=' + _ik_hash(%[1]s))
print('size=%%d' %% _ik_stat(%[1]s)[1])
`, pysource.Str(path)) + cleanupCode
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
	out, err := run(ctx, ex, prelude(start+finish)+start)
	if err != nil {
		cleanup(ctx, ex)
		return err
	}
	kv := parseKeyValues(out)
	if kv["open"] != "ok" {
		cleanup(ctx, ex)
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
			cleanup(ctx, ex)
		}
	}()
	b64 := kv["b64"] == "1"
	chunk := uploadChunk(limit, kv["free"], b64)
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
		if _, err := run(ctx, ex, "_ik_f.write("+lit+")\n"); err != nil {
			return err
		}
		if opts.Progress != nil {
			opts.Progress(int64(off + len(p)))
		}
	}
	out, err = run(ctx, ex, finish)
	if err != nil {
		return err
	}
	kv = parseKeyValues(out)
	if opts.Append {
		return nil
	}
	sum := FileHash(kv["hash"])
	if sum == "" {
		return fmt.Errorf("write :%s: the board sent no hash (got %q)", path, short(out, 200))
	}
	if want := HashOf(sum, data); want != sum {
		return fmt.Errorf("write :%s: hash mismatch after the copy (%w): the board has %s (%s bytes), the host sent %s (%d bytes); try again", path, ErrCorrupted, sum, kv["size"], want, len(data))
	}
	return nil
}

// smallWrite is the largest file Write sends in one program, without
// first asking the board for its free memory and whether it has binascii:
// its source, a bytes literal of at most four times the data, fits in
// the heap of the smallest board. Folders of small modules cost one
// round trip per file.
const smallWrite = 256

// writeSmall is Write of a small file in one program.
func writeSmall(ctx context.Context, ex Execer, path string, data []byte, opts WriteOptions) error {
	out, err := withPrelude(ctx, ex, fmt.Sprintf(`_ik_p = %s
try:
 _ik_f = open(_ik_p, 'wb')
except OSError as _ik_e:
 _ik_f = None
 print('open=%%s' %% _ik_e)
if _ik_f is not None:
 print('open=ok')
 try:
  _ik_f.write(%s)
 finally:
  _ik_f.close()
 print('hash=' + _ik_hash(_ik_p))
`, pysource.Str(path), pysource.Bytes(data)))
	if err != nil {
		return err
	}
	kv := parseKeyValues(out)
	switch kv["open"] {
	case "ok":
	case "":
		return fmt.Errorf("write :%s: unexpected answer from the board %q", path, short(out, 200))
	default:
		return fmt.Errorf("write :%s: the board cannot open it: %s (does its directory exist? %%mkdir :DIR makes one)", path, kv["open"])
	}
	if opts.Progress != nil {
		opts.Progress(int64(len(data)))
	}
	sum := FileHash(kv["hash"])
	if sum == "" {
		return fmt.Errorf("write :%s: the board sent no hash (got %q)", path, short(out, 200))
	}
	if want := HashOf(sum, data); want != sum {
		return fmt.Errorf("write :%s: hash mismatch after the copy (%w): the board has %s, the host sent %s (%d bytes); try again", path, ErrCorrupted, sum, want, len(data))
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

// Rm removes the file at path, or with recursive the directory and all it
// holds. A missing path is an error wrapping ErrNotFound, a directory
// without recursive one wrapping ErrIsDir.
func Rm(ctx context.Context, ex Execer, path string, recursive bool) error {
	r := 0
	if recursive {
		r = 1
	}
	out, err := withPrelude(ctx, ex, fmt.Sprintf(`def _ik_rmtree(d):
 for n in _ik_os.listdir(d):
  c = _ik_join(d, n)
  if _ik_isdir(_ik_os.stat(c)):
   _ik_rmtree(c)
  else:
   _ik_os.remove(c)
 if d not in ('', '/'):
  _ik_os.rmdir(d)
_ik_p = %s
_ik_s = _ik_stat(_ik_p)
if _ik_s is None:
 print('rm=missing')
elif _ik_s[0] == 'f':
 _ik_os.remove(_ik_p)
 print('rm=ok')
elif %d:
 _ik_rmtree(_ik_p)
 print('rm=ok')
else:
 print('rm=isdir')
`, pysource.Str(path), r))
	if err != nil {
		return err
	}
	switch parseKeyValues(out)["rm"] {
	case "ok":
		return nil
	case "missing":
		return fmt.Errorf("rm :%s: %w", path, ErrNotFound)
	case "isdir":
		return fmt.Errorf("rm :%s: %w", path, ErrIsDir)
	}
	return fmt.Errorf("rm :%s: unexpected answer from the board %q", path, short(out, 200))
}

// Mkdir makes a directory on the board. With existOK, an existing
// directory is no error.
func Mkdir(ctx context.Context, ex Execer, path string, existOK bool) error {
	out, err := withPrelude(ctx, ex, fmt.Sprintf(`_ik_p = %s
_ik_s = _ik_stat(_ik_p)
if _ik_s is not None:
 print('mkdir=' + _ik_s[0])
elif not hasattr(_ik_os, 'mkdir'):
 print('mkdir=nodirs')
else:
 try:
  _ik_os.mkdir(_ik_p)
  print('mkdir=ok')
 except OSError as _ik_e:
  print('mkdir=%%s' %% _ik_e)
`, pysource.Str(path)))
	if err != nil {
		return err
	}
	switch v := parseKeyValues(out)["mkdir"]; v {
	case "ok":
		return nil
	case "d":
		if existOK {
			return nil
		}
		return fmt.Errorf("mkdir :%s: already exists on the board", path)
	case "f":
		return fmt.Errorf("mkdir :%s: a file of that name exists on the board", path)
	case "nodirs":
		return fmt.Errorf("mkdir :%s: this board's filesystem has no directories (its os module has no mkdir)", path)
	case "":
		return fmt.Errorf("mkdir :%s: unexpected answer from the board %q", path, short(out, 200))
	default:
		return fmt.Errorf("mkdir :%s: %s (does the parent directory exist?)", path, v)
	}
}
