package magics

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	b := newPyBoard(t)
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	os.WriteFile(filepath.Join(b.root, "main.py"), []byte("import app\napp.run()\n"), 0o644)
	os.Mkdir(filepath.Join(b.root, "lib"), 0o755)
	os.WriteFile(filepath.Join(b.root, "blob.bin"), []byte{0xff, 0xfe, 0}, 0o644)
	os.WriteFile(filepath.Join(env.dir, "host.py"), []byte("print('host')\n"), 0o644)

	if out := mustRun(t, r, env, "load :main.py"); out != "" {
		t.Errorf("%%load printed %q", out)
	}
	if want := "# %load :main.py\nimport app\napp.run()\n"; env.nextInput != want || !env.replace {
		t.Errorf("%%load :main.py set the cell to %q (replace %v), want %q replacing it", env.nextInput, env.replace, want)
	}
	mustRun(t, r, env, "load host.py")
	if want := "# %load host.py\nprint('host')\n"; env.nextInput != want {
		t.Errorf("%%load host.py set the cell to %q, want %q", env.nextInput, want)
	}
	env.nextInput = ""
	for _, tt := range []struct{ line, want string }{
		{"load", "want one :PATH or PATH"},
		{"load :a :b", "want one :PATH or PATH"},
		{"load :nope.py", "load :nope.py: no such file on the board"},
		{"load :lib", "load :lib: is a directory"},
		{"load :blob.bin", "not text"},
		{"load nope.py", "no such file or directory (board files are :PATH)"},
	} {
		if _, err := runMagic(t, r, env, tt.line); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%%%s = %v, want an error with %q", tt.line, err, tt.want)
		}
	}
	if env.nextInput != "" {
		t.Errorf("a failed %%load set the cell to %q", env.nextInput)
	}
	env.board = nil
	if _, err := runMagic(t, r, env, "load :main.py"); err != ErrNoBoard {
		t.Errorf("%%load without a board = %v, want ErrNoBoard", err)
	}
	if out := mustRun(t, r, env, "load -h"); !strings.Contains(out, "usage: %load :PATH|PATH") {
		t.Errorf("%%load -h = %q", out)
	}
}

func TestCaptureMagic(t *testing.T) {
	env := newFakeEnv(t)
	r := NewRegistry(Options{})
	if out := mustRun(t, r, env, "capture"); out != "not capturing\n" {
		t.Errorf("%%capture alone = %q", out)
	}
	log := filepath.Join(env.dir, "log.txt")
	os.WriteFile(log, []byte("old\n"), 0o644)
	if out := mustRun(t, r, env, "capture log.txt"); out != "capturing board output to "+log+"\n" {
		t.Errorf("%%capture log.txt = %q", out)
	}
	env.capture.Write([]byte("one\n"))
	if out := mustRun(t, r, env, "capture -a log.txt"); out != "captured 4 bytes to "+log+"\ncapturing board output to "+log+"\n" {
		t.Errorf("a second %%capture = %q", out)
	}
	env.capture.Write([]byte("two\n"))
	mustRun(t, r, env, "capture off")
	if env.capture != nil {
		t.Error("capture off left a capture")
	}
	if got, _ := os.ReadFile(log); string(got) != "one\ntwo\n" {
		t.Errorf("the log holds %q, want the first capture replacing the old text and the second appended", got)
	}
	if _, err := runMagic(t, r, env, "capture no/such/dir/log.txt"); err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("%%capture into a missing directory = %v", err)
	}
	if _, err := runMagic(t, r, env, "capture a b"); err == nil || !strings.Contains(err.Error(), "want one FILE") {
		t.Errorf("%%capture a b = %v", err)
	}
}
