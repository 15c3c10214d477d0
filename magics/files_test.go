package magics

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/pysource"
)

// randomData returns n bytes holding every byte value, in random order.
func randomData(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	data := make([]byte, n)
	for i := range data {
		if i < 256 {
			data[i] = byte(i)
		} else {
			data[i] = byte(rng.IntN(256))
		}
	}
	rng.Shuffle(n, func(i, j int) { data[i], data[j] = data[j], data[i] })
	return data
}

func TestCopyRoundTrip(t *testing.T) {
	for _, opts := range [][]string{nil, {"nobinascii"}, {"nohashlib"}, {"nobinascii", "nohashlib"}, {"uprefix"}} {
		t.Run(strings.Join(append([]string{"board"}, opts...), "-"), func(t *testing.T) {
			b := newPyBoard(t, opts...)
			env := newFakeEnv(t)
			env.board = b
			r := NewRegistry(Options{ChunkSize: 1000})
			data := randomData(5000, 1)
			src := filepath.Join(env.dir, "data.bin")
			if err := os.WriteFile(src, data, 0o644); err != nil {
				t.Fatal(err)
			}
			out := mustRun(t, r, env, "cp data.bin :data.bin")
			if out != "copied 1 file(s), 4.9 KiB\n" {
				t.Errorf("%%cp up printed %q", out)
			}
			onBoard, err := os.ReadFile(filepath.Join(b.root, "data.bin"))
			if err != nil || !bytes.Equal(onBoard, data) {
				t.Fatalf("board file differs from the host's (err %v)", err)
			}
			hashAlg := "sha256"
			if strings.Contains(strings.Join(opts, " "), "nohashlib") {
				hashAlg = "adler32"
			}
			printed := strings.Join(b.outs, "")
			if !strings.Contains(printed, "hash="+hashAlg+" ") {
				t.Errorf("the board did not hash with %s; it printed:\n%s", hashAlg, short(printed, 600))
			}
			b64 := "b64=1"
			if strings.Contains(strings.Join(opts, " "), "nobinascii") {
				b64 = "b64=0"
			}
			if !strings.Contains(printed, b64) {
				t.Errorf("the upload did not report %s; the board printed:\n%s", b64, short(printed, 600))
			}

			// Down again, into a directory.
			if err := os.Mkdir(filepath.Join(env.dir, "back"), 0o755); err != nil {
				t.Fatal(err)
			}
			mustRun(t, r, env, "cp :data.bin back/")
			back, err := os.ReadFile(filepath.Join(env.dir, "back", "data.bin"))
			if err != nil || !bytes.Equal(back, data) {
				t.Fatalf("round trip changed the data (err %v)", err)
			}

			// Unchanged files are not sent again: one stat with hash, no writes.
			n := b.execCount()
			out = mustRun(t, r, env, "cp data.bin :data.bin")
			if out != "copied 0 file(s), 0 bytes; 1 unchanged\n" {
				t.Errorf("second %%cp printed %q", out)
			}
			if got := b.execCount() - n; got > 2 {
				t.Errorf("unchanged copy up took %d Execs", got)
			}
			n = b.execCount()
			mustRun(t, r, env, "cp :data.bin back/data.bin")
			if got := b.execCount() - n; got > 3 {
				t.Errorf("unchanged copy down took %d Execs", got)
			}

			// A changed byte of the same size is copied.
			data[4000] ^= 0x55
			os.WriteFile(src, data, 0o644)
			if out := mustRun(t, r, env, "cp data.bin :"); out != "copied 1 file(s), 4.9 KiB\n" {
				t.Errorf("%%cp of a changed file printed %q", out)
			}
			if onBoard, _ := os.ReadFile(filepath.Join(b.root, "data.bin")); !bytes.Equal(onBoard, data) {
				t.Error("changed file not copied")
			}
			// No _ik_ names are left on the board.
			if got := b.run("print([n for n in globals() if n.startswith('_ik')])\n"); got != "[]\n" {
				t.Errorf("names left on the board: %s", got)
			}
		})
	}
}

func TestCopyEmptyAndBoardToBoard(t *testing.T) {
	b := newPyBoard(t)
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	os.WriteFile(filepath.Join(env.dir, "empty"), nil, 0o644)
	mustRun(t, r, env, "cp empty :empty")
	if fi, err := os.Stat(filepath.Join(b.root, "empty")); err != nil || fi.Size() != 0 {
		t.Errorf("empty file on the board: %v %v", fi, err)
	}
	os.WriteFile(filepath.Join(b.root, "a.py"), []byte("print('a')\n"), 0o644)
	mustRun(t, r, env, "cp :a.py :/b.py")
	if got, _ := os.ReadFile(filepath.Join(b.root, "b.py")); string(got) != "print('a')\n" {
		t.Errorf("board-to-board copy gave %q", got)
	}
}

