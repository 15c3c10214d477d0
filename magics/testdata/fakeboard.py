# A stand-in MicroPython board for the magics tests, run by CPython.
#
# It executes the snippets the magics send, each in the same namespace as
# a board's raw REPL would, with stand-ins for what CPython lacks or has
# differently: a board filesystem rooted in a directory (absolute paths
# are mapped into it), machine (unique_id, RTC, freq), gc.mem_free, and a
# time module whose clock follows the RTC. Options (argv[2:]) remove
# modules as small ports lack them: nobinascii, nohashlib, nortc, epoch2000;
# uprefix offers os, binascii and hashlib only as uos, ubinascii and
# uhashlib, as ports before MicroPython 1.20 do.
#
# Protocol on stdin/stdout: the host sends "<length>\n<code utf-8>"; the
# board answers one JSON line {"out": str, "type": str, "value": str}.
import builtins, io, json, os as real_os, sys, time as real_time, traceback, types

root = sys.argv[1]
opts = set(sys.argv[2:])
cwd = ['/']

def real(p):
    p = str(p)
    if not p.startswith('/'):
        p = cwd[0].rstrip('/') + '/' + p if p else cwd[0]
    parts = []
    for x in p.split('/'):
        if x in ('', '.'):
            continue
        if x == '..':
            if parts:
                parts.pop()
            continue
        parts.append(x)
    return real_os.path.join(root, *parts)

fos = types.ModuleType('os')
def _stat(p):
    st = real_os.stat(real(p))
    mode = 0x4000 if real_os.path.isdir(real(p)) else 0x8000
    return (mode, 0, 0, 0, 0, 0, st.st_size, 0, 0, 0)
fos.stat = _stat
fos.listdir = lambda p='': real_os.listdir(real(p))
fos.remove = lambda p: real_os.remove(real(p))
fos.rmdir = lambda p: real_os.rmdir(real(p))
fos.mkdir = lambda p: real_os.mkdir(real(p))
fos.rename = lambda a, b: real_os.rename(real(a), real(b))
fos.getcwd = lambda: cwd[0]
fos.statvfs = lambda p: (4096, 4096, 512, 300, 300, 0, 0, 0, 0, 255)
class _uname:
    machine = 'fake board with CPython'
fos.uname = lambda: _uname()
sys.modules['os'] = fos
sys.modules['uos'] = fos

real_open = builtins.open
def board_open(p, mode='r', *a, **k):
    return real_open(real(p), mode, *a, **k)

rtc_time = [None]  # (offset from host clock in s) once set
class RTC:
    def datetime(self, t=None):
        if t is None:
            lt = localtime()
            return (lt[0], lt[1], lt[2], lt[6], lt[3], lt[4], lt[5], 0)
        y, mo, d, wd, h, mi, s, ss = t
        target = real_time.mktime((y, mo, d, h, mi, s, 0, 0, -1))
        rtc_time[0] = target - real_time.time()
machine = types.ModuleType('machine')
machine.unique_id = lambda: b'\xde\xad\xbe\xef\x00\x01'
machine.freq = lambda: 240000000
if 'nortc' not in opts:
    machine.RTC = RTC
sys.modules['machine'] = machine

def localtime(t=None):
    if t is None:
        t = real_time.time() + (rtc_time[0] or 0)
    lt = real_time.localtime(t)
    return (lt.tm_year, lt.tm_mon, lt.tm_mday, lt.tm_hour, lt.tm_min, lt.tm_sec, lt.tm_wday, lt.tm_yday)
ftime = types.ModuleType('time')
ftime.localtime = localtime
ftime.gmtime = lambda t=0: (2000, 1, 1, 0, 0, 0, 5, 1) if 'epoch2000' in opts else tuple(real_time.gmtime(t))[:8]
ftime.time = lambda: real_time.time()
ftime.sleep = real_time.sleep
sys.modules['time'] = ftime

import gc as real_gc
fgc = types.ModuleType('gc')
fgc.collect = real_gc.collect
fgc.mem_free = lambda: 123456
fgc.mem_alloc = lambda: 65536
sys.modules['gc'] = fgc

if 'nobinascii' in opts:
    sys.modules['binascii'] = None
    sys.modules['ubinascii'] = None
if 'nohashlib' in opts:
    sys.modules['hashlib'] = None
    sys.modules['uhashlib'] = None
if 'uprefix' in opts:
    for name in ('os', 'binascii', 'hashlib'):
        if name in sys.modules and sys.modules[name] is None:
            continue  # removed by another option
        sys.modules['u' + name] = __import__(name)
        sys.modules[name] = None

bi = dict(vars(builtins))
bi['open'] = board_open
ns = {'__name__': '__main__', '__builtins__': bi}
stdin = sys.stdin.buffer
stdout = sys.stdout
while True:
    line = stdin.readline()
    if not line:
        break
    code = stdin.read(int(line)).decode('utf-8')
    buf = io.StringIO()
    res = {'type': '', 'value': ''}
    old = sys.stdout
    sys.stdout = buf
    try:
        exec(compile(code, '<stdin>', 'exec'), ns)
    except BaseException as e:
        res['type'] = type(e).__name__
        res['value'] = str(e)
        res['tb'] = traceback.format_exc()
    finally:
        sys.stdout = old
    res['out'] = buf.getvalue()
    stdout.write(json.dumps(res) + '\n')
    stdout.flush()
