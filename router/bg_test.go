package router

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startBg runs a %%bg cell and returns its recorder and number.
func startBg(t *testing.T, s *Session, cell string) (*recorder, int) {
	t.Helper()
	rec, ce := runCell(t, s, context.Background(), cell)
	if ce != nil {
		t.Fatalf("%s: %v", cell, ce)
	}
	out, _, _ := rec.text()
	m := regexp.MustCompile(`^\[(\d+)\] runs in the background on \w+: %bg lists`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("%s: stdout %q does not say it started", cell, out)
	}
	n, _ := strconv.Atoi(m[1])
	return rec, n
}

func (r *recorder) text() (stdout, stderr, result string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stdout.String(), r.stderr.String(), r.result
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
	if rec, ce := runCell(t, s, ctx, "%use b\nname"); ce != nil || rec.result != "'b'" {
		t.Errorf("board b while a runs in the background: %q, %v", rec.result, ce)
	}
	if rec, ce := runCell(t, s, ctx, "%%host\n6 * 7"); ce != nil || rec.result != "42" {
		t.Errorf("host while a runs in the background: %q, %v", rec.result, ce)
	}
	rec, _ := runCell(t, s, ctx, "%boards")
	if !strings.Contains(rec.stdout.String(), "background cell ["+strconv.Itoa(n)+"]") {
		t.Errorf("%%boards does not show the background cell:\n%s", rec.stdout.String())
	}

	rec, ce := runCell(t, s, ctx, "%bg wait "+strconv.Itoa(n))
	if ce != nil || !regexp.MustCompile(`^background cell \[\d+\] on a: ok after \d+\.\d\d s\n$`).MatchString(rec.stdout.String()) {
		t.Errorf("%%bg wait: %q, %v", rec.stdout.String(), ce)
	}
	out, _, result := bg.text()
	if !strings.HasSuffix(out, "tick 0\ntick 1\ntick 2\ntick 3\ntick 4\n") || result != "'a done'" {
		t.Errorf("background cell's output %q, result %q", out, result)
	}
	// The board is free again.
	if rec, ce := runCell(t, s, ctx, "%%board a\nname"); ce != nil || rec.result != "'a'" {
		t.Errorf("board a after its background cell: %q, %v", rec.result, ce)
	}

	// A failure ends up in the cell that started it; %bg wait fails too.
	bg, n = startBg(t, s, "%%bg a\n1/0")
	_, ce = runCell(t, s, ctx, "%bg wait "+strconv.Itoa(n))
	if ce == nil || ce.Name != "ZeroDivisionError" {
		t.Errorf("%%bg wait of a failed cell: %v, want ZeroDivisionError", ce)
	}
	if _, errText, _ := bg.text(); !strings.Contains(errText, "ZeroDivisionError") {
		t.Errorf("failed background cell's traceback not in its cell: %q", errText)
	}

	// %bg stop interrupts; the board keeps its variables.
	bg, n = startBg(t, s, "%%bg a\nwhile True:\n    pass")
	rec, ce = runCell(t, s, ctx, "%bg stop "+strconv.Itoa(n))
	if want := "stopped background cell [" + strconv.Itoa(n) + "] on a: interrupted\n"; ce != nil || rec.stdout.String() != want {
		t.Errorf("%%bg stop: %q, %v; want %q", rec.stdout.String(), ce, want)
	}
	if _, errText, _ := bg.text(); !strings.Contains(errText, "KeyboardInterrupt") {
		t.Errorf("stopped background cell does not say KeyboardInterrupt: %q", errText)
	}
	rec, ce = runCell(t, s, ctx, "%bg stop "+strconv.Itoa(n))
	if want := "background cell [" + strconv.Itoa(n) + "] on a had already ended: interrupted\n"; ce != nil || rec.stdout.String() != want {
		t.Errorf("%%bg stop of an ended cell: %q, %v; want %q", rec.stdout.String(), ce, want)
	}
	_, ce = runCell(t, s, ctx, "%bg stop 999")
	if ce == nil || !strings.Contains(ce.Value, "no background cell [999]") {
		t.Errorf("%%bg stop 999: %v", ce)
	}
	rec, _ = runCell(t, s, ctx, "%bg")
	if got := rec.stdout.String(); !regexp.MustCompile(`(?m)^CELL +BOARD +STATUS +TIME\n\[\d+\] +a +ok .*\n\[\d+\] +a +error: ZeroDivisionError .*\n\[\d+\] +a +interrupted `).MatchString(got) {
		t.Errorf("%%bg list:\n%s", got)
	}
	if rec, ce := runCell(t, s, ctx, "%%board a\nname"); ce != nil || rec.result != "'a'" {
		t.Errorf("board a after %%bg stop: %q, %v", rec.result, ce)
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
	if !regexp.MustCompile(`^background cell \[\d+\] on a: ok after .*\nbackground cell \[\d+\] on b: error: ZeroDivisionError after .*\n$`).MatchString(rec.stdout.String()) {
		t.Errorf("%%bg wait:\n%s", rec.stdout.String())
	}
	rec, ce = runCell(t, s, ctx, "%bg stop")
	if ce != nil || rec.stdout.String() != "no background cell is running\n" {
		t.Errorf("%%bg stop with none running: %q, %v", rec.stdout.String(), ce)
	}
}
