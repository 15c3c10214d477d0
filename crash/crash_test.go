package crash

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

const stackOverflow = `runtime: goroutine stack exceeds 1000000000-byte limit
runtime: sp=0xc0200e0390 stack=[0xc0200e0000, 0xc0400e0000]
fatal error: stack overflow

runtime stack:
runtime.throw({0x4b2a5b?, 0x0?})
	/usr/local/go/src/runtime/panic.go:1229 +0x48 fp=0x7ffd sp=0x7ffd pc=0x472188

goroutine 7 gp=0xc000007a40 m=0 mp=0x5a0e40 [running]:
github.com/traefik/yaegi/interp.call.func9(0xc000136000)
	/root/go/pkg/mod/github.com/traefik/yaegi@v0.16.1/interp/run.go:1338 +0x1c5 fp=0xc0200e03a0 sp=0xc0200e0398 pc=0x89aa65
strconv.Itoa(...)
	/usr/local/go/src/strconv/itoa.go:35
github.com/traefik/yaegi/interp.runCfg(0xc00042c000, 0xc000136000, 0x0, 0x0)
	/root/go/pkg/mod/github.com/traefik/yaegi@v0.16.1/interp/run.go:250 +0x76
...additional frames elided...

goroutine 1 gp=0xc000002380 m=nil [chan receive]:
main.main()
`

func TestParseCrash(t *testing.T) {
	for _, c := range []struct {
		name, text, cause, detail, frames string
	}{
		{"stack overflow", stackOverflow, "fatal error: stack overflow", "runtime: goroutine stack exceeds 1000000000-byte limit", "strconv.Itoa"},
		{"panic", "panic: boom\n\ngoroutine 5 [running]:\nmain.f()\n\t/x.go:3 +0x1\nreflect.Value.Call()\n\t/r.go:1\nmain.g()\n\t/x.go:9\n\ngoroutine 1 [select]:\nmain.main()\n", "panic: boom", "", "main.f,main.g"},
		{"no fatal line", "goroutine 5 [running]:\ninternal/sync.fatal({0x1, 0x2})\n\t/p.go:1\n", "", "", "internal/sync.fatal"},
		{"nothing", "", "", "", ""},
	} {
		cause, detail, frames := parseCrash(c.text)
		if cause != c.cause || detail != c.detail || strings.Join(frames, ",") != c.frames {
			t.Errorf("%s: parseCrash = %q, %q, %q; want %q, %q, %q", c.name, cause, detail, frames, c.cause, c.detail, c.frames)
		}
	}
}

func TestReport(t *testing.T) {
	p := Previous{Crash: stackOverflow, Cell: "%%host\nfunc f(n int) int { return f(n+1) }\nf(0)", Running: true, Line: 3, CrashFile: "/run/k.txt"}
	want := `The previous kernel died of a Go runtime error: fatal error: stack overflow
  runtime: goroutine stack exceeds 1000000000-byte limit
It was running line 3 of this cell:
    1 | %%host
    2 | func f(n int) int { return f(n+1) }
->  3 | f(0)
Where it died, innermost first (the interpreter's own frames left out):
  strconv.Itoa
The whole crash output was in /run/k.txt.
Go definitions were lost with the kernel; %store values were not.
`
	if got := p.Report(); got != want {
		t.Errorf("Report() =\n%s\nwant\n%s", got, want)
	}
	killed := Previous{Cell: "x := 1", Running: true}
	if got := killed.Report(); !strings.HasPrefix(got, "The previous kernel died without a Go crash report") || !strings.Contains(got, "1 | x := 1") {
		t.Errorf("Report() of a killed kernel =\n%s", got)
	}
	if got := (Previous{Cell: "x := 1", Board: "local"}).Report(); got != "" {
		t.Errorf("Report() of a kernel killed between cells = %q, want none", got)
	}
}

