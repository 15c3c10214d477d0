package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is an io.Writer safe for the goroutines of cells.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type displayCall struct {
	data   map[string]any
	id     string
	update bool
}

// recorder is one cell's IO, recording everything.
type recorder struct {
	stdout, stderr syncBuffer
	mu             sync.Mutex
	displays       []displayCall
	clears         []bool
	prompts        int
	answers        []string // Input answers, in order; nil Input when answers is nil
}

func (r *recorder) IO() IO {
	io := IO{
		Stdout: &r.stdout,
		Stderr: &r.stderr,
		Display: func(data, _ map[string]any, id string, update bool) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.displays = append(r.displays, displayCall{data, id, update})
		},
		Clear: func(wait bool) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.clears = append(r.clears, wait)
		},
	}
	if r.answers != nil {
		io.Input = func(ctx context.Context, _ string) (string, error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			if r.prompts >= len(r.answers) {
				return "", errors.New("no more answers")
			}
			r.prompts++
			return r.answers[r.prompts-1], nil
		}
	}
	return io
}

func newInterp(t *testing.T) *Interp {
	t.Helper()
	in, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	return in
}

// eval runs code in a fresh recorder.
func eval(t *testing.T, in *Interp, code string) (Result, *recorder, error) {
	t.Helper()
	rec := &recorder{}
	res, err := in.Eval(context.Background(), code, rec.IO())
	return res, rec, err
}

// mustEval runs code and fails the test on error.
func mustEval(t *testing.T, in *Interp, code string) (Result, *recorder) {
	t.Helper()
	res, rec, err := eval(t, in, code)
	if err != nil {
		t.Fatalf("Eval(%q): %v (stderr %q)", code, err, rec.stderr.String())
	}
	return res, rec
}

// wantValue runs code and checks the value shown.
func wantValue(t *testing.T, in *Interp, code, want string) {
	t.Helper()
	res, _ := mustEval(t, in, code)
	if !res.Has || res.Value != want {
		t.Errorf("Eval(%q) = %+v, want value %q", code, res, want)
	}
}

func TestPersistence(t *testing.T) {
	in := newInterp(t)
	mustEval(t, in, `x := 40`)
	mustEval(t, in, "import \"strings\"\nfunc shout(s string) string { return strings.ToUpper(s) + \"!\" }")
	mustEval(t, in, "type Point struct{ X, Y int }\nfunc (p Point) Sum() int { return p.X + p.Y }")
	wantValue(t, in, `x + 2`, "42")
	wantValue(t, in, `shout("hi")`, "HI!")
	wantValue(t, in, `Point{1, 2}.Sum()`, "3")
	wantValue(t, in, `strings.Repeat("a", 3)`, "aaa")
}

func TestRerunCells(t *testing.T) {
	cells := []struct{ name, code, check, want string }{
		{"import", `import "fmt"`, `fmt.Sprint(1)`, "1"},
		{"imports", "import (\n\t\"fmt\"\n\t\"strings\"\n)", `strings.TrimSpace(fmt.Sprint(" a "))`, "a"},
		{"define", `x := 1`, `x`, "1"},
		{"var", `var v = 2`, `v`, "2"},
		{"const", `const c = 3`, `c`, "3"},
		{"func", `func f() int { return 4 }`, `f()`, "4"},
		{"type", "type T struct{ A int }\nfunc (t T) Get() int { return t.A }", `T{5}.Get()`, "5"},
		{"mixed", "import \"fmt\"\ntype M int\nfunc (m M) String() string { return fmt.Sprint(\"M\", int(m)) }\nm := M(6)\nfmt.Println(m)\nm", `m`, "M6"},
	}
	in := newInterp(t)
	for _, c := range cells {
		for i := 0; i < 3; i++ {
			if _, rec, err := eval(t, in, c.code); err != nil {
				t.Fatalf("%s: run %d of %q: %v (stderr %q)", c.name, i+1, c.code, err, rec.stderr.String())
			}
			wantValue(t, in, c.check, c.want)
		}
	}
}

