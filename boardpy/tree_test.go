package boardpy_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/iotkernel/iotkernel/boardpy"
)

// counter counts the programs run through it.
type counter struct {
	ex    boardpy.Execer
	execs int
}

func (c *counter) Exec(ctx context.Context, code string, stdout, stderr io.Writer) error {
	c.execs++
	return c.ex.Exec(ctx, code, stdout, stderr)
}

// TestTree lists a folder on the real Unix port, with and without
// hashes, in one program each.
func TestTree(t *testing.T) {
	b := localBoard(t)
	ctx := context.Background()
	root := t.TempDir()
	files := map[string]string{"a.py": "print('a')\n", "lib/b.py": "B", "lib/sub/c d.txt": "", "z.bin": "\x00\x04\xff"}
	for p, s := range files {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(root, "empty"), 0o755)
	c := &counter{ex: b}
	got, err := boardpy.Tree(ctx, c, root, true)
	if err != nil {
		t.Fatalf("Tree: %v", err)
	}
	if c.execs != 1 {
		t.Errorf("Tree ran %d programs, want 1", c.execs)
	}
	hash := func(s string) boardpy.FileHash { return boardpy.HashOf("sha256 ", []byte(s)) }
	want := []boardpy.TreeEntry{
		{Path: "a.py", Size: 11, Hash: hash(files["a.py"])},
		{Path: "empty", Dir: true},
		{Path: "lib", Dir: true},
		{Path: "lib/b.py", Size: 1, Hash: hash("B")},
		{Path: "lib/sub", Dir: true},
		{Path: "lib/sub/c d.txt", Size: 0, Hash: hash("")},
		{Path: "z.bin", Size: 3, Hash: hash("\x00\x04\xff")},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Tree(hashes) differs (-want +got):\n%s", d)
	}
	got, err = boardpy.Tree(ctx, b, root, false)
	for i := range want {
		want[i].Hash = ""
	}
	if err != nil || !cmp.Equal(want, got) {
		t.Errorf("Tree(no hashes) = %+v, %v; want %+v", got, err, want)
	}
	got, err = boardpy.Tree(ctx, b, filepath.Join(root, "lib", "b.py"), true)
	if err != nil || !cmp.Equal(got, []boardpy.TreeEntry{{Size: 1, Hash: hash("B")}}) {
		t.Errorf("Tree(file) = %+v, %v; want the file itself", got, err)
	}
	if _, err := boardpy.Tree(ctx, b, filepath.Join(root, "nope"), true); !errors.Is(err, boardpy.ErrNotFound) {
		t.Errorf("Tree(missing) = %v, want ErrNotFound", err)
	}
	checkClean(t, b)
}

// TestWriteSmall writes a small file in one program and a missing
// directory's file not at all.
func TestWriteSmall(t *testing.T) {
	b := localBoard(t)
	ctx := context.Background()
	dir := t.TempDir()
	c := &counter{ex: b}
	data := []byte("x = 1\n\x00\x04\xff")
	var progress []int64
	if err := boardpy.Write(ctx, c, filepath.Join(dir, "x.py"), data, boardpy.WriteOptions{Progress: func(n int64) { progress = append(progress, n) }}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if c.execs != 1 {
		t.Errorf("Write of %d bytes ran %d programs, want 1", len(data), c.execs)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "x.py")); err != nil || string(got) != string(data) {
		t.Errorf("the board wrote %q, %v; want %q", got, err, data)
	}
	if len(progress) != 1 || progress[0] != int64(len(data)) {
		t.Errorf("progress %v, want [%d]", progress, len(data))
	}
	err := boardpy.Write(ctx, b, filepath.Join(dir, "no", "x.py"), data, boardpy.WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "cannot open it") {
		t.Errorf("Write into a missing directory = %v, want that it cannot open it", err)
	}
	checkClean(t, b)
}

// TestDf asks the Unix port about the filesystem of a temporary directory.
func TestDf(t *testing.T) {
	b := localBoard(t)
	du, err := boardpy.Df(context.Background(), b, t.TempDir())
	if err != nil || du.Size <= 0 || du.Free < 0 || du.Free > du.Size {
		t.Errorf("Df = %+v, %v; want a size and free room within it", du, err)
	}
	if _, err := boardpy.Df(context.Background(), b, "/no/such/dir"); !errors.Is(err, boardpy.ErrNotFound) {
		t.Errorf("Df(missing) = %v, want ErrNotFound", err)
	}
	checkClean(t, b)
}

func TestLibAndMkdirAll(t *testing.T) {
	b := localBoard(t)
	ctx := context.Background()
	lib, err := boardpy.Lib(ctx, b)
	if err != nil || lib.MPY != 6 || !strings.HasSuffix(lib.Dir, "/lib") {
		t.Errorf("Lib = %+v, %v; want .mpy version 6 and a .../lib directory", lib, err)
	}
	dir := t.TempDir()
	deep := filepath.Join(dir, "a", "b", "c")
	if err := boardpy.MkdirAll(ctx, b, deep); err != nil {
		t.Fatalf("MkdirAll: %v", err)
	}
	if fi, err := os.Stat(deep); err != nil || !fi.IsDir() {
		t.Errorf("after MkdirAll: %v", err)
	}
	if err := boardpy.MkdirAll(ctx, b, deep); err != nil {
		t.Errorf("MkdirAll of an existing directory: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "f"), nil, 0o644)
	if err := boardpy.MkdirAll(ctx, b, filepath.Join(dir, "f", "x")); err == nil || !strings.Contains(err.Error(), "is a file on the board") {
		t.Errorf("MkdirAll through a file = %v", err)
	}
	checkClean(t, b)
}
