package host

import (
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"testing"
)

// get fetches url and returns its status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r.StatusCode, string(b)
}

// A cell's server with a nil handler serves what cells registered, and
// nothing of the kernel's: not the profiles and command line that
// net/http/pprof and expvar registered when the kernel started.
func TestDefaultServeMuxIsTheCells(t *testing.T) {
	in := newInterp(t)
	addr := freeAddr(t)
	mustEval(t, in, `http.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hi") })`)
	mustEval(t, in, fmt.Sprintf(`go http.ListenAndServe(%q, nil)`, addr))
	waitFor(t, "the server", func() bool { return listening(addr) })
	base := "http://" + addr
	if code, body := get(t, base+"/hello"); code != 200 || body != "hi" {
		t.Errorf("/hello: %d %q, want 200 \"hi\"", code, body)
	}
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/vars"} {
		if code, body := get(t, base+p); code != 404 {
			t.Errorf("%s on a cell's server that registered only /hello: %d %.80q, want 404", p, code, body)
		}
	}
	// Importing them, as a program would, registers them.
	mustEval(t, in, "import _ \"net/http/pprof\"\nimport \"expvar\"\nvar hits = expvar.NewInt(\"iotkernel_test_hits\")")
	if code, body := get(t, base+"/debug/pprof/cmdline"); code != 200 || body == "" {
		t.Errorf("/debug/pprof/cmdline after importing net/http/pprof: %d %q, want 200 and the command line", code, body)
	}
	if code, body := get(t, base+"/debug/vars"); code != 200 || !strings.Contains(body, "iotkernel_test_hits") {
		t.Errorf("/debug/vars after importing expvar: %d %.200q, want 200 and the cell's variable", code, body)
	}
	// Importing again registers nothing twice (which would panic).
	mustEval(t, in, "import _ \"net/http/pprof\"\nimport _ \"expvar\"")
	// http.Server with no Handler, and http.DefaultServeMux itself, are
	// the same mux.
	addr2 := freeAddr(t)
	mustEval(t, in, fmt.Sprintf(`srv := &http.Server{Addr: %q}; go srv.ListenAndServe()`, addr2))
	waitFor(t, "the second server", func() bool { return listening(addr2) })
	mustEval(t, in, `http.DefaultServeMux.HandleFunc("/later", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "later") })`)
	if code, body := get(t, "http://"+addr2+"/later"); code != 200 || body != "later" {
		t.Errorf("/later on an http.Server with no Handler: %d %q, want 200 \"later\"", code, body)
	}
	// The process's own mux has none of it.
	if h, p := http.DefaultServeMux.Handler(&http.Request{Method: "GET", URL: mustURL(t, "/debug/pprof/")}); p != "" {
		t.Errorf("the process's http.DefaultServeMux still routes /debug/pprof/ (to %T, pattern %q)", h, p)
	}
}

// A fresh interpreter has a fresh default mux: the server cell of the
// old one runs again without "pattern conflicts".
func TestDefaultServeMuxPerInterpreter(t *testing.T) {
	cell := `http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "root") })`
	for i := 0; i < 2; i++ {
		in := newInterp(t)
		mustEval(t, in, cell)
		in.Close()
	}
	// In one interpreter, registering the pattern twice panics as in Go.
	in := newInterp(t)
	mustEval(t, in, cell)
	_, _, err := eval(t, in, cell)
	if err == nil || !strings.Contains(err.Error(), `pattern "/" conflicts with pattern "/"`) || !strings.Contains(err.Error(), "http.NewServeMux()") ||
		strings.Contains(err.Error(), "registered at") {
		t.Errorf("registering \"/\" twice in one interpreter: %v; want Go's panic about the conflict, without the kernel's own file, saying how to run the cell again", err)
	}
}

func mustURL(t *testing.T, s string) *neturl.URL {
	t.Helper()
	u, err := neturl.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
