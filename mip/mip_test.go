package mip

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRewriteURL(t *testing.T) {
	for _, tt := range []struct{ in, branch, want string }{
		{"github:org/repo/pkg/x.py", "", "https://raw.githubusercontent.com/org/repo/HEAD/pkg/x.py"},
		{"github:org/repo/package.json", "v2", "https://raw.githubusercontent.com/org/repo/v2/package.json"},
		{"gitlab:org/repo/x.py", "main", "https://gitlab.com/org/repo/-/raw/main/x.py"},
		{"https://example.com/x.py", "v2", "https://example.com/x.py"},
	} {
		if got := RewriteURL(tt.in, tt.branch); got != tt.want {
			t.Errorf("RewriteURL(%q, %q) = %q, want %q", tt.in, tt.branch, got, tt.want)
		}
	}
}

func TestCheckTarget(t *testing.T) {
	for p, ok := range map[string]bool{"a.py": true, "pkg/a.mpy": true, "../a.py": false, "/boot.py": false, "a/../../b": false, "a//b": false, "": false, `a\b`: false} {
		if err := checkTarget(p); (err == nil) != ok {
			t.Errorf("checkTarget(%q) = %v, want ok %v", p, err, ok)
		}
	}
}

// TestResolveCycle resolves two packages that depend on each other: each
// is fetched once.
func TestResolveCycle(t *testing.T) {
	files := map[string]string{}
	short := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		h := hex.EncodeToString(sum[:])[:8]
		files["/file/"+h[:2]+"/"+h] = s
		return h
	}
	files["/package/py/a/latest.json"] = fmt.Sprintf(`{"hashes": [["a.py", %q]], "deps": [["b", "latest"]]}`, short("A"))
	files["/package/py/b/latest.json"] = fmt.Sprintf(`{"hashes": [["b.py", %q]], "deps": [["a", "latest"]]}`, short("B"))
	var fetched []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched = append(fetched, r.URL.Path)
		s, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(s))
	}))
	defer srv.Close()
	res := &Resolver{Index: srv.URL}
	pkgs, err := res.Resolve(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != 2 || pkgs[0].Name != "a" || pkgs[1].Name != "b" || string(pkgs[1].Files[0].Data) != "B" {
		t.Errorf("Resolve(a) = %+v", pkgs)
	}
	if len(fetched) != 4 {
		t.Errorf("fetched %v, want each package and file once", fetched)
	}
	_, err = res.Resolve(context.Background(), "nope")
	if err == nil || !strings.Contains(err.Error(), "package nope not found") {
		t.Errorf("Resolve(nope) = %v", err)
	}
	files["/package/py/c/latest.json"] = `{"deps": [["gone", "1.0"]]}`
	_, err = res.Resolve(context.Background(), "c")
	if err == nil || !strings.Contains(err.Error(), "gone, needed by c: package gone version 1.0 not found") {
		t.Errorf("Resolve(c) = %v", err)
	}
}
