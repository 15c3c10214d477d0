# iotkernel board program: the raw REPL for MicroPython's Unix port.
#
# The Unix port's own REPL has no raw REPL (up to 1.25). This program, run
# by that port with its stdin and stdout on a pty, makes the process answer
# like a board's UART does under MicroPython's shared/runtime/pyexec.c:
#
#   friendly REPL   banner, ">>> ", Ctrl-A enters the raw REPL
#   raw REPL        "raw REPL; CTRL-B to exit\r\n>"; code then Ctrl-D gives
#                   "OK", stdout, "\x04", traceback, "\x04", ">"
#   raw-paste       "\x05A\x01" gives "R\x01", a 2-byte window W and "\x01";
#                   the host sends at most 2W bytes ahead, each "\x01" grants
#                   W more; "\x04" ends the code; then as above without "OK"
#   soft reset      Ctrl-D at an empty prompt: "OK\r\nsoft reboot\r\n", a new
#                   namespace, back at the prompt of the same REPL
#
# Cells share one namespace dict. On a tty the line is set up like a UART:
# no echo, no line editing, "\n" sent as "\r\n", and Ctrl-C turned into
# SIGINT (KeyboardInterrupt) only while a cell runs; at a prompt Ctrl-C is
# read as a byte, as pyexec reads it.
#
# Binary protocols over the REPL (mpremote's mount) turn the interrupt
# character off with micropython.kbd_intr(-1) and then move raw bytes
# through sys.stdin.buffer and sys.stdout.buffer. On a board those bytes
# pass untouched. The Unix port's kbd_intr(-1) only resets its SIGINT
# handler (a 0x03 from the tty would then kill the process), and its text
# and binary stdout are one raw write (the tty's ONLCR does the "\r\n"),
# so cells see a micropython module whose kbd_intr also sets the tty: with
# the interrupt character off, no signal character and no output
# translation, print adding the "\r" itself.

import sys
import gc
import io
import builtins
import micropython

_port_kbd_intr = micropython.kbd_intr

try:
    import termios
except ImportError:
    termios = None

CTRL_A = 1  # enter the raw REPL; ends a raw-paste command
CTRL_B = 2  # leave the raw REPL for the friendly one
CTRL_C = 3  # clear the line; interrupt a raw-paste upload
CTRL_D = 4  # run the raw line; soft reset at an empty line; end of upload
CTRL_E = 5  # raw-paste command (raw REPL), paste mode (friendly REPL)

# Raw-paste flow-control window. Neither of its two bytes may be "\n",
# which the tty would turn into "\r\n".
WINDOW = 256

RAW_BANNER = "raw REPL; CTRL-B to exit\n"

_stdin = sys.stdin.buffer
_stdout = sys.stdout.buffer
_me = __file__
_first_modules = set(sys.modules)
_print = builtins.print


class Line:
    # The board's UART: reads bytes one at a time, writes with "\r\n" line
    # ends, and owns the tty modes.

    def __init__(self):
        self.tty = False
        self.attrs = None
        self.running = False  # a cell runs
        if termios is not None and sys.platform == "linux":
            try:
                self.attrs = termios.tcgetattr(0)
                self.tty = True
            except Exception:
                pass
        if self.tty:
            self.setup()
        else:
            builtins.print = _cooked_print

    def setup(self):
        a = self.attrs
        # Linux termios bits; the port's termios module names none of them.
        # iflag: no break/parity handling, no CR/NL mapping, no XON/XOFF.
        a[0] &= ~(0o1 | 0o2 | 0o10 | 0o40 | 0o100 | 0o200 | 0o400 | 0o2000 | 0o4000 | 0o10000)
        # oflag: OPOST|ONLCR, nothing else.
        a[1] = (a[1] & ~(0o2 | 0o10 | 0o20 | 0o40)) | 0o1 | 0o4
        # lflag: no ECHO/ECHONL/ICANON/IEXTEN; ISIG off until a cell runs.
        a[3] &= ~(0o10 | 0o100 | 0o2 | 0o100000 | 0o1)
        cc = a[6]
        cc[0] = b"\x03"  # VINTR: Ctrl-C
        cc[1] = b"\x00"  # VQUIT off: 0x1c must not kill the board
        cc[10] = b"\x00"  # VSUSP off: 0x1a must not stop it
        cc[5] = 0  # VTIME
        cc[6] = 1  # VMIN: return each byte as it comes
        self.isig(False)

    def isig(self, on):
        # isig says whether a cell runs: Ctrl-C interrupts only then, and
        # each cell starts with Ctrl-C as its interrupt character, as
        # pyexec sets it.
        self.running = on
        self.kbd_intr(CTRL_C)

    def kbd_intr(self, c):
        # micropython.kbd_intr as cells see it: c is the interrupt
        # character, -1 for none.
        _port_kbd_intr(CTRL_C if c >= 0 else -1)
        if not self.tty:
            return
        a = self.attrs
        if self.running and c >= 0:
            a[6][0] = bytes([c & 0xFF])  # VINTR
            a[3] |= 0o1  # ISIG
        else:
            a[3] &= ~0o1
        # OPOST: "\n" goes out as "\r\n"; without it print cooks.
        if c >= 0 and not a[1] & 0o1:
            a[1] |= 0o1
            builtins.print = _print
        elif c < 0 and a[1] & 0o1:
            a[1] &= ~0o1
            builtins.print = _cooked_print
        termios.tcsetattr(0, termios.TCSANOW, a)

    def read(self):
        b = _stdin.read(1)
        if not b:
            raise EOFError
        return b[0]

    def write(self, data):
        if isinstance(data, str):
            data = data.encode()
        if not self.tty:
            data = data.replace(b"\n", b"\r\n")
        _stdout.write(data)