func TestRedefinitionNewestWins(t *testing.T) {
	in := newInterp(t)
	steps := []struct{ code, check, want string }{
		{`x := 1`, `x`, "1"},
		{`x := "now a string"`, `x`, "now a string"},
		{`func f() int { return 1 }`, `f()`, "1"},
		{`func f() string { return "two" }`, `f()`, "two"},
		{`type T struct{ A int }`, `T{1}`, "{1}"},
		{`type T struct{ A, B int }`, `T{1, 2}`, "{1 2}"},
		{"type T struct{ A, B, C int }\nfunc (t T) Sum() int { return t.A + t.B + t.C }", `T{1, 2, 3}.Sum()`, "6"},
		{`type N int`, `N(7)`, "7"},
		{`type N string`, `N("seven")`, "seven"},
		{"type List struct{ V int; Next *List }", `(&List{V: 1, Next: &List{V: 2}}).Next.V`, "2"},
		{"type List struct{ Val string; Next *List }", `(&List{Val: "a", Next: &List{Val: "b"}}).Next.Val`, "b"},
	}
	for _, s := range steps {
		mustEval(t, in, s.code)
		wantValue(t, in, s.check, s.want)
	}
}

func TestAutoImport(t *testing.T) {
	in := newInterp(t)
	wantValue(t, in, `strings.ToUpper("x")`, "X")
	wantValue(t, in, `rand.New(rand.NewSource(1)).Intn(1)`, "0") // math/rand
	wantValue(t, in, "b, _ := json.Marshal(map[string]int{\"a\": 1})\nstring(b)", `{"a":1}`)
	wantValue(t, in, `filepath.Join("a", "b")`, "a/b")
	// A variable of a package's name is not a package.
	wantValue(t, in, "path := []string{\"p\"}\nlen(path)", "1")
	// An explicit import wins over guessing.
	mustEval(t, in, `import crand "crypto/rand"`)
	wantValue(t, in, "buf := make([]byte, 4)\n_, err := crand.Read(buf)\nerr == nil", "true")
	// Unused imports do not fail a cell.
	mustEval(t, in, "import (\n\t\"bytes\"\n\t\"sort\"\n)")
}

func TestImportConflict(t *testing.T) {
	in := newInterp(t)
	mustEval(t, in, `import "math/rand"`)
	_, _, err := eval(t, in, "x := 1\nimport \"crypto/rand\"")
	var ce *CompileError
	if !errors.As(err, &ce) || ce.Line != 2 || !strings.Contains(ce.Msg, "math/rand") {
		t.Fatalf("second rand import: %v, want a CompileError on line 2 naming math/rand", err)
	}
}

func TestOutput(t *testing.T) {
	in := newInterp(t)
	tests := []struct{ code, stdout, stderr string }{
		{`fmt.Println("hello, world")`, "hello, world\n", ""},
		{`fmt.Print("a"); fmt.Printf("%d\n", 1)`, "a1\n", ""},
		{`os.Stdout.Write([]byte("w\n"))`, "w\n", ""},
		{`os.Stdout.WriteString("ws\n")`, "ws\n", ""},
		{`fmt.Fprintln(os.Stdout, "fo")`, "fo\n", ""},
		{`fmt.Fprintln(os.Stderr, "fe")`, "", "fe\n"},
		{"log.SetFlags(0)\nlog.Println(\"logged\")", "", "logged\n"},
		{`log.Printf("n=%d", 3)`, "", "n=3\n"},
		{`log.Default().Print("dflt")`, "", "dflt\n"},
		{`println("builtin")`, "builtin\n", ""}, // yaegi's println writes to the interpreter's stdout
	}
	for _, tt := range tests {
		_, rec := mustEval(t, in, tt.code)
		if got := rec.stdout.String(); got != tt.stdout {
			t.Errorf("Eval(%q) stdout = %q, want %q", tt.code, got, tt.stdout)
		}
		if got := rec.stderr.String(); got != tt.stderr {
			t.Errorf("Eval(%q) stderr = %q, want %q", tt.code, got, tt.stderr)
		}
	}
}

// TestProcessStdoutClean checks that cells never write to the process's
// standard output, which in the kernel must stay clean.
func TestProcessStdoutClean(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	t.Cleanup(func() { os.Stdout = saved })

	in := newInterp(t)
	_, rec := mustEval(t, in, "fmt.Println(\"a\")\nos.Stdout.WriteString(\"b\\n\")\nfmt.Fprint(os.Stdout, \"c\\n\")\nlog.Print(\"d\")")
	os.Stdout = saved
	w.Close()
	leaked, _ := io.ReadAll(r)
	if len(leaked) != 0 {
		t.Errorf("process stdout got %q", leaked)
	}
	if got := rec.stdout.String(); got != "a\nb\nc\n" {
		t.Errorf("cell stdout = %q", got)
	}
}