// corruptBoard flips the first byte of each base64 chunk it uploads.
type corruptBoard struct{ *pyBoard }

func (c corruptBoard) Exec(ctx context.Context, code string, stdout, stderr io.Writer) error {
	code = strings.Replace(code, "_ik_f.write(_ik_b(b'A", "_ik_f.write(_ik_b(b'B", 1)
	code = strings.Replace(code, "_ik_f.write(b'\\x00", "_ik_f.write(b'\\x01", 1)
	return c.pyBoard.Exec(ctx, code, stdout, stderr)
}

func TestCopyDetectsCorruption(t *testing.T) {
	b := newPyBoard(t)
	env := newFakeEnv(t)
	env.board = corruptBoard{b}
	r := NewRegistry(Options{})
	data := make([]byte, 3000) // all zero: base64 "AAAA...", literal "\x00..."
	os.WriteFile(filepath.Join(env.dir, "z.bin"), data, 0o644)
	_, err := runMagic(t, r, env, "cp z.bin :z.bin")
	if err == nil || !strings.Contains(err.Error(), "hash mismatch") {
		t.Errorf("corrupted upload = %v, want a hash mismatch", err)
	}
}

func TestCopyTree(t *testing.T) {
	b := newPyBoard(t)
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	tree := map[string]string{"lib/a.py": "A", "lib/sub/b.py": "BB", "lib/sub/c.txt": "ünïcode"}
	for p, s := range tree {
		full := filepath.Join(env.dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, []byte(s), 0o644)
	}
	if _, err := runMagic(t, r, env, "cp lib :"); err == nil || !strings.Contains(err.Error(), "is a directory (%cp -r copies it)") {
		t.Errorf("%%cp of a directory without -r = %v", err)
	}
	mustRun(t, r, env, "cp -r lib :")
	for p, s := range tree {
		if got, err := os.ReadFile(filepath.Join(b.root, p)); err != nil || string(got) != s {
			t.Errorf("board %s = %q, %v; want %q", p, got, err, s)
		}
	}
	out := mustRun(t, r, env, "ls -l :lib/sub")
	if out != "         2  b.py\n         9  c.txt\n" {
		t.Errorf("%%ls -l :lib/sub = %q", out)
	}
	if out := mustRun(t, r, env, "ls :lib"); out != "a.py\nsub/\n" {
		t.Errorf("%%ls :lib = %q", out)
	}
	// Back down, recursively, under a new name.
	mustRun(t, r, env, "cp -r :lib copy")
	for p, s := range tree {
		p = "copy" + strings.TrimPrefix(p, "lib")
		if got, err := os.ReadFile(filepath.Join(env.dir, p)); err != nil || string(got) != s {
			t.Errorf("host %s = %q, %v; want %q", p, got, err, s)
		}
	}
	if out := mustRun(t, r, env, "cat :lib/sub/c.txt :lib/a.py"); out != "ünïcodeA" {
		t.Errorf("%%cat = %q", out)
	}
	if _, err := runMagic(t, r, env, "rm :lib"); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("%%rm of a directory = %v", err)
	}
	mustRun(t, r, env, "rm :lib/a.py")
	if _, err := os.Stat(filepath.Join(b.root, "lib/a.py")); err == nil {
		t.Error("lib/a.py survived %rm")
	}
	mustRun(t, r, env, "rm -r :lib")
	if _, err := os.Stat(filepath.Join(b.root, "lib")); err == nil {
		t.Error("lib survived %rm -r")
	}
	if _, err := runMagic(t, r, env, "rm :lib"); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("%%rm of a missing path = %v", err)
	}
}

func TestBoardFileErrors(t *testing.T) {
	b := newPyBoard(t)
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	mustRun(t, r, env, "mkdir :d :/e")
	for _, d := range []string{"d", "e"} {
		if fi, err := os.Stat(filepath.Join(b.root, d)); err != nil || !fi.IsDir() {
			t.Errorf("%%mkdir made no %s", d)
		}
	}
	tests := []struct{ line, want string }{
		{"mkdir :d", "mkdir :d: already exists on the board"},
		{"mkdir :no/such", "mkdir :no/such: "},
		{"ls :nosuch", "ls :nosuch: no such file or directory on the board"},
		{"ls d", `"d" is a host path: board paths start with ':'`},
		{"cat :d", "cat :d: is a directory"},
		{"cat :nosuch", "cat :nosuch: no such file on the board"},
		{"cp :nosuch x", "cp: :nosuch: no such file or directory"},
		{"cp a b :nosuchdir", ":nosuchdir is not a directory"},
		{"cp :d/ x", "is a directory"},
		{"rm nosuch", "is a host path"},
		{"cp", "want SRC... DST"},
	}
	for _, tt := range tests {
		_, err := runMagic(t, r, env, tt.line)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%%%s = %v, want %q", tt.line, err, tt.want)
		}
	}
	os.WriteFile(filepath.Join(env.dir, "x.py"), []byte("x"), 0o644)
	if _, err := runMagic(t, r, env, "cp x.py :no/such/x.py"); err == nil || !strings.Contains(err.Error(), "the board cannot open it") {
		t.Errorf("%%cp into a missing board directory = %v", err)
	}
	if got := b.run("print([n for n in globals() if n.startswith('_ik')])\n"); got != "[]\n" {
		t.Errorf("names left on the board after errors: %s", got)
	}
}

