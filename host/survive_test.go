package host

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The panics and runaway calls that would end a compiled Go program end
// only their goroutine, callback or cell here: the kernel goes on, and so
// do the definitions of earlier cells.

func TestGoroutinePanicIsReported(t *testing.T) {
	in := newInterp(t)
	mustEval(t, in, `kept := "yes"`)
	// The goroutine panics while a later cell runs: the report goes to
	// that cell, and names the line of the go statement in its own cell.
	_, started := mustEval(t, in, "import \"time\"\ngo func() { time.Sleep(100 * time.Millisecond); panic(\"late\") }()")
	_, running := mustEval(t, in, `time.Sleep(2 * time.Second)`)
	want := "panic in a goroutine started at line 2 of an earlier cell: late\n" +
		"    go func() { time.Sleep(100 * time.Millisecond); panic(\"late\") }()\n"
	if got := running.stderr.String(); !strings.HasPrefix(got, want) {
		t.Errorf("stderr of the running cell = %q, want it to start with %q", got, want)
	}
	if got := started.stderr.String(); got != "" {
		t.Errorf("stderr of the starting cell = %q, want nothing", got)
	}
	wantValue(t, in, `kept`, "yes")

	// With no cell running, the report goes to the last cell.
	_, last := mustEval(t, in, `go func() { panic("now") }()`)
	waitFor(t, "the report", func() bool { return strings.Contains(last.stderr.String(), "\n") })
	want = "panic in a goroutine started at line 1 of this cell: now\n"
	if got := last.stderr.String(); !strings.HasPrefix(got, want) {
		t.Errorf("stderr of the last cell = %q, want it to start with %q", got, want)
	}
	wantValue(t, in, `kept`, "yes")

	// A nil pointer in a goroutine is reported in Go's words.
	_, nilp := mustEval(t, in, "go func() {\n\tvar p *int\n\t*p = 1\n}()")
	waitFor(t, "the report", func() bool { return strings.Contains(nilp.stderr.String(), "\n") })
	want = "panic in a goroutine started at line 1 of this cell: runtime error: invalid memory address or nil pointer dereference ("
	if got := nilp.stderr.String(); !strings.HasPrefix(got, want) {
		t.Errorf("stderr of a nil pointer's goroutine = %q, want it to start with %q", got, want)
	}
}

func TestAfterFuncPanicIsReported(t *testing.T) {
	in := newInterp(t)
	mustEval(t, in, `kept := 1`)
	// The panic unwinds through the interpreted calls inside the callback,
	// as in Go: "after" is never printed.
	_, rec := mustEval(t, in, "import \"time\"\nboom := func() { panic(\"x\") }\ntime.AfterFunc(10*time.Millisecond, func() {\n\tboom()\n\tprintln(\"after\")\n})")
	waitFor(t, "the report", func() bool { return strings.Contains(rec.stderr.String(), "kept") })
	want := "panic in a function that Go code called on a goroutine of its own (the function is at line 3 of this cell): x\n" +
		"    time.AfterFunc(10*time.Millisecond, func() {\n" +
		"  at line 2 of this cell, in func: boom := func() { panic(\"x\") }\n" +
		"  at line 4 of this cell, in func.func: boom()\n" +
		"The goroutine ended; the kernel and its definitions are kept.\n"
	if got := rec.stderr.String(); got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	wantValue(t, in, `kept + 1`, "2")
}

func TestHTTPHandlerPanicIsReported(t *testing.T) {
	in := newInterp(t)
	res, rec := mustEval(t, in, `
ln, err := net.Listen("tcp", "127.0.0.1:0")
if err != nil {
	panic(err)
}
srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	panic("boom " + r.URL.Path)
})}
go srv.Serve(ln)
ln.Addr().String()`)
	if !res.Has {
		t.Fatal("no address")
	}
	t.Cleanup(func() { eval(t, in, `srv.Close()`) })
	// As in Go, the client sees the connection dropped, not a response.
	resp, err := http.Get("http://" + res.Value + "/x")
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Errorf("GET = %s %q, want an error", resp.Status, body)
	}
	want := "panic in a function that Go code called on a goroutine of its own (the function is at line 6 of this cell): boom /x\n"
	waitFor(t, "the report", func() bool { return strings.Contains(rec.stderr.String(), "kept") })
	if got := rec.stderr.String(); !strings.HasPrefix(got, want) {
		t.Errorf("stderr = %q, want it to start with %q", got, want)
	}
	// The server survives and serves again.
	if _, err := http.Get("http://" + res.Value + "/y"); err == nil {
		t.Error("second GET succeeded, want the handler to panic again")
	}
	waitFor(t, "the second report", func() bool { return strings.Contains(rec.stderr.String(), "boom /y") })
	wantValue(t, in, `ln.Addr().String() == "`+res.Value+`"`, "true")
}

