package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/kernel"
	"github.com/iotkernel/iotkernel/magics"
	"github.com/iotkernel/iotkernel/transport"
)

// boardTiming measures the board parts of a %%time cell (runBoard calls
// it around each part): the board's own clock and heap through
// boardpy.Timing, and the link's bytes.
type boardTiming struct {
	clock    *boardpy.Timing
	startErr error
	parts    int           // parts that reached the board
	own      time.Duration // spent in the timing's own programs, not the cell's

	overhead       int64 // bytes the timing lines added to the parts
	sent, received int64
	counted        bool // the board counts its bytes

	board                time.Duration
	measured, late       bool
	free, collected      int
	lapErr               error
	traffic0s, traffic0r int64
}

// trafficker is a Board that counts its link's bytes (*transport.Board).
type trafficker interface{ Traffic() (sent, received int64) }

// wrap starts the board's clock before the first part and adds the
// timing lines to a part.
func (t *boardTiming) wrap(ctx context.Context, b magics.Board, code string) string {
	if t.clock == nil && t.startErr == nil {
		start := time.Now()
		t.clock, t.startErr = boardpy.StartTiming(ctx, b)
		t.own += time.Since(start)
	}
	if t.clock == nil {
		return code
	}
	w, n := t.clock.Wrap(code)
	t.overhead += int64(n)
	return w
}

// begin notes the link's counters before a part runs.
func (t *boardTiming) begin(b magics.Board) {
	if tr, ok := underlying(b).(trafficker); ok {
		t.counted = true
		t.traffic0s, t.traffic0r = tr.Traffic()
	}
}

// end counts the part's bytes and reads the board's figures, unless the
// board is gone (a reset or a broken link: its figures went with it).
func (t *boardTiming) end(ctx context.Context, b magics.Board, runErr error) {
	t.parts++
	if tr, ok := underlying(b).(trafficker); ok {
		s, r := tr.Traffic()
		t.sent += s - t.traffic0s
		t.received += r - t.traffic0r
	}
	var ee *transport.ExecError
	if t.clock == nil || (runErr != nil && !errors.As(runErr, &ee)) {
		return
	}
	start := time.Now()
	lap, err := t.clock.Lap(context.WithoutCancel(ctx), b)
	t.own += time.Since(start)
	if err != nil {
		t.lapErr = err
		return
	}
	t.board += lap.Board
	t.measured = t.measured || lap.Measured
	t.late = t.late || lap.Late
	t.free, t.collected = lap.Free, lap.Collected
}

// runTimed runs a %%time cell and prints what it measured, after the
// cell's output, even when the cell failed.
func (s *Session) runTimed(ctx context.Context, c Cell, env *cellEnv, code string) error {
	return s.timed(env, c.Kind == BoardCell, func() error { return s.runCell(ctx, c, env, code) })
}

// timedLine returns the code of a "%time CODE" line (the text after
// '%'). Other lines, and "%time" alone or with flags (-h), are the
// registry's.
func timedLine(text string) (string, bool) {
	rest, ok := strings.CutPrefix(text, "time ")
	rest = strings.TrimSpace(rest)
	if !ok || rest == "" || strings.HasPrefix(rest, "-") {
		return "", false
	}
	return rest, true
}

// runTimedLine runs the code of a %time line as the cell's language
// (run), and prints what it took as %%time does.
func (s *Session) runTimedLine(ctx context.Context, kind Kind, code string, line int, env *cellEnv, run func(context.Context, string, int, kernel.Output) error) error {
	return s.timed(env, kind == BoardCell, func() error { return run(ctx, code, line, env.out) })
}

// timed runs f, measuring the board parts it runs when board is true,
// and prints the report.
func (s *Session) timed(env *cellEnv, board bool, f func() error) error {
	var bt *boardTiming
	if board {
		bt = &boardTiming{}
		prev := s.timing // a %time line in a %%time cell
		s.timing = bt
		defer func() { s.timing = prev }()
	}
	cpu0, cpuOK := cpuTime()
	start := time.Now()
	err := f()
	wall := time.Since(start)
	cpu1, _ := cpuTime()
	if bt != nil && bt.parts > 0 {
		io.WriteString(env.out.Stdout(), bt.report(wall-bt.own))
	} else {
		io.WriteString(env.out.Stdout(), hostReport(wall, cpu0, cpu1, cpuOK))
	}
	return err
}

// cpuTimes is the process's user and system CPU time.
type cpuTimes struct{ user, sys time.Duration }

func hostReport(wall time.Duration, cpu0, cpu1 cpuTimes, ok bool) string {
	var b strings.Builder
	if ok {
		u, sy := cpu1.user-cpu0.user, cpu1.sys-cpu0.sys
		fmt.Fprintf(&b, "CPU times: user %s, sys: %s, total: %s\n", duration(u), duration(sy), duration(u+sy))
	}
	fmt.Fprintf(&b, "Wall time: %s\n", duration(wall))
	return b.String()
}

func (t *boardTiming) report(wall time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Wall time: %s\n", duration(wall))
	switch {
	case t.startErr != nil:
		fmt.Fprintf(&b, "Board time: not measured (%v)\n", t.startErr)
	case t.clock.Module == "":
		b.WriteString("Board time: not measured (the board has no time.ticks_ms)\n")
	case !t.measured:
		b.WriteString("Board time: not measured (the code did not run)\n")
	default:
		clock := "ticks_ms"
		if t.clock.Micro && t.board < time.Minute {
			clock = "ticks_us"
		}
		if t.late {
			// The end was read after the error reached the kernel.
			fmt.Fprintf(&b, "Board time: at most %s (%s.%s; the cell raised, and was timed up to the kernel's next question)\n", duration(t.board), t.clock.Module, clock)
			break
		}
		fmt.Fprintf(&b, "Board time: %s (%s.%s)\n", duration(t.board), t.clock.Module, clock)
	}
	if t.counted {
		fmt.Fprintf(&b, "Sent: %s, received: %s\n", bytesText(max(t.sent-t.overhead, 0)), bytesText(t.received))
	}
	switch {
	case t.clock == nil:
	case t.clock.FreeBefore < 0:
		b.WriteString("Free heap: not known (the board has no gc.mem_free)\n")
	case t.lapErr != nil:
		fmt.Fprintf(&b, "Free heap: %s before; after: not read (%v)\n", bytesText(int64(t.clock.FreeBefore)), t.lapErr)
	case t.free != 0 || t.collected != 0:
		fmt.Fprintf(&b, "Free heap: %s before, %s after, %s after gc.collect()\n",
			bytesText(int64(t.clock.FreeBefore)), bytesText(int64(t.free)), bytesText(int64(t.collected)))
	default:
		fmt.Fprintf(&b, "Free heap: %s before; after: not read (the board was reset)\n", bytesText(int64(t.clock.FreeBefore)))
	}
	return b.String()
}

// duration prints d as IPython's %%time does: three significant digits
// in ns, µs, ms or s.
func duration(d time.Duration) string {
	v, unit := float64(d), "ns"
	for _, u := range []struct {
		n    float64
		name string
	}{{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}} {
		if float64(d) >= u.n {
			v, unit = float64(d)/u.n, u.name
			break
		}
	}
	switch {
	case unit == "ns" || v >= 100:
		return fmt.Sprintf("%.0f %s", v, unit)
	case v >= 10:
		return fmt.Sprintf("%.1f %s", v, unit)
	}
	return fmt.Sprintf("%.2f %s", v, unit)
}

// bytesText prints n with thousands separated: "12,345 B".
func bytesText(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s + " B"
}
