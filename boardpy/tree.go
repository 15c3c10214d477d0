package boardpy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/iotkernel/iotkernel/pysource"
)

// A TreeEntry is one file or directory under the root of a Tree.
type TreeEntry struct {
	// Path is relative to the root, with '/' between names; "" is the
	// root itself when Tree was asked about a file.
	Path string
	Dir  bool
	Size int64
	Hash FileHash // set when Tree was asked for hashes
}

// Tree lists everything under the board directory root, depth first and
// sorted by name within each directory, with sizes and, when hashes is
// true, each file's hash: one program, so a whole folder costs one round
// trip however many files it holds. A file as root lists as itself (Path
// ""); a missing root is an error wrapping ErrNotFound.
func Tree(ctx context.Context, ex Execer, root string, hashes bool) ([]TreeEntry, error) {
	h := 0
	if hashes {
		h = 1
	}
	// Each line is "d PATH" or "f SIZE PATH", or with hashes
	// "f SIZE ALG HEX PATH"; PATH last, since names may hold blanks.
	body := fmt.Sprintf(`def _ik_walk(d, r):
 for n in sorted(_ik_os.listdir(d) if d else _ik_os.listdir()):
  p = _ik_join(d, n)
  q = _ik_join(r, n)
  s = _ik_stat(p)
  if s is None:
   continue
  if s[0] == 'd':
   print('d ' + q)
   _ik_walk(p, q)
  elif %[2]d:
   print('f %%d %%s %%s' %% (s[1], _ik_hash(p), q))
  else:
   print('f %%d %%s' %% (s[1], q))
_ik_p = %[1]s
_ik_s = _ik_stat(_ik_p)
if _ik_s is None:
 print('tree=missing')
elif _ik_s[0] == 'f':
 print('tree=file')
 if %[2]d:
  print('f %%d %%s ' %% (_ik_s[1], _ik_hash(_ik_p)))
 else:
  print('f %%d ' %% _ik_s[1])
else:
 print('tree=dir')
 _ik_walk(_ik_p, '')
`, pysource.Str(root), h)
	out, err := withPrelude(ctx, ex, body)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	switch strings.TrimRight(lines[0], "\r") {
	case "tree=missing":
		return nil, fmt.Errorf("tree :%s: %w", root, ErrNotFound)
	case "tree=file", "tree=dir":
	default:
		return nil, fmt.Errorf("tree :%s: unexpected answer from the board %q", root, short(out, 200))
	}
	var entries []TreeEntry
	for _, l := range lines[1:] {
		l = strings.TrimRight(l, "\r")
		e, err := parseTreeLine(l, hashes)
		if err != nil {
			return nil, fmt.Errorf("tree :%s: %v", root, err)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// parseTreeLine parses one line of Tree's program.
func parseTreeLine(l string, hashes bool) (TreeEntry, error) {
	bad := fmt.Errorf("unexpected line from the board %q", l)
	if p, ok := strings.CutPrefix(l, "d "); ok {
		return TreeEntry{Path: p, Dir: true}, nil
	}
	rest, ok := strings.CutPrefix(l, "f ")
	if !ok {
		return TreeEntry{}, bad
	}
	size, rest, ok := strings.Cut(rest, " ")
	n, err := strconv.ParseInt(size, 10, 64)
	if !ok || err != nil {
		return TreeEntry{}, bad
	}
	e := TreeEntry{Size: n}
	if hashes {
		alg, rest2, ok1 := strings.Cut(rest, " ")
		sum, p, ok2 := strings.Cut(rest2, " ")
		if !ok1 || !ok2 || (alg != "sha256" && alg != "adler32") {
			return TreeEntry{}, bad
		}
		e.Hash, rest = FileHash(alg+" "+sum), p
	}
	e.Path = rest
	return e, nil
}

// DiskUsage is what a board's filesystem holding a path says of its room.
type DiskUsage struct {
	Size, Free int64 // bytes
}

// ErrNoStatvfs says a board cannot tell its filesystem's size.
var ErrNoStatvfs = errors.New("this board cannot tell its filesystem's size (its os module has no statvfs)")

// Df returns the size and free room of the filesystem holding path ("" is
// the board's current directory).
func Df(ctx context.Context, ex Execer, path string) (DiskUsage, error) {
	out, err := withPrelude(ctx, ex, fmt.Sprintf(`_ik_p = %s
if not hasattr(_ik_os, 'statvfs'):
 print('df=none')
elif _ik_stat(_ik_p) is None:
 print('df=missing')
else:
 _ik_s = _ik_os.statvfs(_ik_p or '.')
 print('df=%%d %%d' %% (_ik_s[0] * _ik_s[2], _ik_s[0] * _ik_s[3]))
`, pysource.Str(path)))
	if err != nil {
		return DiskUsage{}, err
	}
	v := parseKeyValues(out)["df"]
	switch v {
	case "none":
		return DiskUsage{}, fmt.Errorf("df :%s: %w", path, ErrNoStatvfs)
	case "missing":
		return DiskUsage{}, fmt.Errorf("df :%s: %w", path, ErrNotFound)
	}
	a, b, _ := strings.Cut(v, " ")
	size, err1 := strconv.ParseInt(a, 10, 64)
	free, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil {
		return DiskUsage{}, fmt.Errorf("df :%s: unexpected answer from the board %q", path, short(out, 200))
	}
	return DiskUsage{Size: size, Free: free}, nil
}

// LibInfo is what installing a package needs of a board.
type LibInfo struct {
	// MPY is the version of the .mpy files the board loads
	// (sys.implementation._mpy & 0xff), 0 when it loads none.
	MPY int
	// Dir is the first directory of sys.path that ends in "/lib", where
	// packages go; "" when there is none.
	Dir string
}

// Lib asks the board which .mpy files it loads and where its packages go.
func Lib(ctx context.Context, ex Execer) (LibInfo, error) {
	out, err := withPrelude(ctx, ex, `import sys as _ik_sys
print('mpy=%d' % (getattr(_ik_sys.implementation, '_mpy', 0) & 0xff))
for _ik_p in _ik_sys.path:
 if _ik_p.endswith('/lib'):
  print('lib=' + _ik_p)
  break
`)
	if err != nil {
		return LibInfo{}, err
	}
	kv := parseKeyValues(out)
	n, err := strconv.Atoi(kv["mpy"])
	if err != nil {
		return LibInfo{}, fmt.Errorf("lib: unexpected answer from the board %q", short(out, 200))
	}
	return LibInfo{MPY: n, Dir: kv["lib"]}, nil
}

// MkdirAll makes the board directory path and every missing parent, in
// one program. A file in the way is an error.
func MkdirAll(ctx context.Context, ex Execer, path string) error {
	out, err := withPrelude(ctx, ex, fmt.Sprintf(`_ik_p = %s
_ik_d = '/' if _ik_p.startswith('/') else ''
for _ik_n in _ik_p.split('/'):
 if not _ik_n:
  continue
 _ik_d = _ik_join(_ik_d, _ik_n)
 _ik_s = _ik_stat(_ik_d)
 if _ik_s is None:
  _ik_os.mkdir(_ik_d)
 elif _ik_s[0] == 'f':
  print('mkdir=file ' + _ik_d)
  break
else:
 print('mkdir=ok')
`, pysource.Str(path)))
	if err != nil {
		return err
	}
	switch v := parseKeyValues(out)["mkdir"]; {
	case v == "ok":
		return nil
	case strings.HasPrefix(v, "file "):
		return fmt.Errorf("mkdir :%s: :%s is a file on the board", path, v[len("file "):])
	default:
		return fmt.Errorf("mkdir :%s: unexpected answer from the board %q", path, short(out, 200))
	}
}
