package userfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/iotkernel/iotkernel/internal/asnobody"
)

func env(kv ...string) func(string) string {
	return func(k string) string {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == k {
				return kv[i+1]
			}
		}
		return ""
	}
}

func TestPaths(t *testing.T) {
	cases := []struct {
		name   string
		getenv func(string) string
		config string
		data   string
		cache  string
	}{
		{"home", env("HOME", "/home/u"), "/home/u/.config/iotkernel/f.json", "/home/u/.local/share/iotkernel/f.json", "/home/u/.cache/iotkernel"},
		{"xdg", env("HOME", "/home/u", "XDG_CONFIG_HOME", "/cfg", "XDG_DATA_HOME", "/data", "XDG_CACHE_HOME", "/c"), "/cfg/iotkernel/f.json", "/data/iotkernel/f.json", "/c/iotkernel"},
		// The XDG spec says to ignore relative paths.
		{"relative xdg", env("HOME", "/home/u", "XDG_CONFIG_HOME", "cfg", "XDG_DATA_HOME", "data", "XDG_CACHE_HOME", "c"), "/home/u/.config/iotkernel/f.json", "/home/u/.local/share/iotkernel/f.json", "/home/u/.cache/iotkernel"},
	}
	for _, c := range cases {
		if got, err := ConfigPath(c.getenv, "f.json"); got != c.config || err != nil {
			t.Errorf("%s: ConfigPath = %q, %v; want %q", c.name, got, err, c.config)
		}
		if got, err := DataPath(c.getenv, "f.json"); got != c.data || err != nil {
			t.Errorf("%s: DataPath = %q, %v; want %q", c.name, got, err, c.data)
		}
		if got, err := CacheDir(c.getenv); got != c.cache || err != nil {
			t.Errorf("%s: CacheDir = %q, %v; want %q", c.name, got, err, c.cache)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// noTemps fails if a temporary file of WriteFile was left in dir.
func noTemps(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left in %s", e.Name(), dir)
		}
	}
}

func TestWriteFileNewAndExisting(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "f.json")
	if err := WriteFile(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 || readFile(t, p) != "one" {
		t.Fatalf("new file: %v, %v, %q; want mode 0600, \"one\"", fi.Mode(), err, readFile(t, p))
	}
	os.Chmod(p, 0o640)
	if err := WriteFile(p, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, _ = os.Stat(p)
	if fi.Mode().Perm() != 0o640 || readFile(t, p) != "two" {
		t.Errorf("rewritten file: mode %v, %q; want 0640 kept, \"two\"", fi.Mode(), readFile(t, p))
	}
	noTemps(t, filepath.Dir(p))
}

func TestWriteFileThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "real"), 0o755)
	target := filepath.Join(dir, "real", "store.json")
	os.WriteFile(target, []byte("old"), 0o644)
	for _, link := range []struct{ name, dst string }{
		{"abs", target},
		{"rel", filepath.Join("real", "store.json")},
		{"chain", "abs"},
	} {
		p := filepath.Join(dir, link.name)
		if err := os.Symlink(link.dst, p); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(p, []byte("via "+link.name), 0o600); err != nil {
			t.Fatalf("%s: %v", link.name, err)
		}
		if fi, err := os.Lstat(p); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("%s: the link was replaced: %v, %v", link.name, fi.Mode(), err)
		}
		if got := readFile(t, target); got != "via "+link.name {
			t.Errorf("%s: target holds %q", link.name, got)
		}
	}
	// A link to a file that does not exist yet creates the file.
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join("real", "new.json"), dangling)
	if err := WriteFile(dangling, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "real", "new.json")); got != "new" {
		t.Errorf("dangling link's target holds %q", got)
	}
	noTemps(t, dir)
	noTemps(t, filepath.Join(dir, "real"))
}

func TestWriteFileReadOnly(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	os.WriteFile(p, []byte("keep"), 0o444)
	err := WriteFile(p, []byte("lost"), 0o600)
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("WriteFile on a 0444 file = %v, want ErrReadOnly", err)
	}
	fi, _ := os.Stat(p)
	if readFile(t, p) != "keep" || fi.Mode().Perm() != 0o444 {
		t.Errorf("read-only file changed: %q, mode %v", readFile(t, p), fi.Mode())
	}
	noTemps(t, dir)
}

func TestNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	os.Symlink("fifo", link)
	for _, p := range []string{fifo, link, dir, "/dev/null"} {
		if err := CheckRegular(p); !errors.Is(err, ErrNotRegular) {
			t.Errorf("CheckRegular(%s) = %v, want ErrNotRegular", p, err)
		}
		// Opening the FIFO would block this test forever.
		if err := WriteFile(p, []byte("x"), 0o600); !errors.Is(err, ErrNotRegular) {
			t.Errorf("WriteFile(%s) = %v, want ErrNotRegular", p, err)
		}
	}
	for _, p := range []string{filepath.Join(dir, "missing"), "/etc/passwd"} {
		if err := CheckRegular(p); err != nil {
			t.Errorf("CheckRegular(%s) = %v, want nil", p, err)
		}
	}
}

// TestWriteFileNotWritableByUser needs a user whom the file's mode keeps
// out, in a directory where that user could rename over the file: root
// writes anything, so as root the test runs itself again as nobody
// (setpriv, from util-linux) on a root-owned file in a directory open to
// all; as any other user it tries /etc/passwd, which it cannot write.
func TestWriteFileNotWritableByUser(t *testing.T) {
	if p := os.Getenv("USERFILE_TEST_FILE"); p != "" || os.Geteuid() != 0 {
		if p == "" {
			p = "/etc/passwd"
		}
		if err := WriteFile(p, []byte("lost"), 0o600); !errors.Is(err, ErrReadOnly) {
			t.Fatalf("WriteFile of another user's file %s = %v, want ErrReadOnly", p, err)
		}
		return
	}
	dir := asnobody.OpenDir(t)
	p := filepath.Join(dir, "f.json")
	os.WriteFile(p, []byte("keep"), 0o644)
	asnobody.Rerun(t, dir, "TestWriteFileNotWritableByUser", "USERFILE_TEST_FILE="+p)
	if got := readFile(t, p); got != "keep" {
		t.Errorf("the file changed to %q", got)
	}
}
