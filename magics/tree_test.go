package magics

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTreeMagic(t *testing.T) {
	b := newPyBoard(t)
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	writeTree(t, b.root, map[string]string{"main.py": "12345", "lib/a.py": "A", "lib/sub/b.py": "BB", "lib/z/c.py": "CCC", "boot.py": ""})
	n := b.execCount()
	out := mustRun(t, r, env, "tree")
	want := `:
├── boot.py
├── lib/
│   ├── a.py
│   ├── sub/
│   │   └── b.py
│   └── z/
│       └── c.py
└── main.py

3 folder(s), 5 file(s), 11 bytes
`
	if out != want {
		t.Errorf("%%tree printed:\n%s\nwant:\n%s", out, want)
	}
	if got := b.execCount() - n; got != 1 {
		t.Errorf("%%tree ran %d programs, want 1", got)
	}
	out = mustRun(t, r, env, "tree -l :lib/sub")
	if want := ":lib/sub\n└── b.py  (2 bytes)\n\n0 folder(s), 1 file(s), 2 bytes\n"; out != want {
		t.Errorf("%%tree -l :lib/sub printed %q, want %q", out, want)
	}
	for _, tt := range []struct{ line, want string }{
		{"tree :nope", "no such file or directory on the board"},
		{"tree :main.py", "is a file, not a folder"},
		{"tree lib", `"lib" is a host path`},
		{"tree :a :b", "want at most one :DIR"},
	} {
		if _, err := runMagic(t, r, env, tt.line); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%%%s = %v, want an error with %q", tt.line, err, tt.want)
		}
	}
}

func TestSHA256Magic(t *testing.T) {
	for _, opts := range [][]string{nil, {"nohashlib"}} {
		t.Run(fmt.Sprint(opts), func(t *testing.T) {
			b := newPyBoard(t, opts...)
			env := newFakeEnv(t)
			env.board = b
			r := NewRegistry(Options{})
			data := randomData(3000, 7)
			os.WriteFile(filepath.Join(b.root, "d.bin"), data, 0o644)
			os.Mkdir(filepath.Join(b.root, "lib"), 0o755)
			sum := sha256.Sum256(data)
			if out, want := mustRun(t, r, env, "sha256 :d.bin"), hex.EncodeToString(sum[:])+"  :d.bin\n"; out != want {
				t.Errorf("%%sha256 :d.bin = %q, want %q", out, want)
			}
			for _, tt := range []struct{ line, want string }{
				{"sha256 :nope", "sha256 :nope: no such file on the board"},
				{"sha256 :lib", "sha256 :lib: is a directory"},
				{"sha256", "want a :PATH"},
			} {
				if _, err := runMagic(t, r, env, tt.line); err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%%%s = %v, want an error with %q", tt.line, err, tt.want)
				}
			}
		})
	}
}

func TestDfMagic(t *testing.T) {
	b := newPyBoard(t)
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	out := mustRun(t, r, env, "df")
	want := "      size        used        free  use%  path\n   2.0 MiB   848.0 KiB     1.2 MiB   41%  :/\n"
	if out != want {
		t.Errorf("%%df printed:\n%q\nwant:\n%q", out, want)
	}
	if _, err := runMagic(t, r, env, "df :nope"); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("%%df :nope = %v", err)
	}
}
