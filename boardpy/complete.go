package boardpy

import (
	"context"
	"fmt"
	"github.com/iotkernel/iotkernel/pysource"
	"regexp"
	"strings"
)

// dottedName is what Names and Inspect look up on the board: a name, or
// attributes of one. Nothing else is ever evaluated there (no calls, no
// indexing), so completing has no side effects.
var dottedName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

// IsDottedName reports whether s is a name or a dotted name ("sock.recv"),
// the only expressions Names and Inspect evaluate.
func IsDottedName(s string) bool { return dottedName.MatchString(s) }

// Names lists, sorted, the board's names that start with prefix: the
// attributes of the object obj names (a dotted name), or with obj ""
// the globals and builtins. Names starting with '_' come only when prefix
// does, and this package's own never. An obj that is not a dotted name,
// or that the board cannot evaluate, has no names.
func Names(ctx context.Context, ex Execer, obj, prefix string) ([]string, error) {
	if obj != "" && !IsDottedName(obj) {
		return nil, nil
	}
	out, err := run(ctx, ex, fmt.Sprintf(`def _ik_names(obj, pre):
 if obj:
  ns = dir(eval(obj, globals()))
 else:
  ns = list(globals())
  try:
   import builtins
   ns += dir(builtins)
  except ImportError:
   pass
 for n in sorted(set(ns)):
  if n.startswith(pre) and not n.startswith('`+Prefix+`') and (pre or not n.startswith('_')):
   print(n)
try:
 _ik_names(%s, %s)
except Exception:
 pass
del _ik_names
`, pysource.Str(obj), pysource.Str(prefix)))
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// Inspect describes the value a dotted name has on the board: "name:
// type", its repr (cut at 2000 characters) and its doc string. It is ""
// when the board has no such name, or name is not a dotted name.
func Inspect(ctx context.Context, ex Execer, name string) (string, error) {
	if !IsDottedName(name) {
		return "", nil
	}
	out, err := run(ctx, ex, fmt.Sprintf(`def _ik_inspect(name):
 try:
  v = eval(name, globals())
 except Exception:
  return
 t = type(v)
 print(name + ': ' + str(getattr(t, '__name__', t)))
 r = repr(v)
 print(r if len(r) <= 2000 else r[:2000] + '...')
 d = getattr(v, '__doc__', None)
 if isinstance(d, str) and d:
  print()
  print(d)
_ik_inspect(%s)
del _ik_inspect
`, pysource.Str(name)))
	if err != nil {
		return "", err
	}
	return strings.TrimRight(out, "\n"), nil
}