func TestSortLessPanicFailsTheCell(t *testing.T) {
	in := newInterp(t)
	mustEval(t, in, `xs := []int{3, 1, 2}`)
	// sort.Slice calls less on the cell's own goroutine: the panic ends
	// the cell, with the line of less in its traceback.
	_, _, err := eval(t, in, "import \"sort\"\nsort.Slice(xs, func(i, j int) bool {\n\tpanic(\"less\")\n})")
	var pe *PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a PanicError", err)
	}
	if pe.Value != "less" {
		t.Errorf("panic value = %q, want %q", pe.Value, "less")
	}
	if len(pe.Traceback) == 0 || !strings.HasPrefix(pe.Traceback[0], "cell, line 3, in ") {
		t.Errorf("traceback = %q, want it to start at line 3", pe.Traceback)
	}
	wantValue(t, in, `len(xs)`, "3")
}

func TestRecursionError(t *testing.T) {
	in := newInterp(t)
	mustEval(t, in, `kept := "yes"`)
	_, _, err := eval(t, in, "func f(n int) int { return f(n+1) + 1 }\nf(0)")
	var re *RecursionError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a RecursionError", err)
	}
	if re.Depth != DefaultMaxCallDepth || re.Line != 1 {
		t.Errorf("RecursionError depth %d line %d, want %d and 1", re.Depth, re.Line, DefaultMaxCallDepth)
	}
	want := "RecursionError: maximum call depth exceeded (10000 nested calls) at line 1"
	if re.Error() != want {
		t.Errorf("Error() = %q, want %q", re.Error(), want)
	}
	// The router shows it as a panic with its traceback, folded.
	var pe *PanicError
	if !errors.As(err, &pe) {
		t.Fatal("a RecursionError does not unwrap to a PanicError")
	}
	frame := "cell, line 1, in f\n    func f(n int) int { return f(n+1) + 1 }"
	wantTB := []string{frame, frame, frame, "[previous line repeated 9995 more times]"}
	if len(pe.Traceback) < len(wantTB) || strings.Join(pe.Traceback[:len(wantTB)], "|") != strings.Join(wantTB, "|") {
		t.Errorf("traceback = %q, want it to start with %q", pe.Traceback, wantTB)
	}
	wantValue(t, in, `kept`, "yes")
	wantValue(t, in, `f != nil`, "true")
}

func TestRecursionInGoroutineIsReported(t *testing.T) {
	in, err := New(Options{MaxCallDepth: 500})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	mustEval(t, in, `func f(n int) int { return f(n+1) + 1 }`)
	_, rec := mustEval(t, in, "x := 1\ngo f(0)")
	want := "panic in a goroutine started at line 2 of this cell: maximum call depth exceeded (500 interpreted calls deep)\n" +
		"    go f(0)\n" +
		"  at line 1 of an earlier cell, in f: func f(n int) int { return f(n+1) + 1 }\n" +
		"  at line 1 of an earlier cell, in f: func f(n int) int { return f(n+1) + 1 }\n" +
		"  at line 1 of an earlier cell, in f: func f(n int) int { return f(n+1) + 1 }\n" +
		"  [previous line repeated 497 more times]\n" +
		"(runaway recursion, stopped)\n"
	waitFor(t, "the report", func() bool { return strings.Contains(rec.stderr.String(), "kept") })
	if got := rec.stderr.String(); !strings.HasPrefix(got, want) {
		t.Errorf("stderr = %q, want it to start with %q", got, want)
	}
	wantValue(t, in, `x`, "1")
}

func TestClosureRecursionError(t *testing.T) {
	in, err := New(Options{MaxCallDepth: 500})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	_, _, err = eval(t, in, "var g func(int) int\ng = func(n int) int {\n\treturn g(n+1) + 1\n}\ng(0)")
	var re *RecursionError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a RecursionError", err)
	}
	if re.Depth != 500 || re.Line != 3 {
		t.Errorf("RecursionError depth %d line %d, want 500 and 3", re.Depth, re.Line)
	}
	wantValue(t, in, `g != nil`, "true")
}
