package boardpy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/iotkernel/iotkernel/boardpy"
)

func TestTimingWrapKeepsLines(t *testing.T) {
	tm := &boardpy.Timing{Module: "time", Micro: true}
	got, n := tm.Wrap("\n\nx = 1\ny = 2")
	want := "_ik_T=__import__('time');_ik_t0=_ik_T.ticks_ms();_ik_u0=_ik_T.ticks_us()\n\nx = 1\ny = 2\n_ik_u1=_ik_T.ticks_us();_ik_t1=_ik_T.ticks_ms()\n"
	if got != want || n != len(want)-len("\n\nx = 1\ny = 2") {
		t.Errorf("Wrap = %q, %d\nwant %q", got, n, want)
	}
	// Unpadded (a %time line on the cell's first line): a simple
	// statement shares the line, a compound one cannot.
	if got, _ := tm.Wrap("x = 1"); !strings.HasPrefix(got, "_ik_T=__import__('time');_ik_t0=_ik_T.ticks_ms();_ik_u0=_ik_T.ticks_us();x = 1\n") {
		t.Errorf("Wrap of a first line = %q, want the clock on the same line", got)
	}
	if got, _ := tm.Wrap("for i in x: f(i)"); !strings.Contains(got, "ticks_us()\nfor i") {
		t.Errorf("Wrap of a compound first line = %q, want the clock on a line of its own", got)
	}
	if got, n := (&boardpy.Timing{}).Wrap("x"); got != "x" || n != 0 {
		t.Errorf("Wrap without ticks = %q, %d; want the code unchanged", got, n)
	}
}

// TestTimingOnUnixPort times a part that sleeps, one that raises and one
// that never compiled, and checks that no name is left behind.
func TestTimingOnUnixPort(t *testing.T) {
	b := localBoard(t)
	ctx := context.Background()
	tm, err := boardpy.StartTiming(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if tm.Module != "time" || !tm.Micro || tm.FreeBefore <= 0 {
		t.Fatalf("StartTiming = %+v, want time with ticks_us and a free heap", tm)
	}
	code, _ := tm.Wrap("\nimport time\ntime.sleep_ms(20)\n")
	runOn(t, b, code)
	lap, err := tm.Lap(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if !lap.Measured || lap.Late || lap.Board <= 0 || lap.Free <= 0 || lap.Collected <= 0 {
		t.Errorf("Lap after a sleep = %+v", lap)
	}
	code, _ = tm.Wrap("\n1/0\n")
	if err := b.Exec(ctx, code, nil, nil); err == nil {
		t.Fatal("1/0 did not raise")
	}
	if lap, err := tm.Lap(ctx, b); err != nil || !lap.Measured || !lap.Late {
		t.Errorf("Lap after an error = %+v, %v; want measured, late", lap, err)
	}
	code, _ = tm.Wrap("\n)\n")
	if err := b.Exec(ctx, code, nil, nil); err == nil || !strings.Contains(err.Error(), "SyntaxError") {
		t.Fatalf("a syntax error ran: %v", err)
	}
	if lap, err := tm.Lap(ctx, b); err != nil || lap.Measured {
		t.Errorf("Lap after a syntax error = %+v, %v; want not measured", lap, err)
	}
	checkClean(t, b)
}
