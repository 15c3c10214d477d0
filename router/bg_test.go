package router

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/kernel/kerneltest"
)

// startBg runs a %%bg cell and returns its recorder and number.
func startBg(t *testing.T, s *Session, cell string) (*kerneltest.Recorder, int) {
	t.Helper()
	rec, ce := runCell(t, s, context.Background(), cell)
	if ce != nil {
		t.Fatalf("%s: %v", cell, ce)
	}
	out := rec.Output().Stdout
	m := regexp.MustCompile(`^\[(\d+)\] runs in the background on \w+: %bg lists`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("%s: stdout %q does not say it started", cell, out)
	}
	n, _ := strconv.Atoi(m[1])
	return rec, n
}

func TestBackgroundCell(t *testing.T) {
	s := realSession(t, "a", "b")
	ctx := context.Background()
	bg, n := startBg(t, s, "%%bg a\nimport time\nfor i in range(5):\n    print('tick', i)\n    time.sleep(0.1)\nname + ' done'")

	// The board refuses other cells at once; other boards and the host run.
	busy := "board a is running background cell [" + strconv.Itoa(n) + "]; %bg stop " + strconv.Itoa(n) + " or wait"
	for _, cell := range []string{"%%board a\n1", "%use a\nname", "%%host\n%ls"} {
		start := time.Now()
		_, ce := runCell(t, s, ctx, cell)
		if ce == nil || ce.Name != "BoardBusyError" || ce.Value != busy {
			t.Errorf("%q while a runs in the background: error %v, want BoardBusyError %q", cell, ce, busy)
		}
		if d := time.Since(start); d > 400*time.Millisecond {
			t.Logf("%q took %v to fail", cell, d)
		}
	}
	if rec, ce := runCell(t, s, ctx, "%use b\nname"); ce != nil || rec.Output().Result != "'b'" {
		t.Errorf("board b while a runs in the background: %q, %v", rec.Output().Result, ce)
	}
	if rec, ce := runCell(t, s, ctx, "%%host\n6 * 7"); ce != nil || rec.Output().Result != "42" {
		t.Errorf("host while a runs in the background: %q, %v", rec.Output().Result, ce)
	}
	rec, _ := runCell(t, s, ctx, "%boards")
	if !strings.Contains(rec.Output().Stdout, "background cell ["+strconv.Itoa(n)+"]") {
		t.Errorf("%%boards does not show the background cell:\n%s", rec.Output().Stdout)
	}

	rec, ce := runCell(t, s, ctx, "%bg wait "+strconv.Itoa(n))
	if ce != nil || !regexp.MustCompile(`^background cell \[\d+\] on a: ok after \d+\.\d\d s\n$`).MatchString(rec.Output().Stdout) {
		t.Errorf("%%bg wait: %q, %v", rec.Output().Stdout, ce)
	}
	bgOut := bg.Output()
	out, result := bgOut.Stdout, bgOut.Result
	if !strings.HasSuffix(out, "tick 0\ntick 1\ntick 2\ntick 3\ntick 4\n") || result != "'a done'" {
		t.Errorf("background cell's output %q, result %q", out, result)
	}
	// The board is free again.
	if rec, ce := runCell(t, s, ctx, "%%board a\nname"); ce != nil || rec.Output().Result != "'a'" {
		t.Errorf("board a after its background cell: %q, %v", rec.Output().Result, ce)
	}

	// A failure ends up in the cell that started it; %bg wait fails too.
	bg, n = startBg(t, s, "%%bg a\n1/0")
	_, ce = runCell(t, s, ctx, "%bg wait "+strconv.Itoa(n))
	if ce == nil || ce.Name != "ZeroDivisionError" {
		t.Errorf("%%bg wait of a failed cell: %v, want ZeroDivisionError", ce)
	}
	if errText := bg.Output().Stderr; !strings.Contains(errText, "ZeroDivisionError") {
		t.Errorf("failed background cell's traceback not in its cell: %q", errText)
	}

	// %bg stop interrupts; the board keeps its variables.
	bg, n = startBg(t, s, "%%bg a\nwhile True:\n    pass")
	rec, ce = runCell(t, s, ctx, "%bg stop "+strconv.Itoa(n))
	if want := "stopped background cell [" + strconv.Itoa(n) + "] on a: interrupted\n"; ce != nil || rec.Output().Stdout != want {
		t.Errorf("%%bg stop: %q, %v; want %q", rec.Output().Stdout, ce, want)
	}
	if errText := bg.Output().Stderr; !strings.Contains(errText, "KeyboardInterrupt") {
		t.Errorf("stopped background cell does not say KeyboardInterrupt: %q", errText)
	}
	rec, ce = runCell(t, s, ctx, "%bg stop "+strconv.Itoa(n))
	if want := "background cell [" + strconv.Itoa(n) + "] on a had already ended: interrupted\n"; ce != nil || rec.Output().Stdout != want {
		t.Errorf("%%bg stop of an ended cell: %q, %v; want %q", rec.Output().Stdout, ce, want)
	}
	_, ce = runCell(t, s, ctx, "%bg stop 999")
	if ce == nil || !strings.Contains(ce.Value, "no background cell [999]") {
		t.Errorf("%%bg stop 999: %v", ce)
	}
	rec, _ = runCell(t, s, ctx, "%bg")
	if got := rec.Output().Stdout; !regexp.MustCompile(`(?m)^CELL +BOARD +STATUS +TIME\n\[\d+\] +a +ok .*\n\[\d+\] +a +error: ZeroDivisionError .*\n\[\d+\] +a +interrupted `).MatchString(got) {
		t.Errorf("%%bg list:\n%s", got)
	}
	if rec, ce := runCell(t, s, ctx, "%%board a\nname"); ce != nil || rec.Output().Result != "'a'" {
		t.Errorf("board a after %%bg stop: %q, %v", rec.Output().Result, ce)
	}
	_, ce = runCell(t, s, ctx, "%%bg a")
	if ce == nil || !strings.Contains(ce.Value, "no body") {
		t.Errorf("%%%%bg with no body: %v", ce)
	}
	_, ce = runCell(t, s, ctx, "%%bg zz\n1")
	if ce == nil || ce.Name != "UnknownBoardError" {
		t.Errorf("%%%%bg on an unknown board: %v", ce)
	}

	// Closing the session stops a background cell that never ends.
	startBg(t, s, "%%bg b\nwhile True:\n    pass")
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	t.Logf("Close with a background cell running took %v", time.Since(start))
}

func TestBackgroundWaitAll(t *testing.T) {
	s := realSession(t, "a", "b")
	ctx := context.Background()
	startBg(t, s, "%%bg a\nimport time\ntime.sleep(0.2)")
	startBg(t, s, "%%bg b\nimport time\ntime.sleep(0.3)\n1/0")
	rec, ce := runCell(t, s, ctx, "%bg wait")
	if ce == nil || ce.Name != "ZeroDivisionError" {
		t.Errorf("%%bg wait with one failed cell: %v, want ZeroDivisionError", ce)
	}
	if !regexp.MustCompile(`^background cell \[\d+\] on a: ok after .*\nbackground cell \[\d+\] on b: error: ZeroDivisionError after .*\n$`).MatchString(rec.Output().Stdout) {
		t.Errorf("%%bg wait:\n%s", rec.Output().Stdout)
	}
	rec, ce = runCell(t, s, ctx, "%bg stop")
	if ce != nil || rec.Output().Stdout != "no background cell is running\n" {
		t.Errorf("%%bg stop with none running: %q, %v", rec.Output().Stdout, ce)
	}
}
