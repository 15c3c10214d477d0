package magics

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/bench/linesim"
	"github.com/iotkernel/iotkernel/transport"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

// %mount over each kind of link a real board is reached by: the board's
// requests and the host's replies share the link with the REPL's own
// bytes, so each link must carry every byte the mount protocol uses.

// openLink opens url (with password, for WebREPL) and closes it at the
// test's cleanup.
func openLink(t *testing.T, url, password string) *transport.Board {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if password != "" {
		ctx = transport.WithPassword(ctx, password)
	}
	b, err := transport.Open(ctx, url, transport.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// allBytes is every byte value, twice over, in an order that puts each
// next to the ones a link might treat specially (Ctrl-C, CR, LF, the
// request mark, XON/XOFF, telnet's IAC).
func allBytes() []byte {
	var b []byte
	for i := range 256 {
		b = append(b, byte(i))
	}
	for i := 255; i >= 0; i-- {
		b = append(b, byte(i), '\r', byte(i), '\n')
	}
	return b
}

// runLink runs code on b and returns its output, failing the test when
// it fails or takes more than a minute (a reply lost on the link leaves
// the board waiting for it).
func runLink(t *testing.T, b Board, code string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out strings.Builder
	if err := b.Exec(ctx, code, &out, io.Discard); err != nil {
		t.Fatalf("%q: %v", short(code, 200), err)
	}
	return out.String()
}

// checkMountOver mounts a host folder on b, imports from it, edits and
// re-imports, reads every byte value back, writes back with -l, and
// unmounts.
func checkMountOver(t *testing.T, b Board) {
	t.Helper()
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	proj := filepath.Join(env.dir, "proj")
	// A module of about 4 KB, so that a reply spans many of the link's
	// packets (WebREPL frames, telnet buffers, the line's pieces).
	var big strings.Builder
	for i := 0; big.Len() < 4096; i++ {
		fmt.Fprintf(&big, "V%d = %d  # %s\n", i, i*i, strings.Repeat("x", 40))
	}
	writeTree(t, proj, map[string]string{
		"app.py":          "from lib.util import NAME\ndef run():\n    return 'app ' + NAME\n",
		"lib/__init__.py": "",
		"lib/util.py":     "NAME = 'one'\n",
		"big.py":          big.String(),
		"data.txt":        "ünï\r\n\x18 mark\n",
	})
	if err := os.WriteFile(filepath.Join(proj, "blob.bin"), allBytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, r, env, "mount proj")
	if !strings.Contains(out, "mounted "+proj+" at :/remote (read-only)") {
		t.Errorf("%%mount printed %q", out)
	}
	if got := runLink(t, b, "import app\nprint(app.run())\n"); got != "app one\n" {
		t.Errorf("importing from the mounted folder printed %q", got)
	}
	writeTree(t, proj, map[string]string{"lib/util.py": "NAME = 'two'\n"})
	if got := runLink(t, b, "import sys\nfor m in ('app', 'lib.util', 'lib'):\n    del sys.modules[m]\nimport app\nprint(app.run())\n"); got != "app two\n" {
		t.Errorf("re-importing after an edit on the host printed %q", got)
	}
	if got := runLink(t, b, "import big\nprint(big.V10, len([n for n in dir(big) if n[0] == 'V']))\n"); !strings.HasPrefix(got, "100 ") {
		t.Errorf("importing a 4 KB module printed %q", got)
	}
	if got := runLink(t, b, "print(repr(open('data.txt').read()))\n"); got != "'\\xfcn\\xef\\r\\n\\x18 mark\\n'\n" && got != "'ünï\\r\\n\\x18 mark\\n'\n" {
		t.Errorf("reading a text file with CR and the request mark printed %q", got)
	}
	want := allBytes()
	code := fmt.Sprintf("d = open('blob.bin', 'rb').read()\nw = bytes.fromhex(%q)\nprint(len(d), d == w, [i for i in range(min(len(d), len(w))) if d[i] != w[i]][:5])\n", fmt.Sprintf("%x", want))
	if got := runLink(t, b, code); got != fmt.Sprintf("%d True []\n", len(want)) {
		t.Errorf("reading every byte value through the mount printed %q", got)
	}
	// Output printed between requests is kept, in order.
	if got := runLink(t, b, "print('a')\nopen('data.txt').read()\nprint('b')\nimport os\nos.listdir()\nprint('c')\n"); got != "a\nb\nc\n" {
		t.Errorf("output around requests printed %q", got)
	}
	// -l writes back, every byte value too.
	mustRun(t, r, env, "mount -l proj")
	runLink(t, b, "with open('out.bin', 'wb') as f:\n    f.write(open('blob.bin', 'rb').read())\nimport os\nos.mkdir('made')\nos.rename('out.bin', 'made/out.bin')\n")
	if got, err := os.ReadFile(filepath.Join(proj, "made", "out.bin")); err != nil || string(got) != string(want) {
		t.Errorf("write-back gave %d bytes (equal: %v), %v", len(got), string(got) == string(want), err)
	}
	if out := mustRun(t, r, env, "umount"); out != "unmounted :/remote\n" {
		t.Errorf("%%umount printed %q", out)
	}
	if got := runLink(t, b, "import os\nprint(os.getcwd())\ntry:\n    import sys\n    del sys.modules['app']\n    import app\nexcept ImportError:\n    print('gone')\n"); got != "/\ngone\n" {
		t.Errorf("after %%umount the board printed %q", got)
	}
}

// TestMountWebREPL: MicroPython's own WebREPL, the board a password
// away over ws://.
func TestMountWebREPL(t *testing.T) {
	t.Setenv(transport.PasswordEnv, "")
	wb := realboard.WebREPL(t, "mountpw", realboard.UnixPortProgram(t), 0)
	checkMountOver(t, openLink(t, wb.URL, "mountpw"))
}

// openPTY opens the pty board at dev (realboard.UnixPortPTY returns it
// idle at its prompt); the file is closed at cleanup.
func openPTY(t *testing.T, dev string) *os.File {
	t.Helper()
	f, err := os.OpenFile(dev, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestMountRFC2217: Debian's ser2net (RFC 2217, telnet) in front of a pty
// board, which escapes telnet's IAC both ways.
func TestMountRFC2217(t *testing.T) {
	url := realboard.Ser2net(t, realboard.UnixPortPTY(t))
	checkMountOver(t, openLink(t, url, ""))
}

// TestMountSocket: a plain socket:// link, a TCP relay of the test's in
// front of a pty board, as a WiFi-to-UART bridge is.
func TestMountSocket(t *testing.T) {
	dev := realboard.UnixPortPTY(t)
	f := openPTY(t, dev)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			io.Copy(c, f)
			c.Close()
		}()
		io.Copy(f, c)
		f.Close()
	}()
	checkMountOver(t, openLink(t, "socket://"+l.Addr().String(), ""))
}

// TestMountSerial: a serial:// port, the slave of an emulated 115200-baud
// line to a pty board (bench/linesim).
func TestMountSerial(t *testing.T) {
	mp := realboard.UnixPort(t)
	board, err := linesim.StartBoard(mp, t.TempDir(), t.TempDir())
	if err != nil {
		realboard.Missing(t, "start the Unix port behind a line: %v", err)
	}
	t.Cleanup(func() { board.Close() })
	line, err := linesim.NewLine(board, linesim.Rate115200)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { line.Close() })
	checkMountOver(t, openLink(t, "serial://"+line.Path, ""))
}