def _cooked_print(*args, sep=" ", end="\n", file=None):
    # Without a tty nothing turns "\n" into "\r\n"; print does it here.
    if file is not None and file is not sys.stdout:
        _print(*args, sep=sep, end=end, file=file)
        return
    s = sep.join([str(a) for a in args]) + end
    _stdout.write(s.replace("\n", "\r\n").encode())


line = None


class _Micropython:
    # The micropython module that cells import: the port's own functions,
    # kbd_intr the line's.
    def __init__(self):
        for name in dir(micropython):
            if not name.startswith("__"):
                setattr(self, name, getattr(micropython, name))
        self.__name__ = "micropython"
        self.kbd_intr = line.kbd_intr


def _input(prompt=""):
    # input() as a board's readline: echoes what is typed, ends at CR or LF.
    line.write(prompt)
    buf = bytearray()
    while True:
        try:
            c = line.read()
        except EOFError:
            raise EOFError("EOF when reading a line")
        if c in (13, 10):
            line.write("\n")
            return str(buf, "utf-8")
        if c in (8, 127):
            if buf:
                buf.pop()
                line.write(b"\x08 \x08")
            continue
        if c == CTRL_C:
            raise KeyboardInterrupt
        if c == CTRL_D and not buf:
            raise EOFError("EOF when reading a line")
        buf.append(c)
        line.write(bytes([c]))


def _traceback(exc):
    s = io.StringIO()
    sys.print_exception(exc, s)
    mine = '  File "%s"' % _me
    return "".join(l + "\n" for l in s.getvalue().split("\n") if l and not l.startswith(mine))