func TestLogFatalEndsCellOnly(t *testing.T) {
	in := newInterp(t)
	_, rec, err := eval(t, in, "log.SetFlags(0)\nlog.Fatal(\"bad\")\nfmt.Println(\"not reached\")")
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 1 {
		t.Fatalf("log.Fatal: err = %v, want ExitError 1", err)
	}
	if rec.stderr.String() != "bad\n" || rec.stdout.String() != "" {
		t.Errorf("log.Fatal: stdout %q stderr %q", rec.stdout.String(), rec.stderr.String())
	}
	wantValue(t, in, `1 + 1`, "2")
}

func TestExit(t *testing.T) {
	in := newInterp(t)
	mustEval(t, in, `kept := "yes"`)
	_, rec, err := eval(t, in, "fmt.Println(\"before\")\nos.Exit(3)\nfmt.Println(\"after\")")
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 3 || ee.Func != "os.Exit" {
		t.Fatalf("os.Exit(3): err = %#v, want ExitError 3 from os.Exit", err)
	}
	if got := rec.stdout.String(); got != "before\n" {
		t.Errorf("stdout = %q", got)
	}
	if got := ee.Error(); got != "exit status 3" {
		t.Errorf("Error() = %q", got)
	}
	wantValue(t, in, `kept`, "yes")
	// syscall.Exit, which skips even deferred calls, would end the process
	// on the spot: it ends the cell as os.Exit does.
	_, rec, err = eval(t, in, "fmt.Println(\"before\")\nsyscall.Exit(4)\nfmt.Println(\"after\")")
	if !errors.As(err, &ee) || ee.Code != 4 || ee.Func != "syscall.Exit" {
		t.Fatalf("syscall.Exit(4): err = %#v, want ExitError 4 from syscall.Exit", err)
	}
	if got := rec.stdout.String(); got != "before\n" {
		t.Errorf("syscall.Exit: stdout = %q", got)
	}
	wantValue(t, in, `kept`, "yes")
}

// waitFor polls cond until it holds or a deadline passes: for output that
// goroutines of earlier cells write at their own pace.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestGoroutineOutputFollowsCells(t *testing.T) {
	in := newInterp(t)
	// The goroutine gets its channels as arguments: yaegi's goroutines
	// reading global variables race (benignly, but visibly to -race) with
	// the next cell growing the global frame.
	mustEval(t, in, `
ch := make(chan int)
done := make(chan bool)
go func(ch chan int, done chan bool) {
	for v := range ch {
		fmt.Println("got", v)
		done <- true
	}
}(ch, done)`)
	// While a cell runs, output goes to it.
	_, rec := mustEval(t, in, "ch <- 1\n<-done")
	if got := rec.stdout.String(); got != "got 1\n" {
		t.Errorf("running cell stdout = %q, want %q", got, "got 1\n")
	}
	// After the last cell ended, output still goes to it.
	_, last := mustEval(t, in, "go func() { ch <- 2 }()")
	waitFor(t, "background output", func() bool { return last.stdout.String() == "got 2\n" })
	mustEval(t, in, "<-done")
}

func TestHTTPServerOutlivesCell(t *testing.T) {
	in := newInterp(t)
	res, _ := mustEval(t, in, `
ln, err := net.Listen("tcp", "127.0.0.1:0")
if err != nil {
	panic(err)
}
srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	fmt.Println("request", r.URL.Path)
	fmt.Fprint(w, "hello from a cell")
})}
go srv.Serve(ln)
ln.Addr().String()`)
	if !res.Has {
		t.Fatal("no address")
	}
	get := func() string {
		t.Helper()
		resp, err := http.Get("http://" + res.Value + "/x")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got := get(); got != "hello from a cell" {
		t.Errorf("GET = %q", got)
	}
	_, rec := mustEval(t, in, `1`)
	if got := get(); got != "hello from a cell" {
		t.Errorf("GET after another cell = %q", got)
	}
	waitFor(t, "handler output in the last cell", func() bool { return rec.stdout.String() == "request /x\n" })

	// An interrupted cell stops interpreted code; the server keeps serving.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := in.Eval(ctx, `for {}`, (&recorder{}).IO()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("interrupt: %v", err)
	}
	mustEval(t, in, `2`)
	if got := get(); got != "hello from a cell" {
		t.Errorf("GET after an interrupt = %q", got)
	}
	mustEval(t, in, `srv.Close()`)
}

