package host

import (
	"errors"
	"net/http"
	httppprof "net/http/pprof"
	"regexp"
	"strings"
)

// Each interpreter has its own http.DefaultServeMux. In a compiled
// program the default mux starts empty, and a package the program imports
// for its side effects (net/http/pprof, expvar) adds its handlers. Here
// the whole standard library is linked in, so those packages' init
// functions ran at kernel start, on the process's mux: a cell's
// http.ListenAndServe(addr, nil) would have served the kernel's profiles
// and command line to whoever asked. And the handlers a cell registers
// would outlive %hostreset, so that running the same cell again in the
// fresh interpreter panicked on the duplicate pattern.
//
// So cells see http.DefaultServeMux, http.Handle and http.HandleFunc bound
// to the interpreter's own mux (tracker.mux), which servers a cell starts
// with a nil handler serve; importing net/http/pprof or expvar in a cell
// (with _ or not) registers their handlers there, as their init would
// (expvar's serving the interpreter's variables, expvar.go).

func init() {
	// For what still reaches the process's mux (httptest.NewServer(nil),
	// a server started on a goroutine of no cell): drop what the
	// side-effect packages registered at start.
	http.DefaultServeMux = http.NewServeMux()
}

// importSideEffects registers on mux the handlers that importing the
// package at path registers in a compiled program; vars serves the
// interpreter's expvar variables (expvar.go).
var importSideEffects = map[string]func(mux *http.ServeMux, vars http.Handler){
	"net/http/pprof": func(mux *http.ServeMux, _ http.Handler) {
		mux.HandleFunc("GET /debug/pprof/", httppprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", httppprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", httppprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", httppprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", httppprof.Trace)
	},
	"expvar": func(mux *http.ServeMux, vars http.Handler) {
		mux.Handle("GET /debug/vars", vars)
	},
}

// imported applies the side effects of importing path to the
// interpreter's mux, once per interpreter.
func (t *tracker) imported(path string, vars http.Handler) {
	register, ok := importSideEffects[path]
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sideEffects[path] {
		return
	}
	if t.sideEffects == nil {
		t.sideEffects = map[string]bool{}
	}
	t.sideEffects[path] = true
	register(t.mux, vars)
}

// handler is what a server a cell starts with handler h serves: h, or
// the interpreter's default mux when h is nil.
func (t *tracker) handler(h http.Handler) http.Handler {
	if h == nil && t != nil {
		return t.mux
	}
	return h
}

// handle is http.Handle and http.HandleFunc in cells: it calls add with
// the interpreter's mux. Registering a pattern twice panics, as in Go, but
// http.ServeMux's message names the Go file and line of each
// registration, which here are always this package's; the panic says
// instead how to run a server cell again, which is how notebooks meet it.
func (t *tracker) handle(add func(*http.ServeMux)) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if err, ok := r.(error); ok && strings.Contains(err.Error(), "conflicts with pattern") {
			panic(errors.New(registeredAt.ReplaceAllString(err.Error(), "") + "\n" + rerunServer))
		}
		panic(r)
	}()
	add(t.mux)
}

var registeredAt = regexp.MustCompile(` \(registered at [^)]*\)`)

const rerunServer = "(the handlers cells register on http.DefaultServeMux stay there: to run a server cell again, " +
	"give it a mux of its own, mux := http.NewServeMux(), or run %hostreset, which starts a fresh Go interpreter)"