class Board:
    def __init__(self):
        self.ns = None
        self.reset_namespace()

    def reset_namespace(self):
        self.ns = {"__name__": "__main__"}
        for name in list(sys.modules):
            if name not in _first_modules:
                del sys.modules[name]
        builtins.input = _input
        if line is not None and line.tty:
            sys.modules["micropython"] = _Micropython()
        gc.collect()

    def soft_reset(self):
        self.reset_namespace()
        line.write("soft reboot\n")

    def execute(self, src, mode="exec"):
        # execute runs one cell and returns the exception it ended with.
        err = None
        try:
            code = compile(str(src, "utf-8"), "<stdin>", mode)
            line.isig(True)
            try:
                exec(code, self.ns)
            finally:
                line.isig(False)
        except BaseException as e:
            err = e
            try:
                line.isig(False)
            except BaseException:
                pass
        return err

    def run_raw(self, src):
        # run_raw runs a raw REPL cell and frames its output; it returns
        # True when the cell asked the board to exit (soft reset).
        err = self.execute(src)
        if isinstance(err, SystemExit):
            line.write(b"\x04\x04")
            return True
        if err is None:
            line.write(b"\x04\x04")
        else:
            line.write(b"\x04" + _traceback(err).encode() + b"\x04")
        return False

    # ---- raw REPL ----------------------------------------------------

    def raw_repl(self):
        # raw_repl serves the raw REPL until Ctrl-B; it returns False then.
        line.write(RAW_BANNER)
        while True:
            line.write(">")
            buf = bytearray()
            while True:
                c = line.read()
                if c == CTRL_A:
                    if len(buf) == 2 and buf[0] == CTRL_E:
                        if self.raw_paste(buf[1]):
                            self.soft_reset()
                            line.write(RAW_BANNER)
                        buf = None
                        break
                    line.write(RAW_BANNER + ">")
                    buf = bytearray()
                    continue
                if c == CTRL_B:
                    line.write("\n")
                    return False
                if c == CTRL_C:
                    buf = bytearray()
                    continue
                if c == CTRL_D:
                    break
                buf.append(c)
            if buf is None:
                continue
            line.write("OK")
            if not buf:
                line.write("\n")
                self.soft_reset()
                line.write(RAW_BANNER)
                continue
            if self.run_raw(buf):
                self.soft_reset()
                line.write(RAW_BANNER)

    def raw_paste(self, cmd):
        # raw_paste serves one raw-paste command (pyexec's do_reader_stdin);
        # it returns True when the cell asked for a soft reset.
        if cmd != ord("A"):
            line.write(b"R\x00")
            return False
        line.write(b"R\x01" + bytes([WINDOW & 0xFF, WINDOW >> 8]) + b"\x01")
        src = bytearray()
        remain = WINDOW
        while True:
            c = line.read()
            if c == CTRL_C or c == CTRL_D:
                line.write(b"\x04")
                if c == CTRL_C:
                    line.write(b"\x04KeyboardInterrupt: \n\x04")
                    return False
                break
            src.append(c)
            remain -= 1
            if remain == 0:
                line.write(b"\x01")
                remain = WINDOW
        return self.run_raw(src)

    # ---- friendly REPL -----------------------------------------------

    def banner(self):
        version = sys.version.split("; ", 1)[-1]
        machine = getattr(sys.implementation, "_machine", sys.platform)
        line.write("%s; %s\nType \"help()\" for more information.\n" % (version, machine))

    def friendly_repl(self):
        # friendly_repl serves the friendly REPL until Ctrl-A; it returns
        # True then.
        self.banner()
        while True:
            line.write(">>> ")
            text = self.readline(">>> ")
            if text is None:
                continue
            if isinstance(text, int):
                if text == CTRL_A:
                    line.write("\n")
                    return True
                if text == CTRL_B:
                    line.write("\n")
                    self.banner()
                elif text == CTRL_D:
                    line.write("\n")
                    self.soft_reset()
                    self.banner()
                elif text == CTRL_E:
                    self.paste_mode()
                continue
            if text.rstrip().endswith(":"):
                lines = [text]
                while True:
                    line.write("... ")
                    more = self.readline("... ")
                    if not isinstance(more, str) or not more.strip():
                        break
                    lines.append(more)
                text = "\n".join(lines) + "\n"
            if not text.strip():
                continue
            self.run_friendly(text.encode(), "single")

    def run_friendly(self, src, mode):
        err = self.execute(src, mode)
        if isinstance(err, SystemExit):
            self.soft_reset()
            self.banner()
        elif err is not None:
            line.write(_traceback(err))

    def readline(self, prompt):
        # readline reads an edited line; it returns the text, a control
        # byte that ends the line at its start, or None after Ctrl-C.
        buf = bytearray()
        while True:
            c = line.read()
            if c in (13, 10):
                line.write("\n")
                return str(buf, "utf-8")
            if c == CTRL_C:
                line.write("\n")
                return None
            if c in (CTRL_A, CTRL_B, CTRL_D, CTRL_E) and not buf:
                return c
            if c in (8, 127):
                if buf:
                    buf.pop()
                    line.write(b"\x08 \x08")
                continue
            if c >= 32 or c == 9:
                buf.append(c)
                line.write(bytes([c]))

    def paste_mode(self):
        line.write("\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\n=== ")
        buf = bytearray()
        while True:
            c = line.read()
            if c == CTRL_C:
                line.write("\n")
                return
            if c == CTRL_D:
                line.write("\n")
                break
            buf.append(c)
            line.write("\n=== " if c == 13 else bytes([c]))
        self.run_friendly(buf.replace(b"\r", b"\n"), "exec")

    def serve(self):
        # The REPL, friendly or raw as the host switches it, until the
        # line ends.
        raw = False
        while True:
            try:
                if raw:
                    raw = self.raw_repl()
                else:
                    raw = self.friendly_repl()
            except EOFError:
                return
            except KeyboardInterrupt:
                # A Ctrl-C that came as the tty switched modes: at a
                # prompt it means "clear the line".
                continue


def main():
    global line
    # Run as a script, the port puts this program's directory first on
    # sys.path; a board has '' there, so that files copied to its
    # current directory (%cp, %%writefile :x.py) import.
    if sys.path and sys.path[0] != '':
        sys.path[0] = ''
    line = Line()
    Board().serve()


# Run as a program; another program (a test board's WebREPL glue) may
# exec this one under another __name__ and drive Board itself.
if __name__ == "__main__":
    main()