func TestResult(t *testing.T) {
	in := newInterp(t)
	mustEval(t, in, "func void() {}\nfunc two() (int, error) { return 1, nil }\ntype S struct{ N int }\nfunc (s S) String() string { return fmt.Sprintf(\"S(%d)\", s.N) }")
	tests := []struct {
		code string
		want string
		has  bool
	}{
		{`1 + 2`, "3", true},
		{`"text"`, "text", true},
		{`[]int{1, 2}`, "[1 2]", true},
		{`map[string]int{"a": 1}`, "map[a:1]", true},
		{`S{4}`, "S(4)", true},
		{`errors.New("an error")`, "an error", true},
		{`x := 5`, "", false},
		{`void()`, "", false},
		{`two()`, "", false},
		{`fmt.Println("printed")`, "", false},
		{`display.Text("shown, not echoed")`, "", false},
		{"x := 1\n// a comment at the end", "", false},
		{"y := 2\ny * 3 // trailing comment", "6", true},
		{"func() int {\n\treturn 7\n}()", "7", true},
		{`if true { }`, "", false},
	}
	for _, tt := range tests {
		res, _ := mustEval(t, in, tt.code)
		if res.Has != tt.has || res.Value != tt.want {
			t.Errorf("Eval(%q) = %+v, want {Value:%q Has:%v}", tt.code, res, tt.want, tt.has)
		}
	}
}

func TestDisplay(t *testing.T) {
	in := newInterp(t)
	tests := []struct {
		code string
		mime string
		data any
	}{
		{`display.HTML("<b>hi</b>")`, "text/html", "<b>hi</b>"},
		{`display.Markdown("# T")`, "text/markdown", "# T"},
		{`display.SVG("<svg/>")`, "image/svg+xml", "<svg/>"},
		{`display.PNG([]byte{1, 2, 3})`, "image/png", "AQID"},
		{`display.JPEG([]byte{4})`, "image/jpeg", "BA=="},
		{`display.Text("plain")`, "text/plain", "plain"},
		{`display.Data(display.Bundle{"text/x-custom": "c"})`, "text/x-custom", "c"},
	}
	for _, tt := range tests {
		_, rec := mustEval(t, in, tt.code)
		if len(rec.displays) != 1 {
			t.Fatalf("Eval(%q): %d displays, want 1", tt.code, len(rec.displays))
		}
		d := rec.displays[0]
		if got := d.data[tt.mime]; got != tt.data || d.update || d.id == "" {
			t.Errorf("Eval(%q) displayed %v (id %q, update %v), want %s: %v", tt.code, d.data, d.id, d.update, tt.mime, tt.data)
		}
	}

	_, rec := mustEval(t, in, `display.JSON(map[string]any{"temp": 21.5})`)
	raw, ok := rec.displays[0].data["application/json"].(json.RawMessage)
	if !ok || string(raw) != `{"temp":21.5}` {
		t.Errorf("JSON display = %#v", rec.displays[0].data)
	}

	_, rec = mustEval(t, in, "display.Clear()\ndisplay.ClearWait()")
	if fmt.Sprint(rec.clears) != "[false true]" {
		t.Errorf("clears = %v", rec.clears)
	}

	// A progress bar: one display, then updates of the same id.
	_, rec = mustEval(t, in, `
bar := display.Text("0%")
for i := 1; i <= 3; i++ {
	bar.Text(fmt.Sprintf("%d%%", i*10))
}
bar.HTML("<progress value=1></progress>")
bar.Update(display.Bundle{"text/plain": "done"})`)
	if len(rec.displays) != 6 {
		t.Fatalf("progress bar: %d displays, want 6", len(rec.displays))
	}
	first := rec.displays[0]
	for i, d := range rec.displays[1:] {
		if d.id != first.id || !d.update {
			t.Errorf("update %d: id %q update %v, want id %q update true", i, d.id, d.update, first.id)
		}
	}
	if got := rec.displays[3].data["text/plain"]; got != "30%" {
		t.Errorf("third update = %v", got)
	}
	_, rec = mustEval(t, in, `display.Text("another")`)
	if rec.displays[0].id == first.id {
		t.Error("two displays share an id")
	}
}

func TestStdin(t *testing.T) {
	in := newInterp(t)
	rec := &recorder{answers: []string{"hello", "second line"}}
	res, err := in.Eval(context.Background(), "var s string\nfmt.Scanln(&s)\nline, _ := bufio.NewReader(os.Stdin).ReadString('\\n')\ns + \"|\" + line", rec.IO())
	if err != nil {
		t.Fatal(err)
	}
	if want := "hello|second line\n"; res.Value != want {
		t.Errorf("read %q, want %q", res.Value, want)
	}
	if rec.prompts != 2 {
		t.Errorf("Input called %d times, want 2", rec.prompts)
	}

	// Without Input, reading fails with a clear error.
	res, _ = mustEval(t, in, "var s2 string\n_, err := fmt.Scanln(&s2)\nerr")
	if !strings.Contains(res.Value, "does not accept input") {
		t.Errorf("read without Input: %q", res.Value)
	}
}

