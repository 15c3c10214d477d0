package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/kernel"
	"github.com/iotkernel/iotkernel/kernel/kerneltest"
	"github.com/iotkernel/iotkernel/router"
	"github.com/iotkernel/iotkernel/transport"
)

// The crash tests run the kernel's session (as runKernel builds it, with
// a stub board) in a child process: the child runs the cells given in
// $IOTKERNEL_TEST_CELLS and prints what each produced, one JSON object a
// line, until a cell kills it.

// cellOutput is what a cell produced, as the child prints it.
type cellOutput struct {
	Stdout, Stderr, Result, Error string
	Opened                        []string // board URLs opened so far
	Resets                        int      // board resets so far
}

func init() {
	if os.Getenv("IOTKERNEL_TEST_CELLS") != "" {
		runCellsChild()
	}
}

// stubBoard answers every board cell with "board ok".
type stubBoard struct {
	url    string
	resets *int
}

func (b *stubBoard) Exec(ctx context.Context, code string, stdout, stderr io.Writer) error {
	_, err := io.WriteString(stdout, "board ok\n")
	return err
}
func (b *stubBoard) Run(ctx context.Context, code string, cio transport.IO) error {
	return b.Exec(ctx, code, cio.Stdout, cio.Stderr)
}
func (b *stubBoard) SoftReset(context.Context, io.Writer) error { *b.resets++; return nil }
func (b *stubBoard) HardReset(context.Context, io.Writer) error { *b.resets++; return nil }
func (b *stubBoard) URL() string                                { return b.url }
func (b *stubBoard) Protocol() string                           { return "raw" }
func (b *stubBoard) Close() error                               { return nil }

func runCellsChild() {
	var cells []string
	if err := json.Unmarshal([]byte(os.Getenv("IOTKERNEL_TEST_CELLS")), &cells); err != nil {
		panic(err)
	}
	var opened []string
	resets := 0
	open := func(ctx context.Context, url string) (router.Board, error) {
		opened = append(opened, url)
		return &stubBoard{url: url, resets: &resets}, nil
	}
	log := slog.New(slog.DiscardHandler)
	sess, crashLog, err := kernelSession(os.Getenv("IOTKERNEL_TEST_CONN"), log, router.Options{Logger: log, Open: open})
	if err != nil {
		panic(err)
	}
	enc := json.NewEncoder(os.Stdout)
	for _, cell := range cells {
		out := &kerneltest.Recorder{NoStdin: true}
		err := sess.Execute(context.Background(), cell, out)
		o := out.Output()
		co := cellOutput{Stdout: o.Stdout, Stderr: o.Stderr, Result: o.Result, Opened: opened, Resets: resets}
		var ce *kernel.CellError
		if errors.As(err, &ce) {
			co.Error = ce.Name + ": " + ce.Value
		} else if err != nil {
			co.Error = err.Error()
		}
		enc.Encode(co)
	}
	if os.Getenv("IOTKERNEL_TEST_CLEAN") == "1" {
		sess.Close()
		crashLog.Close()
	}
	os.Exit(0)
}

// runCells runs cells in a child kernel session with connection file
// conn, and returns what each cell produced and whether the child died.
func runCells(t *testing.T, conn string, clean bool, cells ...string) ([]cellOutput, error, string) {
	t.Helper()
	js, err := json.Marshal(cells)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "IOTKERNEL_TEST_CELLS="+string(js), "IOTKERNEL_TEST_CONN="+conn, "IOTKERNEL_STORE="+filepath.Join(filepath.Dir(conn), "store.json"))
	if clean {
		cmd.Env = append(cmd.Env, "IOTKERNEL_TEST_CLEAN=1")
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var outs []cellOutput
	dec := json.NewDecoder(&stdout)
	for {
		var co cellOutput
		if err := dec.Decode(&co); err != nil {
			break
		}
		outs = append(outs, co)
	}
	return outs, runErr, stderr.String()
}

func TestCrashReportAfterFatalError(t *testing.T) {
	for _, c := range []struct {
		name, code, fatal string
		line              int // of the cell, which starts "%%host\nx := 1\n"
	}{
		{"mutex", "var mu sync.Mutex\nmu.Unlock()", "fatal error: sync: unlock of unlocked mutex", 4},
		{"memory", "b := make([]byte, 1<<40)\nb[0] = 1", "fatal error: runtime: out of memory", 3},
		// The goroutines die while the cell sleeps on line 5.
		{"map", "m := map[int]int{}\nfor i := 0; i < 4; i++ { go func() { time.Sleep(100 * time.Millisecond); for j := 0; ; j++ { m[j%64] = j } }() }\ntime.Sleep(time.Minute)", "fatal error: concurrent map writes", 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			conn := filepath.Join(dir, "kernel-1234.json")
			cell := "%%host\nx := 1\n" + c.code
			outs, err, stderr := runCells(t, conn, false,
				"%connect socket://127.0.0.1:9",
				"%%host\ny := 2",
				cell,
				"%%host\n1 + 1")
			if err == nil || len(outs) != 2 {
				t.Fatalf("the kernel survived %q: err %v, %d cells ran; want it dead after 2", cell, err, len(outs))
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("the kernel died with %v, want exit status 2 (a fatal runtime error); stderr:\n%s", err, stderr)
			}

			outs, err, stderr = runCells(t, conn, true, "%%host\ny", "print('hi')")
			if err != nil || len(outs) != 2 {
				t.Fatalf("the restarted kernel: err %v, %d cells ran, stderr:\n%s", err, len(outs), stderr)
			}
			report := outs[0].Stderr
			for _, want := range []string{
				" of a Go runtime error: " + c.fatal + "\n",
				fmt.Sprintf("It was running line %d of this cell:\n    1 | %%%%host\n    2 | x := 1\n", c.line),
				fmt.Sprintf("->  %d | %s\n", c.line, strings.Split(cell, "\n")[c.line-1]),
				"Reconnected the board socket://127.0.0.1:9, without resetting it.",
			} {
				if !strings.Contains(report, want) {
					t.Errorf("the first cell's report lacks %q:\n%s", want, report)
				}
			}
			if !strings.HasPrefix(report, "The previous kernel died") {
				t.Errorf("the first cell's output does not start with the report:\n%s", report)
			}
			if outs[0].Error == "" || !strings.Contains(outs[0].Error, "undefined: y") {
				t.Errorf("y after the crash: error %q, want undefined (definitions died with the kernel)", outs[0].Error)
			}
			if got := outs[1]; got.Stdout != "board ok\n" || got.Stderr != "" || fmt.Sprint(got.Opened) != "[socket://127.0.0.1:9]" || got.Resets != 0 {
				t.Errorf("the board cell after the crash: %+v; want the board reopened once, not reset, and no report", got)
			}

			// That kernel shut down cleanly: the next one reports nothing.
			outs, err, _ = runCells(t, conn, true, "%%host\n1 + 1")
			if err != nil || len(outs) != 1 || outs[0].Stderr != "" || len(outs[0].Opened) != 0 || outs[0].Result != "2" {
				t.Errorf("after a clean shutdown: %+v, %v; want no report and no board", outs, err)
			}
		})
	}
}
