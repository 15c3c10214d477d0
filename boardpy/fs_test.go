package boardpy_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/iotkernel/iotkernel/boardpy"
)

func TestHashOf(t *testing.T) {
	tests := []struct {
		like boardpy.FileHash
		data string
		want boardpy.FileHash
	}{
		{"adler32 00000001", "Wikipedia", "adler32 11e60398"},
		{"sha256 x", "abc", "sha256 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		if got := boardpy.HashOf(tt.like, []byte(tt.data)); got != tt.want {
			t.Errorf("HashOf(%q, %q) = %q, want %q", tt.like, tt.data, got, tt.want)
		}
	}
}

func TestJoin(t *testing.T) {
	for _, tt := range [][3]string{{"", "a", "a"}, {"/", "a", "/a"}, {"lib", "a.py", "lib/a.py"}, {"lib/", "a.py", "lib/a.py"}} {
		if got := boardpy.Join(tt[0], tt[1]); got != tt[2] {
			t.Errorf("Join(%q, %q) = %q, want %q", tt[0], tt[1], got, tt[2])
		}
	}
}

// TestFiles runs every file operation on the real Unix port, in a
// temporary directory given by its absolute path.
func TestFiles(t *testing.T) {
	b := localBoard(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "board")
	data := make([]byte, 5000)
	for i := range data {
		data[i] = byte(i) // every byte value, 0x04 included
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(data), func(i, j int) { data[i], data[j] = data[j], data[i] })

	if err := boardpy.Mkdir(ctx, b, dir, false); err != nil {
		t.Fatalf("Mkdir: %v", err)
	}
	if err := boardpy.Mkdir(ctx, b, dir, false); err == nil {
		t.Error("Mkdir of an existing directory: no error")
	}
	if err := boardpy.Mkdir(ctx, b, dir, true); err != nil {
		t.Errorf("Mkdir of an existing directory with existOK: %v", err)
	}
	file := boardpy.Join(dir, "data.bin")
	var progress []int64
	err := boardpy.Write(ctx, b, file, data, boardpy.WriteOptions{Chunk: 700, Progress: func(n int64) { progress = append(progress, n) }})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if want := []int64{700, 1400, 2100, 2800, 3500, 4200, 4900, 5000}; !slices.Equal(progress, want) {
		t.Errorf("Write reported progress %v, want %v", progress, want)
	}
	st, err := boardpy.Stat(ctx, b, file)
	if err != nil || !st.Exists || st.Dir || st.Size != 5000 || st.Hash != "" {
		t.Errorf("Stat(file) = %+v, %v; want a 5000-byte file, no hash", st, err)
	}
	st, err = boardpy.Hash(ctx, b, file, 5000)
	if err != nil || st.Hash == "" || boardpy.HashOf(st.Hash, data) != st.Hash {
		t.Errorf("Hash(file) = %+v, %v; want the hash of the data", st, err)
	}
	if st, _ := boardpy.Hash(ctx, b, file, 4999); st.Hash != "" {
		t.Errorf("Hash of another size = %+v, want no hash", st)
	}
	if st, err := boardpy.Stat(ctx, b, dir); err != nil || !st.Exists || !st.Dir {
		t.Errorf("Stat(dir) = %+v, %v; want a directory", st, err)
	}
	got, err := boardpy.Read(ctx, b, file, nil)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("Read = %d bytes, %v; want the %d bytes written", len(got), err, len(data))
	}
	if err := boardpy.Write(ctx, b, file, []byte("tail"), boardpy.WriteOptions{Append: true}); err != nil {
		t.Errorf("Write with Append: %v", err)
	}
	if got, _ := boardpy.Read(ctx, b, file, nil); !bytes.Equal(got, append(data[:len(data):len(data)], "tail"...)) {
		t.Errorf("after Append Read = %d bytes, want %d", len(got), len(data)+4)
	}
	if err := boardpy.Mkdir(ctx, b, boardpy.Join(dir, "sub"), false); err != nil {
		t.Fatal(err)
	}
	entries, isDir, err := boardpy.Ls(ctx, b, dir)
	want := []boardpy.Entry{{Name: "data.bin", Size: 5004}, {Name: "sub", Dir: true}}
	if err != nil || !isDir || !slices.Equal(entries, want) {
		t.Errorf("Ls(dir) = %+v, %v, %v; want %+v, a directory", entries, isDir, err, want)
	}
	entries, isDir, err = boardpy.Ls(ctx, b, file)
	if err != nil || isDir || len(entries) != 1 || entries[0].Name != file {
		t.Errorf("Ls(file) = %+v, %v, %v; want the file itself", entries, isDir, err)
	}
	if err := boardpy.Write(ctx, b, boardpy.Join(dir, "no/such.txt"), data, boardpy.WriteOptions{}); err == nil {
		t.Error("Write into a missing directory: no error")
	}
	if err := boardpy.Rm(ctx, b, dir, false); !errors.Is(err, boardpy.ErrIsDir) {
		t.Errorf("Rm(dir) = %v, want ErrIsDir", err)
	}
	if err := boardpy.Rm(ctx, b, dir, true); err != nil {
		t.Errorf("Rm(dir, recursive): %v", err)
	}
	if st, err := boardpy.Stat(ctx, b, dir); err != nil || st.Exists {
		t.Errorf("Stat after Rm = %+v, %v; want nothing", st, err)
	}
	if _, _, err := boardpy.Ls(ctx, b, dir); !errors.Is(err, boardpy.ErrNotFound) {
		t.Errorf("Ls of a removed directory = %v, want ErrNotFound", err)
	}
	if err := boardpy.Rm(ctx, b, dir, true); !errors.Is(err, boardpy.ErrNotFound) {
		t.Errorf("Rm of a removed directory = %v, want ErrNotFound", err)
	}
	checkClean(t, b)
}