func TestInterrupt(t *testing.T) {
	in := newInterp(t)
	mustEval(t, in, "y := 41\nfunc spin() { for {} }")
	cells := []string{
		`for {}`,
		`time.Sleep(time.Hour)`,
		`spin()`,
		"n := 0\nfor { n++ }",
		`select {}`,
		`<-time.After(time.Hour)`,
		"c := make(chan int)\n<-c",
		"go spin()\ntime.Sleep(time.Hour)",
		`var mu sync.Mutex; for { mu.Lock(); mu.Unlock() }`,
	}
	for _, code := range cells {
		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := in.Eval(ctx, code, (&recorder{}).IO())
		took := time.Since(start)
		timer.Stop()
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Eval(%q) interrupted: err = %v, want context.Canceled", code, err)
		}
		if took > time.Second+50*time.Millisecond {
			t.Errorf("Eval(%q) took %v to stop", code, took)
		}
		wantValue(t, in, `y + 1`, "42")
	}
}

func TestSleepSleeps(t *testing.T) {
	in := newInterp(t)
	start := time.Now()
	mustEval(t, in, `time.Sleep(30 * time.Millisecond)`)
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("time.Sleep(30ms) returned after %v", d)
	}
}

func TestPanic(t *testing.T) {
	in := newInterp(t)
	mustEval(t, in, "func inner() {\n\tpanic(\"deep\")\n}\nfunc outer() { inner() }")
	tests := []struct {
		code      string
		value     string
		traceback []string // substrings, innermost frame first
	}{
		{"x := 1\npanic(\"boom\")", "boom", []string{"cell, line 2, in <cell>\n    panic(\"boom\")"}},
		{"\n\nouter()", "deep", []string{"earlier cell, line 2, in inner", "earlier cell, line 4, in outer", "cell, line 3, in <cell>"}},
		{"var m map[string]int\nm[\"a\"] = 1", "assignment to entry in nil map", []string{"line 2"}},
		{`panic(fmt.Errorf("wrapped: %w", io.EOF))`, "wrapped: EOF", []string{"line 1"}},
		{"f := 1\n_ = f\nfunc() {\n\tpanic(\"lit\")\n}()", "lit", []string{"cell, line 4, in func", "cell, line 3, in <cell>"}},
		{"y := func() int { panic(\"in define\") }()\n_ = y", "in define", []string{"cell, line 1, in func", "cell, line 1, in <cell>"}},
		// What the interpreter meets as reflect's complaints, worded as Go's.
		{"var p *int\n*p = 1", "runtime error: invalid memory address or nil pointer dereference (the interpreter's words: reflect: call of reflect.Value.Set on zero Value)", []string{"line 2"}},
		{"type T struct{ X int }\nvar q *T\nfmt.Println(q.X)", "runtime error: invalid memory address or nil pointer dereference", []string{"line 3"}},
		{"var f func()\nf()", "runtime error: invalid memory address or nil pointer dereference (the interpreter's words: reflect.Value.Call: call of nil function)", []string{"line 2"}},
		{"var x any = \"s\"\nn := x.(int)\n_ = n", "interface conversion: interface {} is string, not int", []string{"line 2"}},
		{"var s []int\ns[3] = 1", "runtime error: index out of range (the interpreter's words: reflect: slice index out of range)", []string{"line 2"}},
	}
	for _, tt := range tests {
		_, rec, err := eval(t, in, tt.code)
		var pe *PanicError
		if !errors.As(err, &pe) {
			t.Fatalf("Eval(%q): err = %v, want *PanicError", tt.code, err)
		}
		if !strings.HasPrefix(pe.Value, tt.value) {
			t.Errorf("Eval(%q): value %q, want it to start with %q", tt.code, pe.Value, tt.value)
		}
		if len(pe.Traceback) < len(tt.traceback) {
			t.Fatalf("Eval(%q): traceback %q, want %d frames", tt.code, pe.Traceback, len(tt.traceback))
		}
		for i, want := range tt.traceback {
			if !strings.Contains(pe.Traceback[i], want) {
				t.Errorf("Eval(%q): frame %d = %q, want it to contain %q", tt.code, i, pe.Traceback[i], want)
			}
		}
		if s := rec.stderr.String(); strings.Contains(s, "panic") {
			t.Errorf("Eval(%q): panic frames leaked to stderr: %q", tt.code, s)
		}
	}
	wantValue(t, in, `"still alive"`, "still alive")
}

