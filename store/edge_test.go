//go:build unix

package store

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/iotkernel/iotkernel/internal/asnobody"
	"github.com/iotkernel/iotkernel/internal/userfile"
)

func TestReadOnlyFileIsLeftAlone(t *testing.T) {
	s, path := openTemp(t)
	if err := s.Set("x", IntValue(1)); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	os.Chmod(path, 0o444)
	err := s.Set("y", IntValue(2))
	if !errors.Is(err, userfile.ErrReadOnly) || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("Set on a read-only store = %v, want a read-only error", err)
	}
	after, _ := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if !bytes.Equal(before, after) || fi.Mode().Perm() != 0o444 {
		t.Errorf("the read-only store changed: mode %v, content %q", fi.Mode().Perm(), after)
	}
	// Reading still works.
	if v, ok, err := s.Get("x"); err != nil || !ok || !v.Equal(IntValue(1)) {
		t.Errorf("Get(x) from a read-only store = %v, %v, %v", v, ok, err)
	}
}

func TestSymlinkedStoreWritesItsTarget(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "dotfiles"), 0o700)
	target := filepath.Join(dir, "dotfiles", "store.json")
	link := filepath.Join(dir, "store.json")
	if err := os.Symlink(filepath.Join("dotfiles", "store.json"), link); err != nil {
		t.Fatal(err)
	}
	s, err := Open(link)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"a", "b"} {
		if err := s.Set(name, IntValue(int64(i))); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the symlink was replaced: %v, %v", fi.Mode(), err)
	}
	data, err := os.ReadFile(target)
	if err != nil || !strings.Contains(string(data), `"b": {"int": 1}`) {
		t.Errorf("target holds %q, %v", data, err)
	}
	// Another kernel opening the target sees the same values.
	s2, _ := Open(target)
	if v, ok, _ := s2.Get("a"); !ok || !v.Equal(IntValue(0)) {
		t.Errorf("Get(a) through the target = %v, %v", v, ok)
	}
}

func TestNonRegularStoreIsRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "store.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// Opening the FIFO for reading would block this test until its
	// deadline: the error must come from a stat alone.
	for _, path := range []string{fifo, "/dev/null", dir} {
		_, err := Open(path)
		if !errors.Is(err, userfile.ErrNotRegular) || !strings.Contains(err.Error(), "IOTKERNEL_STORE") {
			t.Errorf("Open(%s) = %v, want a not-a-regular-file error naming IOTKERNEL_STORE", path, err)
		}
	}
	if _, err := os.Stat("/dev/null.lock"); err == nil {
		t.Error("a lock file was created next to /dev/null")
	}
	// A store opened while the path was a file, replaced by a FIFO since.
	path := filepath.Join(dir, "later.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(); !errors.Is(err, userfile.ErrNotRegular) {
		t.Errorf("List on a FIFO = %v", err)
	}
	if _, _, err := s.Get("x"); !errors.Is(err, userfile.ErrNotRegular) {
		t.Errorf("Get on a FIFO = %v", err)
	}
	if err := s.Set("x", IntValue(1)); !errors.Is(err, userfile.ErrNotRegular) {
		t.Errorf("Set on a FIFO = %v", err)
	}
	if fi, _ := os.Lstat(path); fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced by %v", fi.Mode())
	}
}

// TestListReadsOnlyTheIndex cuts the file right after its index: a
// listing that read any value would fail, or fall back to a full read
// that moves the file aside.
func TestListReadsOnlyTheIndex(t *testing.T) {
	s, path := openTemp(t)
	big := bytes.Repeat([]byte{0xab}, 1<<20)
	if err := s.SetMany(map[string]Value{"big": BytesValue(big), "n": IntValue(7)}); err != nil {
		t.Fatal(err)
	}
	want, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	i := bytes.Index(data, []byte(`"values"`))
	if i < 0 {
		t.Fatalf("no values in %q", data[:200])
	}
	os.WriteFile(path, data[:i+len(`"values": {`)+100], 0o600)
	got, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listing from the index (-full +index):\n%s", diff)
	}
	if got[0].Name != "big" || got[0].Type != "bytes" || got[0].GoType != "[]uint8" || !strings.HasPrefix(got[0].Short, `b'\xab\xab`) || len(got[0].Short) > 100 {
		t.Errorf("entry of big = %+v", got[0])
	}
	if w := s.Warnings(); len(w) > 0 {
		t.Errorf("listing warned: %v", w)
	}
}

func TestListVersion1File(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.json")
	os.WriteFile(path, []byte(`{"version": 1, "values": {"x": {"int": 4}, "s": {"str": "hi"}}}`), 0o600)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.List()
	want := []Entry{{Name: "s", Type: "str", GoType: "string", Short: "'hi'"}, {Name: "x", Type: "int", GoType: "int", Short: "4"}}
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("List of a version 1 file = %+v, %v; want %+v", got, err, want)
	}
}

// TestReadOnlyForAnotherUser needs a user whom the file's mode keeps out
// of a store in a directory that user may write: root writes anything, so
// the test runs itself again as nobody (setpriv, from util-linux). As any
// other user it says why it cannot run.
func TestReadOnlyForAnotherUser(t *testing.T) {
	if path := os.Getenv("STORE_TEST_FILE"); path != "" {
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if v, ok, err := s.Get("x"); err != nil || !ok || !v.Equal(IntValue(1)) {
			t.Fatalf("Get(x) as nobody = %v, %v, %v", v, ok, err)
		}
		if err := s.Set("y", IntValue(2)); !errors.Is(err, userfile.ErrReadOnly) {
			t.Fatalf("Set as nobody on root's 0644 store = %v, want ErrReadOnly", err)
		}
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root, to make a store that belongs to another user; TestReadOnlyFileIsLeftAlone covers the mode bits")
	}
	dir := asnobody.OpenDir(t)
	path := filepath.Join(dir, "store.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set("x", IntValue(1)); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	before, _ := os.ReadFile(path)
	asnobody.Rerun(t, dir, "TestReadOnlyForAnotherUser", "STORE_TEST_FILE="+path)
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Errorf("the store changed to %q", after)
	}
}

// BenchmarkListBigValue lists a store holding a 200 MB value.
func BenchmarkListBigValue(b *testing.B) {
	path := filepath.Join(b.TempDir(), "store.json")
	s, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.SetMany(map[string]Value{"big": BytesValue(make([]byte, 200<<20)), "x": IntValue(1)}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.List(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCorruptSymlinkedStoreMovesItsTarget(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.json")
	link := filepath.Join(dir, "store.json")
	os.WriteFile(target, []byte("{not json"), 0o600)
	os.Symlink("real.json", link)
	s, err := Open(link)
	var ce *CorruptError
	if !errors.As(err, &ce) || !strings.HasPrefix(ce.Moved, target+".corrupt-") {
		t.Fatalf("Open of a corrupt symlinked store = %v, want the target moved aside", err)
	}
	if err := s.Set("x", IntValue(1)); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v, %v", fi.Mode(), err)
	}
	if data, _ := os.ReadFile(target); !strings.Contains(string(data), `"x": {"int": 1}`) {
		t.Errorf("target holds %q", data)
	}
}
