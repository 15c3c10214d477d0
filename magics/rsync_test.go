package magics

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/iotkernel/iotkernel/transport"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

// countingBoard is the real MicroPython Unix port, counting the programs
// that cross its link.
type countingBoard struct {
	*transport.Board
	mu    sync.Mutex
	execs int
}

func (c *countingBoard) Exec(ctx context.Context, code string, stdout, stderr io.Writer) error {
	c.mu.Lock()
	c.execs++
	c.mu.Unlock()
	return c.Board.Exec(ctx, code, stdout, stderr)
}

// count returns how many programs ran since the last call.
func (c *countingBoard) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.execs
	c.execs = 0
	return n
}

// unixBoard opens the real Unix port. Its filesystem is the host's, so
// tests give it absolute paths and look at the files directly.
func unixBoard(t *testing.T) *countingBoard {
	t.Helper()
	t.Setenv("IOTKERNEL_MICROPYTHON", realboard.UnixPort(t))
	b, err := transport.Open(context.Background(), "local", transport.Options{})
	if err != nil {
		t.Fatalf("open the Unix port: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return &countingBoard{Board: b}
}

// writeTree writes files (relative path -> content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, s := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree returns the files under dir, and its directories with a
// trailing '/'.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if fi.IsDir() {
			got[filepath.ToSlash(rel)+"/"] = ""
			return nil
		}
		data, err := os.ReadFile(p)
		got[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// sameTrees fails the test when the board folder differs from the host's.
func sameTrees(t *testing.T, host, board string) {
	t.Helper()
	h, b := readTree(t, host), readTree(t, board)
	var diff []string
	for p, s := range h {
		if bs, ok := b[p]; !ok || bs != s {
			diff = append(diff, "differs or missing on the board: "+p)
		}
	}
	for p := range b {
		if _, ok := h[p]; !ok {
			diff = append(diff, "only on the board: "+p)
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Errorf("the board folder does not match the host's:\n%s", strings.Join(diff, "\n"))
	}
}

// fortyFiles is a project of 40 files in nested folders, one of them
// bigger than one upload chunk.
func fortyFiles() map[string]string {
	files := map[string]string{"main.py": "import app\napp.run()\n", "big.bin": strings.Repeat("0123456789abcdef", 400)}
	for i := 0; len(files) < 40; i++ {
		files[fmt.Sprintf("lib/pkg%d/mod%d.py", i%4, i)] = fmt.Sprintf("# module %d\nVALUE = %d\n", i, i*i)
	}
	return files
}

func TestRsyncRealBoard(t *testing.T) {
	b := unixBoard(t)
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	project := filepath.Join(env.dir, "project")
	writeTree(t, project, fortyFiles())
	target := filepath.Join(t.TempDir(), "board", "app")
	os.MkdirAll(filepath.Dir(target), 0o755)

	out := mustRun(t, r, env, "rsync project :"+target)
	if !strings.Contains(out, "copied 40 file(s)") || !strings.Contains(out, "mkdir  lib/pkg3/") || !strings.HasPrefix(out, "mkdir  ./ (new)\n") {
		t.Errorf("first %%rsync printed:\n%s", out)
	}
	sameTrees(t, project, target)

	b.count()
	out = mustRun(t, r, env, "rsync project :"+target)
	if n := b.count(); n != 1 {
		t.Errorf("%%rsync of an unchanged folder ran %d programs, want 1 (the listing)", n)
	}
	if want := "copied 0 file(s), 0 bytes; deleted 0; 40 unchanged\n"; out != want {
		t.Errorf("%%rsync of an unchanged folder printed %q, want %q", out, want)
	}

	// Change 2 files (one keeping its size), delete 1.
	writeTree(t, project, map[string]string{"main.py": "import app\napp.go()\n\n", "lib/pkg1/mod5.py": "# module 5\nVALUE = 26\n"})
	os.Remove(filepath.Join(project, "lib/pkg2/mod6.py"))

	before := readTree(t, target)
	b.count()
	out = mustRun(t, r, env, "rsync -n -d project :"+target)
	want := "delete lib/pkg2/mod6.py\ncopy   lib/pkg1/mod5.py (changed)\ncopy   main.py (changed)\nwould copy 2 file(s), delete 1; 37 unchanged\n"
	if out != want {
		t.Errorf("%%rsync -n -d printed:\n%s\nwant:\n%s", out, want)
	}
	if n := b.count(); n != 1 {
		t.Errorf("%%rsync -n ran %d programs, want 1", n)
	}
	if after := readTree(t, target); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Error("%rsync -n changed the board")
	}
	out = mustRun(t, r, env, "rdiff project :"+target)
	if out != want {
		t.Errorf("%%rdiff printed:\n%s\nwant:\n%s", out, want)
	}
	b.count()

	// Without -d the deleted file stays and is reported.
	out = mustRun(t, r, env, "rsync project :"+target)
	if n := b.count(); n != 1+2 {
		t.Errorf("%%rsync of 2 changed files ran %d programs, want 3 (the listing and 2 copies)", n)
	}
	if !strings.HasSuffix(out, "copied 2 file(s), 43 bytes; deleted 0; 37 unchanged; 1 only on the board (-d deletes them)\n") {
		t.Errorf("%%rsync printed:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(target, "lib/pkg2/mod6.py")); err != nil {
		t.Errorf("%%rsync without -d deleted a file: %v", err)
	}

	// Change them again: with -d exactly three operations cross the link.
	writeTree(t, project, map[string]string{"main.py": "import app\napp.go(1)\n", "lib/pkg1/mod5.py": "# module 5\nVALUE = 27\n"})
	b.count()
	out = mustRun(t, r, env, "rsync -d project :"+target)
	if n := b.count() - 1; n != 3 {
		t.Errorf("%%rsync -d of 2 changes and 1 deletion sent %d operations after the listing, want 3:\n%s", n, out)
	}
	sameTrees(t, project, target)

	// -d deletes exactly the extras: a file and a folder the host lacks.
	writeTree(t, target, map[string]string{"extra.txt": "x", "old/a.py": "a", "old/sub/b.py": "b"})
	b.count()
	out = mustRun(t, r, env, "rsync -d project :"+target)
	if want := "delete extra.txt\ndelete old/\ncopied 0 file(s), 0 bytes; deleted 2; 39 unchanged\n"; out != want {
		t.Errorf("%%rsync -d with extras printed:\n%s\nwant:\n%s", out, want)
	}
	if n := b.count(); n != 3 {
		t.Errorf("%%rsync -d of 2 extras ran %d programs, want 3", n)
	}
	sameTrees(t, project, target)

	// A file where the host has a folder, and the reverse, are replaced.
	os.RemoveAll(filepath.Join(target, "lib/pkg0"))
	os.Remove(filepath.Join(target, "main.py"))
	writeTree(t, target, map[string]string{"lib/pkg0": "not a folder", "main.py/x": "not a file"})
	out = mustRun(t, r, env, "rsync project :"+target)
	if !strings.Contains(out, "delete lib/pkg0 (replaced by a folder)") || !strings.Contains(out, "delete main.py/ (replaced by a file)") {
		t.Errorf("%%rsync over mismatched kinds printed:\n%s", out)
	}
	sameTrees(t, project, target)
	if got := runOn(t, b, "print([n for n in globals() if n.startswith('_ik')])\n"); got != "[]\n" {
		t.Errorf("names left on the board: %s", got)
	}
}

// runOn runs code on b and returns what it printed.
func runOn(t *testing.T, b Board, code string) string {
	t.Helper()
	var out strings.Builder
	if err := b.Exec(context.Background(), code, &out, io.Discard); err != nil {
		t.Fatalf("%q: %v", code, err)
	}
	return out.String()
}

// ramDisk mounts a littlefs filesystem of blocks*512 bytes in the board's
// memory at mount.
const ramDisk = `import vfs
class RAMDisk:
    def __init__(self, n):
        self.d = bytearray(512 * n)
    def readblocks(self, b, buf, off=0):
        s = b * 512 + off
        buf[:] = self.d[s:s + len(buf)]
    def writeblocks(self, b, buf, off=0):
        s = b * 512 + off
        self.d[s:s + len(buf)] = buf
    def ioctl(self, op, arg):
        if op == 4:
            return len(self.d) // 512
        if op == 5:
            return 512
        if op == 6:
            return 0
rd = RAMDisk(%d)
vfs.VfsLfs2.mkfs(rd)
vfs.mount(vfs.VfsLfs2(rd), %q)
`

func TestRsyncFullBoard(t *testing.T) {
	b := unixBoard(t)
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	runOn(t, b, fmt.Sprintf(ramDisk, 16, "/ram"))
	writeTree(t, env.dir, map[string]string{"p/a.py": "A = 1\n", "p/big.bin": strings.Repeat("x", 12000)})
	_, err := runMagic(t, r, env, "rsync p :/ram")
	if err == nil || !strings.Contains(err.Error(), "no room on the board for :/ram/big.bin (11.7 KiB)") {
		t.Fatalf("%%rsync to a full board = %v, want no room for :/ram/big.bin", err)
	}
	if got := runOn(t, b, "import os\nprint(sorted(os.listdir('/ram')))\n"); got != "['a.py']\n" {
		t.Errorf("after the failed copy the board holds %s, want only a.py (no half-written big.bin)", got)
	}
	out := mustRun(t, r, env, "df :/ram")
	if want := "      size        used        free  use%  path\n"; !strings.HasPrefix(out, want) || !strings.Contains(out, "  8.0 KiB") || !strings.HasSuffix(out, "  :/ram\n") {
		t.Errorf("%%df :/ram printed:\n%s", out)
	}
}

func TestRsyncBadInput(t *testing.T) {
	b := newPyBoard(t)
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	writeTree(t, env.dir, map[string]string{"p/a.py": "A", "f.txt": "F"})
	os.WriteFile(filepath.Join(b.root, "file"), []byte("x"), 0o644)
	outside := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(outside, []byte("s"), 0o644)
	os.MkdirAll(filepath.Join(env.dir, "q"), 0o755)
	if err := os.Symlink(outside, filepath.Join(env.dir, "q", "link")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ line, want string }{
		{"rsync", "want DIR :DIR"},
		{"rsync p", "want DIR :DIR"},
		{"rsync p lib", `"lib" is a host path`},
		{"rsync :p :lib", "is a board path"},
		{"rsync nope :lib", "host folder " + filepath.Join(env.dir, "nope") + ": no such file or directory"},
		{"rsync f.txt :lib", "is a file, not a folder"},
		{"rsync p :file", ":file is a file on the board"},
		{"rsync q :lib", "links to " + outside + ", outside"},
		{"rsync -x p :lib", "flag provided but not defined: -x"},
	} {
		_, err := runMagic(t, r, env, tt.line)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%%%s = %v, want an error with %q", tt.line, err, tt.want)
		}
	}
	// Hidden names and caches stay where they are, on both sides.
	writeTree(t, env.dir, map[string]string{"p/.git/HEAD": "ref", "p/__pycache__/a.pyc": "c", "p/.env": "secret"})
	writeTree(t, b.root, map[string]string{"lib/.keep": "k", "lib/.cache/x": "x"})
	mustRun(t, r, env, "rsync -d p :lib")
	got := readTree(t, filepath.Join(b.root, "lib"))
	if want := map[string]string{"a.py": "A", ".keep": "k", ".cache/": "", ".cache/x": "x"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after %%rsync -d with hidden names the board holds %v, want %v", got, want)
	}
	// A link inside the folder is followed.
	os.Symlink("a.py", filepath.Join(env.dir, "p", "a2.py"))
	mustRun(t, r, env, "rsync p :lib")
	if got, err := os.ReadFile(filepath.Join(b.root, "lib", "a2.py")); err != nil || string(got) != "A" {
		t.Errorf("a link inside the folder copied as %q, %v; want its target's bytes", got, err)
	}
	if out := mustRun(t, r, env, "rsync -h"); !strings.Contains(out, "usage: %rsync [-d] [-n] DIR :DIR") {
		t.Errorf("%%rsync -h printed %q", out)
	}
}