// TestCellTemporariesAreFreed checks that what a cell computes but does
// not keep in a variable is garbage once the cell ends: yaegi would keep
// the temporaries of top-level statements in its global frame forever.
// A return at the top of a cell is a compile error naming its line, and
// nothing of the cell runs; a return inside a function literal is fine.
func TestTopLevelReturn(t *testing.T) {
	in := newInterp(t)
	_, rec, err := eval(t, in, "n := 5\nfmt.Println(\"before\")\nif n > 3 {\n\treturn\n}")
	var ce *CompileError
	if !errors.As(err, &ce) || ce.Line != 4 || !strings.Contains(ce.Msg, "return at the top level") {
		t.Errorf("top-level return: err = %v, want a CompileError on line 4", err)
	}
	if got := rec.stdout.String(); got != "" {
		t.Errorf("a cell that does not compile printed %q", got)
	}
	_, rec = mustEval(t, in, "func() { return }()\nfmt.Println(\"runs\")")
	if got := rec.stdout.String(); got != "runs\n" {
		t.Errorf("a return inside a function literal: printed %q, want %q", got, "runs\n")
	}
}

func TestCellTemporariesAreFreed(t *testing.T) {
	in := newInterp(t)
	const size = 32 << 20
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	for _, code := range []string{
		`_ = strings.Repeat("x", 32<<20)`,
		`fmt.Fprint(io.Discard, strings.Repeat("y", 32<<20))`,
		`len(strings.Repeat("w", 32<<20))`,
		`for i := 0; i < 2; i++ { _ = strings.Repeat("v", 32<<20) }`,
	} {
		mustEval(t, in, code)
	}
	if grown := int64(heap()) - int64(before); grown > size/2 {
		t.Errorf("heap grew by %d MiB after four cells that each made a %d MiB temporary; the cells' temporaries are still referenced",
			grown>>20, size>>20)
	}
	wantValue(t, in, `len(strings.Repeat("u", 1<<20))`, "1048576")
}

func TestCompileError(t *testing.T) {
	in := newInterp(t)
	mustEval(t, in, "func helper() int { return 1 }")
	tests := []struct {
		code string
		line int
		msg  string
	}{
		{"a := 1\nb := undefinedName + a", 2, "undefined: undefinedName"},
		{"x := 1\n\nvar s string = 5", 3, ""},
		{"fmt.Println(1)\nfunc broken() int {\n\treturn \"s\"\n}", 3, ""},
		{"x := 1 +", 1, ""},
		{"y := 1\nz := helper(1)", 2, ""},
		{"func )(", 1, ""},
	}
	for _, tt := range tests {
		_, _, err := eval(t, in, tt.code)
		var ce *CompileError
		if !errors.As(err, &ce) {
			t.Errorf("Eval(%q): err = %v (%T), want *CompileError", tt.code, err, err)
			continue
		}
		if ce.Line != tt.line || !strings.Contains(ce.Msg, tt.msg) {
			t.Errorf("Eval(%q): %+v, want line %d, message containing %q", tt.code, ce, tt.line, tt.msg)
		}
		if !strings.HasPrefix(ce.Error(), fmt.Sprintf("line %d: ", tt.line)) {
			t.Errorf("Error() = %q does not name line %d", ce.Error(), tt.line)
		}
	}
}

