package boardpy

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"strings"
	"time"
)

// An Execer runs Python on a board: Exec writes what code prints to
// stdout as it comes and returns when the board ran it, or when ctx is
// done and the board stopped it; a Python exception on the board is an
// error (*transport.ExecError for a real board). *transport.Board is one.
type Execer interface {
	Exec(ctx context.Context, code string, stdout, stderr io.Writer) error
}

// Prefix starts every global name that this package's programs define on
// the board.
const Prefix = "_ik_"

// A helper is one definition the programs share.
type helper struct {
	name string
	code string
}

// helpers in the order they are defined; each uses only those before it.
var helpers = []helper{
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

// prelude returns the definitions of the helpers that code uses, and of
// those that they use. A helper uses only helpers listed before it, so one
// pass from the last to the first finds them all.
func prelude(code string) string {
	need := make([]bool, len(helpers))
	for i := len(helpers) - 1; i >= 0; i-- {
		if mentions(code, helpers[i].name) {
			need[i] = true
			code += helpers[i].code
		}
	}
	var b strings.Builder
	for i, h := range helpers {
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

// cleanupCode deletes every global that starts with Prefix, but the
// display module's _ik_D, which lasts as long as the board's state.
const cleanupCode = `for _ik_n in [n for n in globals() if n.startswith('` + Prefix + `') and n not in ('_ik_n', '_ik_D')]:
 del globals()[_ik_n]
globals().pop('_ik_n', None)
`

// run runs code on ex and returns what it printed. The board's traceback
// travels in the returned error, so stderr is dropped.
func run(ctx context.Context, ex Execer, code string) (string, error) {
	var out strings.Builder
	err := ex.Exec(ctx, code, &out, io.Discard)
	return out.String(), err
}

// withPrelude runs body after the helpers it uses and removes every
// Prefix name afterwards, in one Exec, or in a second one when body
// raised.
func withPrelude(ctx context.Context, ex Execer, body string) (string, error) {
	out, err := run(ctx, ex, prelude(body)+body+cleanupCode)
	if err != nil {
		cleanup(ctx, ex)
	}
	return out, err
}

// cleanupTimeout bounds the clean-up after a failed program.
const cleanupTimeout = 5 * time.Second

// cleanup closes a transfer's file on the board and removes the Prefix
// names, even when ctx is done (the board was interrupted and is idle
// again).
func cleanup(ctx context.Context, ex Execer) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	run(ctx, ex, "try:\n _ik_f.close()\nexcept Exception:\n pass\n"+cleanupCode)
}

// parseKeyValues reads the key=value lines a program printed; other
// lines are ignored.
func parseKeyValues(out string) map[string]string {
	kv := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimRight(sc.Text(), "\r"), "="); ok {
			kv[k] = v
		}
	}
	return kv
}

// short cuts s to n bytes for an error message.
func short(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
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