func TestWriteFile(t *testing.T) {
	b := newPyBoard(t)
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	ctx := context.Background()
	body := "line 1\n'quoted' \"dq\" \\ é\n"
	if err := r.WriteFile(ctx, "notes.txt", body, env); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteFile(ctx, "-a notes.txt", "more\n", env); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteFile(ctx, "notes.txt -a", "end\n", env); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(env.dir, "notes.txt")); string(got) != body+"more\nend\n" {
		t.Errorf("host file = %q", got)
	}
	if err := r.WriteFile(ctx, ":main.py", body, env); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteFile(ctx, "-a :main.py", "x = 1\n", env); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(b.root, "main.py")); string(got) != body+"x = 1\n" {
		t.Errorf("board file = %q", got)
	}
	want := "Writing " + filepath.Join(env.dir, "notes.txt") + "\nAppending to " + filepath.Join(env.dir, "notes.txt") + "\n"
	if got := env.stdout.String(); !strings.HasPrefix(got, want) || !strings.Contains(got, "Writing :main.py\nAppending to :main.py\n") {
		t.Errorf("output %q", got)
	}
	if err := r.WriteFile(ctx, "", "x", env); err == nil {
		t.Error("%%writefile without a path succeeded")
	}
}

// steppingClock advances by step on each reading.
type steppingClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *steppingClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

func TestCopyProgress(t *testing.T) {
	b := newPyBoard(t)
	env := newFakeEnv(t)
	env.board = b
	clock := &steppingClock{t: time.Unix(1e9, 0), step: 300 * time.Millisecond}
	r := NewRegistry(Options{ChunkSize: 512, Now: clock.now})
	os.WriteFile(filepath.Join(env.dir, "big.bin"), randomData(8192, 2), 0o644)
	mustRun(t, r, env, "cp big.bin :big.bin")
	if len(env.displays) < 3 {
		t.Fatalf("%d displays, want a progress bar that updates", len(env.displays))
	}
	first := env.displays[0]
	if first.update || first.id == "" {
		t.Errorf("first display %+v, want a new display with an id", first)
	}
	for _, d := range env.displays[1:] {
		if !d.update || d.id != first.id {
			t.Errorf("display %+v does not update %s", d, first.id)
		}
	}
	if text := env.displays[len(env.displays)-2].data["text/plain"].(string); !strings.Contains(text, "100%") || !strings.Contains(text, "big.bin -> :big.bin") {
		t.Errorf("last progress %q", text)
	}
	if text := env.displays[len(env.displays)-1].data["text/plain"].(string); !strings.HasPrefix(text, "copied 1 file(s), 8.0 KiB in ") {
		t.Errorf("final display %q", text)
	}

	// A quick copy shows no bar.
	env2 := newFakeEnv(t)
	env2.board = b
	os.WriteFile(filepath.Join(env2.dir, "small"), []byte("x"), 0o644)
	mustRun(t, NewRegistry(Options{}), env2, "cp small :small")
	if len(env2.displays) != 0 {
		t.Errorf("a quick copy showed %d displays", len(env2.displays))
	}
}

func TestPyLiterals(t *testing.T) {
	b := newPyBoard(t)
	data := randomData(600, 3)
	s := "a'b\"c\\d\n\x04 é中😀\x7f"
	got := b.run("print(" + pysource.Bytes(data) + " == bytes.fromhex('" + hexString(data) + "'))\nprint(" + pysource.Str(s) + " == bytes.fromhex('" + hexString([]byte(s)) + "').decode())\n")
	if got != "True\nTrue\n" {
		t.Errorf("literals decode wrong: %q", got)
	}
}

func hexString(p []byte) string {
	var b strings.Builder
	for _, c := range p {
		b.WriteString("0123456789abcdef"[c>>4 : c>>4+1])
		b.WriteString("0123456789abcdef"[c&15 : c&15+1])
	}
	return b.String()
}