func TestComplete(t *testing.T) {
	in := newInterp(t)
	mustEval(t, in, "myVariable := 1\nfunc myFunction() {}\ntype myType struct{ Field int }\nvalue := myType{}")
	tests := []struct {
		code       string
		cursor     int
		want       []string
		start, end int
	}{
		{"strings.To", 10, []string{"ToLower", "ToTitle", "ToUpper", "ToValidUTF8"}, 8, 10},
		{"x := strings.To", 15, []string{"ToLower", "ToUpper"}, 13, 15},
		{"myV", 3, []string{"myVariable"}, 0, 3},
		{"myF", 3, []string{"myFunction"}, 0, 3},
		{"fun", 3, []string{"func"}, 0, 3},
		{"stri", 4, []string{"strings", "string"}, 0, 4},
		{"display.HT", 10, []string{"HTML"}, 8, 10},
		{"value.Fi", 8, []string{"Field"}, 6, 8},
		{"é := 1; fmt.Print", 17, []string{"Print", "Printf", "Println"}, 12, 17},
	}
	for _, tt := range tests {
		matches, start, end := in.Complete(tt.code, tt.cursor)
		for _, w := range tt.want {
			if !contains(matches, w) {
				t.Errorf("Complete(%q, %d) = %q, missing %q", tt.code, tt.cursor, matches, w)
			}
		}
		if start != tt.start || end != tt.end {
			t.Errorf("Complete(%q, %d) range = [%d,%d), want [%d,%d)", tt.code, tt.cursor, start, end, tt.start, tt.end)
		}
		for _, m := range matches {
			if strings.HasPrefix(m, "_iot") {
				t.Errorf("Complete(%q) offers internal name %q", tt.code, m)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestInspect(t *testing.T) {
	in := newInterp(t)
	mustEval(t, in, "answer := 42\nfunc twice(n int) int { return 2 * n }")
	tests := []struct {
		code   string
		cursor int
		want   []string
	}{
		{"answer", 3, []string{"answer int = 42"}},
		{"twice(3)", 2, []string{"func twice(int) int"}},
		{"strings.ToUpper(s)", 12, []string{"ToUpper", "string"}},
		{"strings.ToUpper(", 16, []string{"ToUpper"}},
		{"for", 1, []string{"keyword for"}},
	}
	for _, tt := range tests {
		text, found := in.Inspect(tt.code, tt.cursor)
		if !found {
			t.Errorf("Inspect(%q, %d) found nothing", tt.code, tt.cursor)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(text, w) {
				t.Errorf("Inspect(%q, %d) = %q, want it to contain %q", tt.code, tt.cursor, text, w)
			}
		}
	}
	if _, found := in.Inspect("noSuchName", 2); found {
		t.Error("Inspect found an undefined name")
	}
}

func TestInspectDoc(t *testing.T) {
	if _, err := os.Stat(filepath.Join(runtime.GOROOT(), "src", "strings", "strings.go")); err != nil {
		t.Skip("Go sources not installed")
	}
	in := newInterp(t)
	text, found := in.Inspect("strings.ToUpper", 10)
	if !found || !strings.Contains(text, "func ToUpper(s string) string") || !strings.Contains(text, "upper case") {
		t.Errorf("Inspect(strings.ToUpper) = %q, %v; want signature and doc", text, found)
	}
	text, found = in.Inspect("strings", 3)
	if !found || !strings.Contains(text, "package strings") {
		t.Errorf("Inspect(strings) = %q, %v", text, found)
	}
}

func TestInspectWithoutSources(t *testing.T) {
	in, err := New(Options{GOROOT: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	text, found := in.Inspect("strings.ToUpper", 10)
	if !found || text != "func strings.ToUpper(string) string" {
		t.Errorf("Inspect without sources = %q, %v", text, found)
	}
}

func TestIsComplete(t *testing.T) {
	tests := []struct{ code, status, indent string }{
		{`fmt.Println("hi")`, "complete", ""},
		{"x := 1\ny := 2", "complete", ""},
		{"func f() {\n}", "complete", ""},
		{"", "complete", ""},
		{"func f() {", "incomplete", "\t"},
		{"if x {\n\tfor {", "incomplete", "\t\t"},
		{"fmt.Println(", "incomplete", "\t"},
		{"a := []int{1,\n2,", "incomplete", "\t"},
		{"s := `raw\nstring", "incomplete", ""},
		{"/* open comment", "incomplete", ""},
		{"x := 1 +", "incomplete", "\t"},
		{"func )(", "invalid", ""},
		{"x := )", "invalid", ""},
		{"a := [1}", "invalid", ""},
		{"s := \"unterminated", "invalid", ""},
		{"x := := 1", "invalid", ""},
	}
	for _, tt := range tests {
		status, indent := IsComplete(tt.code)
		if status != tt.status || indent != tt.indent {
			t.Errorf("IsComplete(%q) = %q, %q; want %q, %q", tt.code, status, indent, tt.status, tt.indent)
		}
	}
}

func TestLookupDefine(t *testing.T) {
	in := newInterp(t)
	mustEval(t, in, "s := \"stored\"\nconst k = 7\nnums := []int{1, 2}")
	for name, want := range map[string]string{"s": "stored", "k": "7", "nums": "[1 2]"} {
		v, ok := in.Lookup(name)
		if !ok || fmt.Sprint(v) != want {
			t.Errorf("Lookup(%q) = %v, %v; want %s", name, v, ok, want)
		}
	}
	if _, ok := in.Lookup("missing"); ok {
		t.Error("Lookup(missing) found something")
	}

	defs := []struct {
		name  string
		value any
		check string
		want  string
	}{
		{"f", 3.5, "f * 2", "7"},
		{"s", "replaced", `s + "!"`, "replaced!"},
		{"m", map[string]any{"a": 1.0}, `m["a"]`, "1"},
		{"l", []any{"x", 2.0}, `len(l)`, "2"},
		{"n", nil, `n == nil`, "true"},
		{"d", time.Second, `d`, "1s"},
	}
	for _, d := range defs {
		if err := in.Define(d.name, d.value); err != nil {
			t.Fatalf("Define(%q, %v): %v", d.name, d.value, err)
		}
		wantValue(t, in, d.check, d.want)
	}
	if err := in.Define("not an ident", 1); err == nil {
		t.Error("Define accepted a bad name")
	}
}

func TestInterpretersAreIndependent(t *testing.T) {
	a, b := newInterp(t), newInterp(t)
	mustEval(t, a, `onlyInA := 1`)
	if _, _, err := eval(t, b, `onlyInA`); err == nil {
		t.Error("a variable of one interpreter is visible in another")
	}
}

func TestClose(t *testing.T) {
	in, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The cell waits until the goroutine has deferred its close: stopped
	// before that, it would end without closing stopped.
	mustEval(t, in, "stopped := make(chan bool)\nstarted := make(chan bool)\ngo func(started, stopped chan bool) {\n\tdefer close(stopped)\n\tclose(started)\n\tfor {\n\t\ttime.Sleep(time.Millisecond)\n\t}\n}(started, stopped)\n<-started")
	v, ok := in.Lookup("stopped")
	stopped, isChan := v.(chan bool)
	if !ok || !isChan {
		t.Fatalf("Lookup(stopped) = %T, %v", v, ok)
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Error("Close did not stop the cell's goroutine")
	}
	if err := in.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := in.Eval(context.Background(), `1`, IO{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Eval after Close: %v, want ErrClosed", err)
	}
}

// TestCloseWhileRunning closes the interpreter while a cell runs: the cell
// ends with ErrClosed, and goroutines of earlier cells stop too.
func TestCloseWhileRunning(t *testing.T) {
	in, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustEval(t, in, "stopped := make(chan bool)\nstarted := make(chan bool)\ngo func(started, stopped chan bool) {\n\tdefer close(stopped)\n\tclose(started)\n\tfor {\n\t}\n}(started, stopped)\n<-started")
	v, _ := in.Lookup("stopped")
	stopped, ok := v.(chan bool)
	if !ok {
		t.Fatalf("Lookup(stopped) = %T", v)
	}
	evalErr := make(chan error, 1)
	go func() {
		_, err := in.Eval(context.Background(), "for {}\nfmt.Println(\"not reached\")", (&recorder{}).IO())
		evalErr <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-evalErr:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Eval interrupted by Close: %v, want ErrClosed", err)
		}
	case <-time.After(time.Second + 50*time.Millisecond):
		t.Fatal("Close did not interrupt the running cell")
	}
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Error("Close did not stop the goroutine of an earlier cell")
	}
}

// A chart drawn from Go: one display, redrawn in place, and the last
// picture holds every sample; the chart as a cell's value is not echoed.
func TestDisplayPlot(t *testing.T) {
	in := newInterp(t)
	res, rec := mustEval(t, in, `
c := display.Plot("squares", 0)
for i := 0; i < 200; i++ {
	c.AddNamed(map[string]float64{"sq": float64(i * i), "lin": float64(i)})
}
c.Flush()
c`)
	if res.Has {
		t.Errorf("a chart as the cell's value printed %q", res.Value)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.displays) < 2 || rec.displays[0].update {
		t.Fatalf("displays = %d (first update=%v); want a display, then updates", len(rec.displays), len(rec.displays) > 0 && rec.displays[0].update)
	}
	id := rec.displays[0].id
	last := rec.displays[len(rec.displays)-1]
	if last.id != id || !last.update {
		t.Errorf("last display id %q update %v; want an update of %q", last.id, last.update, id)
	}
	svg, _ := last.data["image/svg+xml"].(string)
	for _, want := range []string{`data-name="sq"`, `data-name="lin"`, "squares"} {
		if !strings.Contains(svg, want) {
			t.Errorf("final picture lacks %s", want)
		}
	}
	if n := len(rec.displays); n > 20 {
		t.Errorf("%d redraws for 200 samples added at once; the chart should throttle", n)
	}
	wantValue(t, in, `len(c.Values("sq"))`, "200")
}
