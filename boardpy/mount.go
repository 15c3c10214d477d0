package boardpy

import (
	"context"
	"fmt"

	"github.com/iotkernel/iotkernel/pysource"
)

// RequestMark starts a request that a program asks the host beside its
// output: it must be the transport's RequestMark (the transport defines
// the framing; this package does not import it, and magics' tests hold
// the two equal). The reply comes on the board's standard input as
// replyHeader hex digits of length and the reply itself.
const (
	RequestMark = "\x18"
	replyHeader = 8
)

// mountCode mounts a filesystem whose every operation is a request to
// the host, as mpremote's mount does. A request is an operation letter
// and its arguments in hex; a reply is "o" and the result, or "e" and an
// errno. The result's bytes come as they are, but for Ctrl-C (which the
// board would act on) and ESC: ESC 'c' and ESC 'e' stand for them. A file is read whole when opened. Everything lives in
// the function's scope, kept alive by the mounted object, so no global
// name stays behind.
const mountCode = `def _ik_mount(mp):
 import sys
 import binascii as ba
 try:
  import vfs as V
 except ImportError:
  V = _ik_os
 try:
  import io
 except ImportError:
  import uio as io
 try:
  rd = _ik_stdin
 except NameError:
  rd = getattr(sys.stdin, 'buffer', sys.stdin)
 def rx(n):
  b = b''
  while len(b) < n:
   c = rd.read(n - len(b))
   if not c:
    raise OSError(5)
   b += c
  return b
 def req(op, *a):
  s = %s + op
  for x in a:
   if isinstance(x, str):
    x = x.encode()
   s += ' ' + ba.hexlify(x).decode()
  sys.stdout.write(s + '\n')
  r = rx(int(rx(%d), 16))
  if r[:1] == b'e':
   raise OSError(int(r[1:]))
  p = r[1:].split(b'\x1b')
  if len(p) == 1:
   return p[0]
  return p[0] + b''.join([(b'\x1b' if x[0] == 101 else b'\x03') + x[1:] for x in p[1:]])
 rw = req('i', '') == b'rw'
 def wr(op, *a):
  if not rw:
   raise OSError(30)
  req(op, *a)
 class W:
  def __init__(s, p, t):
   s.p, s.t, s.b = p, t, []
  def write(s, d):
   s.b.append(d.encode() if isinstance(d, str) else bytes(d))
   return len(d)
  def flush(s):
   pass
  def close(s):
   if s.b is not None:
    req('w', s.p, b''.join(s.b))
    s.b = None
  def __enter__(s):
   return s
  def __exit__(s, *a):
   s.close()
 class R:
  def __init__(s):
   s.c = '/'
  def mount(s, ro, mk):
   pass
  def umount(s):
   pass
  def ab(s, p):
   return p if p.startswith('/') else s.c + p
  def chdir(s, p):
   p = s.ab(p)
   s.stat(p)
   s.c = p if p.endswith('/') else p + '/'
  def getcwd(s):
   return s.c[:-1] if len(s.c) > 1 else s.c
  def stat(s, p):
   k, z, t = req('s', s.ab(p)).decode().split()
   z, t = int(z), int(t)
   return (0x4000 if k == 'd' else 0x8000, 0, 0, 0, 0, 0, z, t, t, t)
  def ilistdir(s, p):
   for l in req('l', s.ab(p)).decode().split('\n'):
    if l:
     yield (l[2:], 0x4000 if l[0] == 'd' else 0x8000, 0)
  def open(s, p, m):
   p = s.ab(p)
   if 'w' in m or 'a' in m or '+' in m:
    if not rw:
     raise OSError(30)
    return W(p, 'b' not in m)
   d = req('r', p)
   return io.BytesIO(d) if 'b' in m else io.StringIO(d.decode())
  def remove(s, p):
   wr('x', s.ab(p))
  def mkdir(s, p):
   wr('m', s.ab(p))
  def rmdir(s, p):
   wr('d', s.ab(p))
  def rename(s, a, b):
   wr('n', s.ab(a), s.ab(b))
  def statvfs(s, p):
   return (512, 512, 0, 0, 0, 0, 0, 0, 0, 255)
 try:
  _ik_os.chdir('/')
  V.umount(mp)
 except Exception:
  pass
 V.mount(R(), mp)
 _ik_os.chdir(mp)
 print('mount=ok')
`

// Mount mounts a filesystem at point (e.g. "/remote") whose files the
// host serves through the requests of the board's link, and makes it the
// board's current directory, so that imports find its modules. The
// board asks the host (request "i") whether it may write there, remove
// and rename: "rw" or "ro"; the host refuses them anyway. Whatever
// was mounted at point before is unmounted. The link must answer the
// requests (transport.Board.Serve) from before the first program after
// Mount.
func Mount(ctx context.Context, ex Execer, point string) error {
	// A small program first asks whether the board can mount at all: a
	// micro:bit cannot, and has no room for the big one.
	out, err := withPrelude(ctx, ex, `import sys as _ik_sys
try:
 import vfs as _ik_v
except ImportError:
 _ik_v = _ik_os
if _ik_sys.platform == 'webassembly':
 print('mount=nostdin')
elif not hasattr(_ik_v, 'mount'):
 print('mount=novfs')
else:
 print('mount=can')
`)
	if err != nil {
		return err
	}
	if v := parseKeyValues(out)["mount"]; v != "can" {
		return mountAnswer(point, v, out)
	}
	body := fmt.Sprintf(mountCode, pysource.Str(RequestMark), replyHeader) + fmt.Sprintf("_ik_mount(%s)\n", pysource.Str(point))
	if out, err = withPrelude(ctx, ex, body); err != nil {
		return err
	}
	return mountAnswer(point, parseKeyValues(out)["mount"], out)
}

// mountAnswer is Mount's error for what a program answered.
func mountAnswer(point, v, out string) error {
	switch v {
	case "ok":
		return nil
	case "novfs":
		return fmt.Errorf("mount :%s: this board's firmware cannot mount filesystems (it has no vfs.mount or os.mount)", point)
	case "nostdin":
		return fmt.Errorf("mount :%s: this board reads no input while code runs (the WebAssembly port), so it cannot ask the host for files", point)
	}
	return fmt.Errorf("mount :%s: unexpected answer from the board %q", point, short(out, 200))
}

// Umount unmounts what is mounted at point, leaving point as the current
// directory if it was. Nothing mounted there is an error.
func Umount(ctx context.Context, ex Execer, point string) error {
	out, err := withPrelude(ctx, ex, fmt.Sprintf(`_ik_p = %s
try:
 import vfs as _ik_v
except ImportError:
 _ik_v = _ik_os
try:
 if _ik_os.getcwd().startswith(_ik_p):
  _ik_os.chdir('/')
 _ik_v.umount(_ik_p)
 print('umount=ok')
except OSError as _ik_e:
 print('umount=%%s' %% _ik_e)
`, pysource.Str(point)))
	if err != nil {
		return err
	}
	switch v := parseKeyValues(out)["umount"]; v {
	case "ok":
		return nil
	case "":
		return fmt.Errorf("umount :%s: unexpected answer from the board %q", point, short(out, 200))
	default:
		return fmt.Errorf("umount :%s: nothing is mounted there (%s)", point, v)
	}
}