// corrupting changes one byte of the data in the first n upload programs
// it passes on, as a noisy line would.
type corrupting struct {
	ex interface {
		Exec(ctx context.Context, code string, stdout, stderr io.Writer) error
	}
	n int
}

func (c *corrupting) Exec(ctx context.Context, code string, stdout, stderr io.Writer) error {
	if i := strings.Index(code, "_ik_f.write(b'0123"); i >= 0 && c.n > 0 {
		c.n--
		i += len("_ik_f.write(b'")
		code = code[:i] + "1" + code[i+1:]
	}
	return c.ex.Exec(ctx, code, stdout, stderr)
}

// TestWriteCorrupted sends a file again when its copy arrives changed,
// once: a second corruption is an error.
func TestWriteCorrupted(t *testing.T) {
	b := localBoard(t)
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "f.bin")
	data := bytes.Repeat([]byte("0123456789"), 300)
	c := &corrupting{ex: b, n: 1}
	if err := boardpy.Write(ctx, c, file, data, boardpy.WriteOptions{Chunk: 1024}); err != nil {
		t.Fatalf("Write with one corrupted upload: %v, want it sent again", err)
	}
	if c.n != 0 {
		t.Fatal("the upload was not corrupted: the test tests nothing")
	}
	if got, err := os.ReadFile(file); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after the second sending the board's file differs (%d bytes, %v)", len(got), err)
	}
	c = &corrupting{ex: b, n: 2}
	err := boardpy.Write(ctx, c, file, data, boardpy.WriteOptions{Chunk: 1024})
	if !errors.Is(err, boardpy.ErrCorrupted) || !strings.Contains(err.Error(), "hash mismatch after the copy") {
		t.Fatalf("Write corrupted twice = %v, want ErrCorrupted", err)
	}
	checkClean(t, b)
}

// TestWriteInterrupted stops a Write after each of its programs in turn:
// the error comes back, and the board holds neither an open file nor
// any of the package's names.
func TestWriteInterrupted(t *testing.T) {
	b := localBoard(t)
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "f.bin")
	data := bytes.Repeat([]byte("0123456789"), 300)
	for n := 0; n < 4; n++ {
		f := &failing{ex: b, n: n}
		if err := boardpy.Write(ctx, f, file, data, boardpy.WriteOptions{Chunk: 1024}); !errors.Is(err, errInterrupted) {
			t.Errorf("Write failing after %d programs = %v, want the interruption", n, err)
		}
		checkClean(t, b)
	}
	f := &failing{ex: b, n: 0}
	if _, err := boardpy.Read(ctx, f, file, nil); !errors.Is(err, errInterrupted) {
		t.Errorf("Read failing = %v, want the interruption", err)
	}
	checkClean(t, b)
}
