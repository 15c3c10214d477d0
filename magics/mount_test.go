package magics

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/transport"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

func TestRequestMarkAgrees(t *testing.T) {
	if boardpy.RequestMark != transport.RequestMark {
		t.Errorf("boardpy.RequestMark = %q, transport.RequestMark = %q: the board's requests would not be seen", boardpy.RequestMark, transport.RequestMark)
	}
}

func TestMountRealBoard(t *testing.T) {
	b := unixBoard(t)
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	proj := filepath.Join(env.dir, "proj")
	writeTree(t, proj, map[string]string{
		"app.py":          "from lib.util import NAME\ndef run():\n    return 'app ' + NAME\n",
		"lib/__init__.py": "",
		"lib/util.py":     "NAME = 'one'\n",
		"data.txt":        "ünï\n",
		"blob.bin":        "\x03\x1b\x1be\x1bc\x00\x04\xff",
	})
	out := mustRun(t, r, env, "mount proj")
	if !strings.Contains(out, "mounted "+proj+" at :/remote (read-only)") {
		t.Errorf("%%mount printed %q", out)
	}
	if got := runOn(t, b, "import app\nprint(app.run())\n"); got != "app one\n" {
		t.Errorf("importing from the mounted folder printed %q", got)
	}
	writeTree(t, proj, map[string]string{"lib/util.py": "NAME = 'two'\n"})
	if got := runOn(t, b, "import sys\nfor m in ('app', 'lib.util', 'lib'):\n    del sys.modules[m]\nimport app\nprint(app.run())\n"); got != "app two\n" {
		t.Errorf("re-importing after an edit on the host printed %q", got)
	}
	if got := runOn(t, b, "import os\nprint(os.getcwd(), sorted(os.listdir()), sorted(os.listdir('/remote/lib')))\nprint(open('data.txt').read(), end='')\nprint(os.stat('lib')[0] & 0x4000 != 0, os.stat('app.py')[6])\n"); got != "/remote ['app.py', 'blob.bin', 'data.txt', 'lib'] ['__init__.py', 'util.py']\nünï\nTrue 62\n" {
		t.Errorf("listing and reading the mount printed %q", got)
	}
	// A cell that prints the request mark itself is shown what it printed.
	if got := runOn(t, b, "print('\\x18hello')\nprint('\\x18s zz')\n"); got != "\x18hello\n\x18s zz\n" {
		t.Errorf("printing the request mark while mounted printed %q", got)
	}
	// Every byte arrives, Ctrl-C and the escape byte too.
	if got := runOn(t, b, "print(open('blob.bin', 'rb').read() == b'\\x03\\x1b\\x1be\\x1bc\\x00\\x04\\xff')\n"); got != "True\n" {
		t.Errorf("reading a binary file through the mount printed %q", got)
	}
	// Read-only by default; nothing escapes the folder.
	secret := filepath.Join(env.dir, "secret.txt")
	os.WriteFile(secret, []byte("s"), 0o644)
	os.Symlink(secret, filepath.Join(proj, "link.txt"))
	for code, want := range map[string]string{
		"open('new.txt', 'w').write('x')\n": "OSError: 30",
		"open('../secret.txt').read()\n":    "EACCES",
		"open('link.txt').read()\n":         "EACCES",
		"open('nope.py').read()\n":          "ENOENT",
		"import nope\n":                     "ImportError",
	} {
		err := b.Exec(t.Context(), code, &strings.Builder{}, &strings.Builder{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q on the mount = %v, want %s", code, err, want)
		}
	}
	// A soft reset keeps the mount.
	if out := mustRun(t, r, env, "softreset"); !strings.HasSuffix(out, "the host folder is mounted at :/remote again\n") {
		t.Errorf("%%softreset printed %q", out)
	}
	if got := runOn(t, b, "import app\nprint(app.run())\n"); got != "app two\n" {
		t.Errorf("importing after a soft reset printed %q", got)
	}
	// The magics that list files see it too.
	if out := mustRun(t, r, env, "ls :/remote/lib"); out != "__init__.py\nutil.py\n" {
		t.Errorf("%%ls :/remote/lib = %q", out)
	}

	// -l writes back.
	mustRun(t, r, env, "mount -l proj")
	runOn(t, b, "with open('out.txt', 'w') as f:\n    f.write('from the board\\n')\nimport os\nos.mkdir('made')\nos.rename('out.txt', 'made/out.txt')\n")
	if got, err := os.ReadFile(filepath.Join(proj, "made", "out.txt")); err != nil || string(got) != "from the board\n" {
		t.Errorf("write-back gave %q, %v", got, err)
	}
	if out := mustRun(t, r, env, "umount"); out != "unmounted :/remote\n" {
		t.Errorf("%%umount printed %q", out)
	}
	if got := runOn(t, b, "import os\nprint(os.getcwd())\ntry:\n    os.listdir('/remote')\nexcept OSError as e:\n    print('gone', e)\n"); !strings.HasPrefix(got, "/\n") {
		t.Errorf("after %%umount the board printed %q", got)
	}
	if _, err := runMagic(t, r, env, "umount"); err == nil || !strings.Contains(err.Error(), "nothing is mounted there") {
		t.Errorf("a second %%umount = %v", err)
	}
	if got := runOn(t, b, "print([n for n in globals() if n.startswith('_ik')])\n"); got != "[]\n" {
		t.Errorf("names left on the board: %s", got)
	}
	for _, tt := range []struct{ line, want string }{
		{"mount", "want one host DIR"},
		{"mount nope", "no such file or directory"},
		{"mount proj/app.py", "not a folder"},
		{"mount :lib", "is a board path"},
	} {
		if _, err := runMagic(t, r, env, tt.line); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%%%s = %v, want an error with %q", tt.line, err, tt.want)
		}
	}
}

// TestMountWasmRefuses: the WebAssembly port reads no input while code
// runs, so it cannot ask for files; %mount says so rather than hang.
func TestMountWasmRefuses(t *testing.T) {
	url := realboard.Wasm(t)
	b, err := transport.Open(t.Context(), url, transport.Options{})
	if err != nil {
		t.Fatalf("open the WebAssembly board: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	env := newFakeEnv(t)
	env.board = b
	os.Mkdir(filepath.Join(env.dir, "proj"), 0o755)
	_, err = runMagic(t, NewRegistry(Options{}), env, "mount proj")
	if err == nil || !strings.Contains(err.Error(), "reads no input while code runs") {
		t.Errorf("%%mount on the WebAssembly board = %v", err)
	}
	if b.Serving() {
		t.Error("a failed mount left the link serving")
	}
}

func TestEscapeReply(t *testing.T) {
	in := []byte("a\x03b\x1bc\x1b\x03\x00\xff")
	want := "a\x1bcb\x1bec\x1be\x1bc\x00\xff"
	if got := escapeReply(in); got != want {
		t.Errorf("escapeReply(%q) = %q, want %q", in, got, want)
	}
}