func TestLogLifecycle(t *testing.T) {
	dir := t.TempDir()
	conn := filepath.Join(dir, "kernel-x.json")
	// What a dead kernel left.
	write := func(suffix, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "kernel-x"+suffix), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(crashSuffix, "fatal error: out of memory\n")
	write(cellSuffix, "R000002\n%%host\nb := make([]byte, 1<<40)")
	write(boardSuffix, "serial:///dev/ttyUSB0\n")

	l, err := Open(conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p := l.Previous()
	if !p.Died() || p.Board != "serial:///dev/ttyUSB0" || !p.Running || p.Line != 2 || p.Cell != "%%host\nb := make([]byte, 1<<40)" ||
		p.CrashFile != filepath.Join(dir, "kernel-x"+prevSuffix) {
		t.Errorf("Previous() = %+v", p)
	}
	if b, err := os.ReadFile(p.CrashFile); err != nil || string(b) != "fatal error: out of memory\n" {
		t.Errorf("the previous crash output was not kept: %q, %v", b, err)
	}

	// The runtime's descriptor 2 now writes to the crash file; os.Stderr
	// and the log package still reach the original standard error.
	syscall.Write(2, []byte("written to fd 2\n"))
	log.Print("written through log")
	fmt.Fprintln(os.Stderr, "written to os.Stderr")
	if b, err := os.ReadFile(filepath.Join(dir, "kernel-x"+crashSuffix)); err != nil || string(b) != "written to fd 2\n" {
		t.Errorf("crash file = %q, %v; want only what went to fd 2", b, err)
	}

	l.Running("x := 1\ny := 2")
	l.Running("z := 3")
	l.At(12)
	l.Board("socket://h:1")
	// A second kernel opening the same files now sees this one as
	// killed while running z := 3.
	if got := (&Log{prefix: l.prefix}).readPrevious(); !got.Running || got.Line != 12 || got.Cell != "z := 3" || got.Board != "socket://h:1" || got.Crash != "" {
		t.Errorf("while a cell runs, readPrevious() = %+v", got)
	}
	l.Finished()
	if got := (&Log{prefix: l.prefix}).readPrevious(); got.Died() || got.Board != "socket://h:1" {
		t.Errorf("between cells, readPrevious() = %+v, want a board and nothing to report", got)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "kernel-x.*")); len(left) > 0 {
		t.Errorf("files left after Close: %q", left)
	}
	var nilLog *Log
	nilLog.Running("x")
	nilLog.Board("y")
	if nilLog.Previous().Died() || nilLog.Close() != nil {
		t.Error("a nil Log is not inert")
	}
}

// Whatever a dead kernel left in the cell record, the next one starts: a
// kernel killed before its first %%host cell leaves a mapped file of
// zeros (the next kernel panicked on it, which a kernel restarted with
// the same connection file did again and again).
func TestDamagedCellRecord(t *testing.T) {
	for name, record := range map[string]string{
		"zeros":     strings.Repeat("\x00", cellMapSize),
		"empty":     "",
		"truncated": "R00",
		"garbage":   "\xff\xfe not a record at all",
		"no header": "R0000xyz",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "kernel-z"+cellSuffix), []byte(record), 0o600); err != nil {
				t.Fatal(err)
			}
			l, err := Open(filepath.Join(dir, "kernel-z.json"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if p := l.Previous(); p.Died() || p.Running || p.Cell != "" {
				t.Errorf("Previous() = %+v, want nothing to report", p)
			}
		})
	}
}

// The cell record reads back exactly whatever the cells' sizes: a cell
// larger than the mapped file grows it, and a shorter one after it
// leaves none of the longer one behind.
func TestCellRecordSizes(t *testing.T) {
	l, err := Open(filepath.Join(t.TempDir(), "kernel-y.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if runtime.GOOS == "linux" && l.cellMem == nil {
		t.Fatal("the cell record is not mapped on Linux")
	}
	big := "%%host\n" + strings.Repeat("x := 1 // a long line of a long cell\n", 3*cellMapSize/37)
	for _, code := range []string{"a := 1\nb := 2", big, "c := 3", big + "d := 4", ""} {
		l.Running(code)
		l.At(7)
		got := (&Log{prefix: l.prefix}).readPrevious()
		if !got.Running || got.Line != 7 || got.Cell != code {
			t.Fatalf("after Running of a cell of %d bytes, readPrevious() = running %v, line %d, a cell of %d bytes",
				len(code), got.Running, got.Line, len(got.Cell))
		}
		l.Finished()
		if got := (&Log{prefix: l.prefix}).readPrevious(); got.Running {
			t.Fatalf("after Finished, the cell of %d bytes still reads as running", len(code))
		}
	}
}
