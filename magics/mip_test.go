package magics

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testIndex is a package index laid out as micropython.org/pi/v2 is,
// served on 127.0.0.1 from a temporary directory.
type testIndex struct {
	t    *testing.T
	root string
	srv  *httptest.Server
}

func newTestIndex(t *testing.T) *testIndex {
	t.Helper()
	ix := &testIndex{t: t, root: t.TempDir()}
	ix.srv = httptest.NewServer(http.FileServer(http.Dir(ix.root)))
	t.Cleanup(ix.srv.Close)
	return ix
}

func (ix *testIndex) put(rel string, data []byte) {
	ix.t.Helper()
	p := filepath.Join(ix.root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		ix.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		ix.t.Fatal(err)
	}
}

// file stores content under file/HH/HASH and returns its short hash.
func (ix *testIndex) file(content string) string {
	sum := sha256.Sum256([]byte(content))
	short := hex.EncodeToString(sum[:])[:8]
	ix.put("file/"+short[:2]+"/"+short, []byte(content))
	return short
}

// pkg stores a package.json at rel.
func (ix *testIndex) pkg(rel string, pj map[string]any) {
	ix.t.Helper()
	data, err := json.Marshal(pj)
	if err != nil {
		ix.t.Fatal(err)
	}
	ix.put(rel, data)
}

func TestMipRealBoard(t *testing.T) {
	ix := newTestIndex(t)
	// greet depends on util; its version 1.0 is pinned below.
	ix.pkg("package/6/greet/latest.json", map[string]any{
		"version": "2.0",
		"hashes":  [][2]string{{"greet/__init__.py", ix.file("from util import KIND\nVERSION = '2.0'\n")}},
		"deps":    [][2]string{{"util", "latest"}},
	})
	ix.pkg("package/6/greet/1.0.json", map[string]any{
		"version": "1.0",
		"hashes":  [][2]string{{"greet/__init__.py", ix.file("from util import KIND\nVERSION = '1.0'\n")}},
		"deps":    [][2]string{{"util", "latest"}},
	})
	ix.pkg("package/6/util/latest.json", map[string]any{"hashes": [][2]string{{"util.py", ix.file("KIND = 'for mpy 6'\n")}}})
	ix.pkg("package/py/util/latest.json", map[string]any{"hashes": [][2]string{{"util.py", ix.file("KIND = 'source'\n")}}})
	// bad's file is not what its hash says.
	ix.pkg("package/6/bad/latest.json", map[string]any{
		"hashes": [][2]string{{"good.py", ix.file("G = 1\n")}, {"bad.py", "deadbeef"}},
	})
	ix.put("file/de/deadbeef", []byte("print('tampered')\n"))
	ix.pkg("package/6/evil/latest.json", map[string]any{"hashes": [][2]string{{"../../boot.py", ix.file("x = 1\n")}}})
	// URL packages: one file, and a folder with a package.json whose
	// file URLs are relative to it.
	ix.put("raw/single.py", []byte("SINGLE = 1\n"))
	ix.put("raw/tools/tool.py", []byte("TOOL = 1\n"))
	ix.pkg("raw/tools/package.json", map[string]any{"urls": [][2]string{{"tools/tool.py", "tool.py"}}, "deps": [][2]string{{"util", "latest"}}})

	b := unixBoard(t)
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	target := filepath.Join(t.TempDir(), "lib")
	run := func(line string) string {
		t.Helper()
		return mustRun(t, r, env, strings.ReplaceAll(strings.ReplaceAll(line, "INDEX", ix.srv.URL), "TARGET", ":"+target))
	}

	out := run("mip install greet --index INDEX --target TARGET")
	want := "Installing greet from INDEX to :TARGET\n  :TARGET/greet/__init__.py (38 bytes)\n  :TARGET/util.py (19 bytes)\ninstalled greet latest, util latest: 2 file(s), 57 bytes\n"
	want = strings.NewReplacer("INDEX", ix.srv.URL, ":TARGET", ":"+target).Replace(want)
	if out != want {
		t.Errorf("%%mip install greet printed:\n%s\nwant:\n%s", out, want)
	}
	check := runOn(t, b, "import sys\nsys.path.insert(0, "+quote(target)+")\nimport greet\nprint(greet.VERSION, greet.KIND)\n")
	if check != "2.0 for mpy 6\n" {
		t.Errorf("the board imports greet as %q, want version 2.0 with util for .mpy 6", check)
	}

	run("mip install greet@1.0 --index INDEX --target TARGET")
	if got, _ := os.ReadFile(filepath.Join(target, "greet", "__init__.py")); !strings.Contains(string(got), "'1.0'") {
		t.Errorf("after greet@1.0 the board has %q", got)
	}
	run("mip install -no-mpy util --index INDEX --target TARGET")
	if got, _ := os.ReadFile(filepath.Join(target, "util.py")); string(got) != "KIND = 'source'\n" {
		t.Errorf("with -no-mpy util.py is %q, want the source package's", got)
	}
	run("mip install INDEX/raw/single.py INDEX/raw/tools --index INDEX --target TARGET")
	for _, f := range []string{"single.py", "tools/tool.py", "util.py"} {
		if _, err := os.Stat(filepath.Join(target, f)); err != nil {
			t.Errorf("URL packages: %s missing: %v", f, err)
		}
	}

	for _, tt := range []struct{ line, want string }{
		{"mip install nope --index INDEX --target TARGET", "package nope not found (INDEX/package/6/nope/latest.json answered 404)"},
		{"mip install greet@9.9 --index INDEX --target TARGET", "package greet version 9.9 not found"},
		{"mip install bad --index INDEX --target TARGET", "bad.py from INDEX/file/de/deadbeef has SHA-256"},
		{"mip install evil --index INDEX --target TARGET", `file path "../../boot.py" escapes`},
		{"mip install ../x --index INDEX --target TARGET", "is no package name"},
		{"mip remove greet", `"remove" is no %mip command`},
		{"mip install", "want a package"},
		{"mip install greet --target lib", `"lib" is a host path`},
	} {
		line := strings.ReplaceAll(strings.ReplaceAll(tt.line, "INDEX", ix.srv.URL), "TARGET", ":"+target)
		_, err := runMagic(t, r, env, line)
		if want := strings.ReplaceAll(tt.want, "INDEX", ix.srv.URL); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%%%s = %v, want an error with %q", line, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(target, "good.py")); err == nil {
		t.Error("a package with a bad hash was partly installed")
	}
	if out := mustRun(t, r, env, "mip -h"); !strings.Contains(out, "usage: %mip [-index] [-no-mpy] [-target] install PKG[@VERSION]...") || !strings.Contains(out, "-target :DIR") {
		t.Errorf("%%mip -h printed:\n%s", out)
	}
}

// quote is a Python string literal of s, for test programs.
func quote(s string) string {
	data, _ := json.Marshal(s)
	return string(data)
}
