// Package main is the boardbench command: it measures iotkernel's board
// link against the line's physical floor and against mpremote, the
// official MicroPython host tool, side by side in one run, over the same
// emulated 115,200-baud line to the same real MicroPython (the 1.25 Unix
// port with the transport's board program; see bench/linesim).
//
// Cells:
//
//	trivial   `x = 1`: iotkernel's time against the floor (the protocol's
//	          bytes at line rate plus the board's own time); mpremote's
//	          `connect PORT exec CODE` against iotkernel's time
//	16 KB     a 16 KB cell, raw-paste: fraction of the line rate
//	print 64K a cell printing 64 KB: fraction of the line rate
//	interrupt a busy loop: from the cancel to the cell's KeyboardInterrupt
//
// %cp: a 32 KB random binary file host -> board, %cp against
// `mpremote connect PORT cp FILE :FILE`.
//
// %rsync of a 40-file tree with 2 files changed against `mpremote cp -r`
// of the tree; importing a 10 KB module through %mount against
// `mpremote mount` (project.go).
//
// The board's own time is the same work over the same path with the line
// unthrottled. mpremote is timed as a whole command (start-up, connect,
// soft reset, work, disconnect: what a user waits for), and, where it
// helps fairness, as the extra time of one more copy of the work inside
// one mpremote invocation. Ratios are printed with the machine; nothing
// is asserted.
//
// With -serve it only starts the board and the line, prints the port and
// waits, for trying tools by hand.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/iotkernel/iotkernel/bench/linesim"
	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/pysource"
	"github.com/iotkernel/iotkernel/transport"
	"golang.org/x/sys/unix"
)

const installHint = "run scripts/install-boards.sh (as root) first, or point -micropython/-mpremote (or $IOTKERNEL_MICROPYTHON/$IOTKERNEL_MPREMOTE) at them"

type config struct {
	micropython, mpremote string
	rate                  int
	runs                  int // scale of the repetition counts
	quick                 bool
}

func main() {
	root := repoRoot()
	cfg := config{}
	flag.StringVar(&cfg.micropython, "micropython", envOr("IOTKERNEL_MICROPYTHON", filepath.Join(root, ".cache/boards/trixie/micropython")), "MicroPython Unix port (scripts/install-boards.sh's wrapper)")
	flag.StringVar(&cfg.mpremote, "mpremote", envOr("IOTKERNEL_MPREMOTE", filepath.Join(root, ".cache/boards/trixie/mpremote")), "mpremote (scripts/install-boards.sh's wrapper)")
	flag.IntVar(&cfg.rate, "rate", linesim.Rate115200, "line rate in bytes a second, each way")
	flag.IntVar(&cfg.runs, "runs", 1, "multiply the repetition counts by this")
	flag.BoolVar(&cfg.quick, "quick", false, "one run of each measurement (a smoke test, not a benchmark)")
	serve := flag.Bool("serve", false, "start the board behind the line, print the port, wait for Ctrl-C")
	flag.Parse()
	if cfg.runs < 1 {
		cfg.runs = 1
	}
	if err := run(cfg, *serve); err != nil {
		fmt.Fprintln(os.Stderr, "boardbench:", err)
		os.Exit(1)
	}
}

func run(cfg config, serve bool) error {
	if err := checkTool("MicroPython Unix port", cfg.micropython); err != nil {
		return err
	}
	if !serve {
		if err := checkTool("mpremote", cfg.mpremote); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "iotkernel-boardbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	boardDir, progDir, hostDir := filepath.Join(tmp, "board"), filepath.Join(tmp, "prog"), filepath.Join(tmp, "host")
	for _, d := range []string{boardDir, progDir, hostDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	board, err := linesim.StartBoard(cfg.micropython, boardDir, progDir)
	if err != nil {
		return fmt.Errorf("start the board: %w; %s", err, installHint)
	}
	defer board.Close()
	line, err := linesim.NewLine(board, cfg.rate)
	if err != nil {
		return err
	}
	defer line.Close()

	if serve {
		fmt.Printf("board %s behind a %d bytes/s line at %s (its files in %s); Ctrl-C ends\n", cfg.micropython, cfg.rate, line.Path, boardDir)
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		select {
		case <-sig:
		case <-board.Exited():
			return errors.New("the board process ended")
		}
		return nil
	}

	b := &bench{cfg: cfg, line: line, board: board, hostDir: hostDir}
	return b.all()
}

type bench struct {
	cfg     config
	line    *linesim.Line
	board   *linesim.Board
	hostDir string
	iot     *transport.Board

	ideal idealTimes
	// goals met or not, for the summary.
	summary []string
}

// idealTimes are the raw client's medians: unthrottled (the board's own
// time) and over the line.
type idealTimes struct {
	trivialBoard, trivialLine     time.Duration
	interruptBoard, interruptLine time.Duration
}

func (b *bench) n(base int) int {
	if b.cfg.quick {
		return 1
	}
	return base * b.cfg.runs
}

// lineTime is the time n bytes take on the line.
func (b *bench) lineTime(n int) time.Duration {
	return time.Duration(n) * time.Second / time.Duration(b.cfg.rate)
}

// unthrottled runs f with the line unthrottled.
func (b *bench) unthrottled(f func() error) error {
	rate := b.line.Rate()
	b.line.SetRate(0)
	defer b.line.SetRate(rate)
	return f()
}

func (b *bench) all() error {
	ctx := context.Background()
	printMachine(b.cfg.rate)
	mpver, err := b.mpremoteVersion(ctx)
	if err != nil {
		return err
	}
	if err := b.measureIdeal(ctx); err != nil {
		return err
	}

	// iotkernel, one connection for all its cells, as a kernel holds it.
	t0 := time.Now()
	iot, err := transport.Open(ctx, "serial://"+b.line.Path, transport.Options{})
	if err != nil {
		return fmt.Errorf("iotkernel cannot open the emulated board at %s: %w (is the MicroPython Unix port working? %s)", b.line.Path, err, installHint)
	}
	connect := time.Since(t0)
	b.iot = iot
	info, err := boardpy.Describe(ctx, iot)
	if err != nil {
		return fmt.Errorf("board version: %w", err)
	}
	fmt.Printf("board:   %s %s %s (Unix port + iotkernel board program), reached as %s\n", info.Implementation, info.Version, info.Platform, b.line.Path)
	fmt.Printf("peer:    %s, timed as whole commands `mpremote connect PORT ...`\n", mpver)
	fmt.Printf("iotkernel: transport.Open(serial://%s) took %s (open, enter raw REPL, probe raw-paste: once per kernel session)\n", b.line.Path, fmtDur(connect))
	fmt.Printf("floor:   the protocol's least bytes at line rate, one direction after the other, plus the board's own\n")
	fmt.Printf("         time: the cell's compile and run timed on the board (time.ticks_us). The board program's\n")
	fmt.Printf("         reading and framing is not in it; \"minimal raw client\" (one write, read to the prompt, over\n")
	fmt.Printf("         the same line) shows what the emulated board and line allow with it\n\n")

	mpStart, err := b.timeMpremote(ctx, b.n(3), []string{"version"}, nil)
	if err != nil {
		return err
	}
	steps := []func(context.Context) error{
		func(ctx context.Context) error { return b.trivial(ctx, mpStart) },
		b.cell16K, b.print64K, b.interrupt, b.cp, b.rsync, b.mountImport,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	if b.iot != nil {
		b.iot.Close()
	}

	fmt.Println("== goals (printed, not asserted) ==")
	for _, s := range b.summary {
		fmt.Println("  " + s)
	}
	return nil
}

// measureIdeal times the minimal raw client, unthrottled and over the
// line, before iotkernel takes the port.
func (b *bench) measureIdeal(ctx context.Context) error {
	c, err := openRawClient(b.line.Path)
	if err != nil {
		return fmt.Errorf("raw client on %s: %w (is the MicroPython Unix port working? %s)", b.line.Path, err, installHint)
	}
	defer func() {
		c.Close()
		b.line.Quiesce(ctx, 50*time.Millisecond)
	}()
	times := func(n int, f func() (time.Duration, error)) (time.Duration, error) {
		var ds []time.Duration
		for i := 0; i < n; i++ {
			d, err := f()
			if err != nil {
				return 0, err
			}
			ds = append(ds, d)
		}
		return median(ds), nil
	}
	trivial := func() (time.Duration, error) { return c.run("x = 1") }
	err = b.unthrottled(func() error {
		var err error
		if b.ideal.trivialBoard, err = times(b.n(20), trivial); err != nil {
			return err
		}
		b.ideal.interruptBoard, err = times(b.n(5), c.interrupt)
		return err
	})
	if err != nil {
		return fmt.Errorf("raw client: %w", err)
	}
	if b.ideal.trivialLine, err = times(b.n(20), trivial); err != nil {
		return fmt.Errorf("raw client: %w", err)
	}
	if b.ideal.interruptLine, err = times(b.n(5), c.interrupt); err != nil {
		return fmt.Errorf("raw client: %w", err)
	}
	return nil
}

// ---- iotkernel cells --------------------------------------------------

type execStats struct {
	median   time.Duration
	up, down int64 // wire bytes of one run (the last)
	protocol string
}

// execIot runs code n times on iotkernel's board at the line's current
// rate and returns the median time; check validates each run's stdout.
func (b *bench) execIot(ctx context.Context, code string, n int, check func(out []byte) error) (execStats, error) {
	var ds []time.Duration
	var st execStats
	for i := 0; i < n; i++ {
		var out, errOut bytes.Buffer
		up0, down0 := b.line.Up.Bytes(), b.line.Down.Bytes()
		t0 := time.Now()
		err := b.iot.Exec(ctx, code, &out, &errOut)
		d := time.Since(t0)
		if err != nil {
			return st, fmt.Errorf("iotkernel Exec: %w (stderr %q)", err, short(errOut.String(), 300))
		}
		if check != nil {
			if err := check(out.Bytes()); err != nil {
				return st, fmt.Errorf("iotkernel Exec: %w", err)
			}
		}
		st.up, st.down = b.line.Up.Bytes()-up0, b.line.Down.Bytes()-down0
		ds = append(ds, d)
	}
	st.median = median(ds)
	st.protocol = b.iot.Protocol()
	return st, nil
}

// execIotFreeAndLine is execIot with the line unthrottled (free, the
// board's own pace), then at the line's rate (st).
func (b *bench) execIotFreeAndLine(ctx context.Context, code string, n int, check func(out []byte) error) (free, st execStats, err error) {
	err = b.unthrottled(func() error {
		var err error
		free, err = b.execIot(ctx, code, n, check)
		return err
	})
	if err != nil {
		return free, st, err
	}
	st, err = b.execIot(ctx, code, n, check)
	return free, st, err
}

// runTime is the board's own time for code: compile and run, timed on the
// board with the line unthrottled (median of n).
func (b *bench) runTime(ctx context.Context, code string, n int) (time.Duration, error) {
	var ds []time.Duration
	err := b.unthrottled(func() error {
		if err := b.iot.Exec(ctx, "_ik_src = "+pysource.Str(code), io.Discard, io.Discard); err != nil {
			return fmt.Errorf("board run time: %w", err)
		}
		const timer = "import time\n_ik_t = time.ticks_us()\nexec(compile(_ik_src, '<stdin>', 'exec'), {'__name__': '__main__'})\n_ik_d = time.ticks_diff(time.ticks_us(), _ik_t)\nprint()\nprint('run_us=%d' % _ik_d)\n"
		for i := 0; i < n; i++ {
			var out bytes.Buffer
			if err := b.iot.Exec(ctx, timer, &out, io.Discard); err != nil {
				return fmt.Errorf("board run time: %w", err)
			}
			s := strings.TrimSpace(out.String())
			var us int64
			if _, err := fmt.Sscanf(s[strings.LastIndexByte(s, '\n')+1:], "run_us=%d", &us); err != nil {
				return fmt.Errorf("board run time: unexpected answer %q", short(s, 200))
			}
			ds = append(ds, time.Duration(us)*time.Microsecond)
		}
		return b.iot.Exec(ctx, "del _ik_src, _ik_t, _ik_d", io.Discard, io.Discard)
	})
	if err != nil {
		return 0, err
	}
	return median(ds), nil
}

func (b *bench) trivial(ctx context.Context, mpStart time.Duration) error {
	const code = "x = 1"
	n := b.n(20)
	free, st, err := b.execIotFreeAndLine(ctx, code, n, expectOut(""))
	if err != nil {
		return err
	}
	bt, err := b.runTime(ctx, code, n)
	if err != nil {
		return err
	}
	// Plain raw: "x = 1\x04" up, "OK\x04\x04>" down, one after the other.
	wire := len(code) + 1 + len("OK\x04\x04>")
	floor := b.lineTime(wire) + bt
	ratio := float64(st.median) / float64(floor)
	fmt.Printf("== cells: trivial cell `%s` (median of %d) ==\n", code, n)
	fmt.Printf("  floor                 %9s  = %d B at line rate + board's own time %s\n", fmtDur(floor), wire, fmtDur(bt))
	fmt.Printf("  minimal raw client    %9s  %6.2fx floor    (%s on the unthrottled line)\n", fmtDur(b.ideal.trivialLine), float64(b.ideal.trivialLine)/float64(floor), fmtDur(b.ideal.trivialBoard))
	fmt.Printf("  iotkernel             %9s  %6.2fx floor    (wire %d B up, %d B down; %s on the unthrottled line)\n", fmtDur(st.median), ratio, st.up, st.down, fmtDur(free.median))
	b.goal(fmt.Sprintf("trivial cell: iotkernel %.2fx the floor (goal <= 1.2x)", ratio), ratio <= 1.2)

	const k = 11
	mp, in, err := b.timeMpremoteExec(ctx, code, b.n(5), k, "")
	if err != nil {
		return err
	}
	speedup := float64(mp) / float64(st.median)
	fmt.Printf("  mpremote, whole cmd   %9s  %6.1fx iotkernel's time (mpremote starting up alone, `mpremote version`: %s)\n", fmtDur(mp), speedup, fmtDur(mpStart))
	fmt.Printf("  mpremote, in session  %9s  %6.1fx iotkernel's time (one more exec in one invocation: (T(%d execs) - T(1)) / %d)\n\n", fmtDur(in), float64(in)/float64(st.median), k, k-1)
	b.goal(fmt.Sprintf("trivial cell: iotkernel %.1fx faster than a whole mpremote exec (goal >= 5x)", speedup), speedup >= 5)
	return nil
}

// bigCell returns a cell of exactly size bytes of assignments.
func bigCell(size int) string {
	line := "x = 'abcdefghijklmnopqrstuvwxyz0123456789'\n"
	return strings.Repeat(line, size/len(line)+1)[:size-1] + "\n"
}

func (b *bench) cell16K(ctx context.Context) error {
	code := bigCell(16384)
	n := b.n(5)
	bt, err := b.runTime(ctx, code, n)
	if err != nil {
		return err
	}
	free, st, err := b.execIotFreeAndLine(ctx, code, n, expectOut(""))
	if err != nil {
		return err
	}
	// Raw-paste: request up, answer and window down, the cell and its
	// end up (the board's grants go down meanwhile), the end's
	// acknowledgement and the result down.
	wire := len("\x05A\x01") + len("R\x01ww\x01") + len(code) + 1 + 1 + len("\x04\x04>")
	floor := b.lineTime(wire) + bt
	frac := float64(floor) / float64(st.median)
	fmt.Printf("== cells: 16 KB cell (median of %d) ==\n", n)
	fmt.Printf("  floor                 %9s  = %d B at line rate + board's own time %s\n", fmtDur(floor), wire, fmtDur(bt))
	fmt.Printf("  iotkernel             %9s  %6.2fx line rate (%s; wire %d B up, %d B down; %s on the unthrottled line)\n", fmtDur(st.median), frac, st.protocol, st.up, st.down, fmtDur(free.median))
	b.goal(fmt.Sprintf("16 KB cell: iotkernel at %.2fx line rate with %s (goal >= 0.9x, raw-paste)", frac, st.protocol), frac >= 0.9 && st.protocol == "raw-paste")

	mp, in, err := b.timeMpremoteExec(ctx, code, b.n(3), 3, "")
	if err != nil {
		return err
	}
	fmt.Printf("  mpremote, whole cmd   %9s  %6.2fx line rate, %.2fx iotkernel's time\n", fmtDur(mp), float64(floor)/float64(mp), float64(mp)/float64(st.median))
	fmt.Printf("  mpremote, in session  %9s  %6.2fx line rate, %.2fx iotkernel's time ((T(3 execs) - T(1)) / 2)\n\n", fmtDur(in), float64(floor)/float64(in), float64(in)/float64(st.median))
	return nil
}

func (b *bench) print64K(ctx context.Context) error {
	const code = "print('x' * 65536)"
	n := b.n(3)
	want := strings.Repeat("x", 65536) + "\n"
	bt, err := b.runTime(ctx, code, n)
	if err != nil {
		return err
	}
	free, st, err := b.execIotFreeAndLine(ctx, code, n, expectOut(want))
	if err != nil {
		return err
	}
	// Plain raw: the cell and its end up; "OK", the output with its
	// "\r\n", and the result down.
	wire := len(code) + 1 + len("OK") + 65536 + len("\r\n") + len("\x04\x04>")
	floor := b.lineTime(wire) + bt
	frac := float64(floor) / float64(st.median)
	fmt.Printf("== cells: cell printing 64 KB (median of %d) ==\n", n)
	fmt.Printf("  floor                 %9s  = %d B at line rate + board's own time %s\n", fmtDur(floor), wire, fmtDur(bt))
	fmt.Printf("  iotkernel             %9s  %6.2fx line rate (wire %d B up, %d B down; %s on the unthrottled line)\n", fmtDur(st.median), frac, st.up, st.down, fmtDur(free.median))
	b.goal(fmt.Sprintf("print 64 KB: iotkernel at %.2fx line rate (goal >= 0.9x)", frac), frac >= 0.9)

	// mpremote writes the board's bytes as they come: "\r\n" stays.
	mpWant := strings.Repeat("x", 65536) + "\r\n"
	mp, in, err := b.timeMpremoteExec(ctx, code, b.n(2), 2, mpWant)
	if err != nil {
		return err
	}
	fmt.Printf("  mpremote, whole cmd   %9s  %6.2fx line rate, %.2fx iotkernel's time\n", fmtDur(mp), float64(floor)/float64(mp), float64(mp)/float64(st.median))
	fmt.Printf("  mpremote, in session  %9s  %6.2fx line rate, %.2fx iotkernel's time (T(2 execs) - T(1))\n\n", fmtDur(in), float64(floor)/float64(in), float64(in)/float64(st.median))
	return nil
}

// interruptOnce starts a busy loop, cancels it after a while, and returns
// the time from the cancel to Exec's return and the wire bytes moved
// meanwhile.
func (b *bench) interruptOnce(ctx context.Context) (time.Duration, int64, error) {
	const code = "while True:\n    pass\n"
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		err := b.iot.Exec(cctx, code, io.Discard, io.Discard)
		done <- result{err, time.Now()}
	}()
	select {
	case r := <-done:
		return 0, 0, fmt.Errorf("the busy loop ended by itself: %v", r.err)
	case <-time.After(300 * time.Millisecond):
	}
	up0, down0 := b.line.Up.Bytes(), b.line.Down.Bytes()
	t0 := time.Now()
	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		return 0, 0, errors.New("interrupt: no answer 30 s after the cancel")
	}
	d := r.at.Sub(t0)
	var ee *transport.ExecError
	if !errors.As(r.err, &ee) || ee.Type != "KeyboardInterrupt" {
		return 0, 0, fmt.Errorf("interrupt: Exec returned %v, want a KeyboardInterrupt", r.err)
	}
	wire := b.line.Up.Bytes() - up0 + b.line.Down.Bytes() - down0
	// The board must be usable again.
	var out bytes.Buffer
	if err := b.iot.Exec(ctx, "print(40 + 2)", &out, io.Discard); err != nil || out.String() != "42\n" {
		return 0, 0, fmt.Errorf("after the interrupt the board answered %q, %v", out.String(), err)
	}
	return d, wire, nil
}

func (b *bench) interrupt(ctx context.Context) error {
	n := b.n(5)
	var ds []time.Duration
	var wire int64
	for i := 0; i < n; i++ {
		d, w, err := b.interruptOnce(ctx)
		if err != nil {
			return err
		}
		ds = append(ds, d)
		wire = w
	}
	d := median(ds)
	// The board's reaction (signal, traceback) overlaps the wire: the
	// floor is the bytes alone.
	floor := b.lineTime(int(wire))
	fmt.Printf("== cells: interrupt of a busy loop, cancel to the cell's KeyboardInterrupt (median of %d) ==\n", n)
	fmt.Printf("  floor                 %9s  = %d B (Ctrl-C up, traceback down) at line rate\n", fmtDur(floor), wire)
	fmt.Printf("  minimal raw client    %9s  %6.2fx floor    (%s on the unthrottled line)\n", fmtDur(b.ideal.interruptLine), float64(b.ideal.interruptLine)/float64(floor), fmtDur(b.ideal.interruptBoard))
	fmt.Printf("  iotkernel             %9s  %6.2fx floor\n", fmtDur(d), float64(d)/float64(floor))
	fmt.Printf("  mpremote              (no comparison: its Ctrl-C ends mpremote and leaves the board running)\n\n")
	b.note(fmt.Sprintf("interrupt: KeyboardInterrupt %s after the cancel, %.2fx the floor (no numeric goal)", fmtDur(d), float64(d)/float64(floor)))
	return nil
}

// ---- %cp --------------------------------------------------------------

func (b *bench) cp(ctx context.Context) error {
	const size = 32 * 1024
	data := make([]byte, size)
	rand.Read(data)
	src := filepath.Join(b.hostDir, "data.bin")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		return err
	}
	dst := filepath.Join(b.board.Dir, "data.bin")
	verify := func(who string) error {
		got, err := os.ReadFile(dst)
		if err != nil {
			return fmt.Errorf("%s cp: the board has no copy: %w", who, err)
		}
		if !bytes.Equal(got, data) {
			return fmt.Errorf("%s cp: the board's copy differs (%d bytes, want %d)", who, len(got), len(data))
		}
		return nil
	}
	n := b.n(3)
	var ds []time.Duration
	up0, down0 := b.line.Up.Bytes(), b.line.Down.Bytes()
	for i := 0; i < n; i++ {
		os.Remove(dst) // %cp skips a destination that already holds the bytes
		t0 := time.Now()
		err := b.cpUp(ctx, src, "data.bin")
		d := time.Since(t0)
		if err != nil {
			return fmt.Errorf("iotkernel %%cp: %w", err)
		}
		if err := verify("iotkernel %"); err != nil {
			return err
		}
		ds = append(ds, d)
	}
	iot := median(ds)
	up, down := (b.line.Up.Bytes()-up0)/int64(n), (b.line.Down.Bytes()-down0)/int64(n)
	floor := b.lineTime(size)
	fmt.Printf("== %%cp of a %d KB random binary file host -> board (median of %d) ==\n", size/1024, n)
	fmt.Printf("  floor                 %9s  = the file's %d B at line rate\n", fmtDur(floor), size)
	fmt.Printf("  iotkernel %%cp         %9s  %6.2fx line rate, %s/s (wire %d B up, %d B down)\n", fmtDur(iot), float64(floor)/float64(iot), kb(size, iot), up, down)

	// mpremote skips the copy too when the hashes match.
	mp, err := b.timeMpremoteEach(ctx, n, []string{"cp", src, ":data.bin"},
		func() { os.Remove(dst) },
		func([]byte) error { return verify("mpremote") })
	if err != nil {
		return err
	}
	speedup := float64(mp) / float64(iot)
	fmt.Printf("  mpremote cp           %9s  %6.2fx line rate, %s/s; %.2fx iotkernel's time\n\n", fmtDur(mp), float64(floor)/float64(mp), kb(size, mp), speedup)
	b.goal(fmt.Sprintf("%%cp 32 KB: iotkernel %.2fx faster than mpremote cp (goal >= 2x)", speedup), speedup >= 2)
	return nil
}

// cpUp copies the host file src to the board with the round trips of
// %cp SRC :DST: it asks whether DST is a directory, reads the file, asks
// the board for DST's size and hash in one round trip, and uploads and
// verifies the file unless the board already holds the same bytes.
func (b *bench) cpUp(ctx context.Context, src, dst string) error {
	if st, err := boardpy.Stat(ctx, b.iot, dst); err != nil || st.Dir {
		return fmt.Errorf("stat :%s: %v (a directory: %v)", dst, err, st.Dir)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	st, err := boardpy.Hash(ctx, b.iot, dst, int64(len(data)))
	if err != nil {
		return err
	}
	if st.Exists && st.Hash != "" && boardpy.HashOf(st.Hash, data) == st.Hash {
		return nil
	}
	return boardpy.Write(ctx, b.iot, dst, data, boardpy.WriteOptions{})
}

// ---- mpremote -----------------------------------------------------------

// timeMpremote runs `mpremote connect PORT args...` n times (args
// "version" alone runs without a port) and returns the median wall time;
// check validates stdout. The iotkernel board is closed first, so that
// mpremote has the port alone, and the line is left quiet after each run.
func (b *bench) timeMpremote(ctx context.Context, n int, args []string, check func([]byte) error) (time.Duration, error) {
	return b.timeMpremoteEach(ctx, n, args, nil, check)
}

// timeMpremoteExec times `mpremote connect PORT exec CODE`: as a whole
// command (median of n), and as the extra time of one more exec inside
// one invocation, (T(k execs) - T(1)) / (k-1), with k >= 2. want is what
// one exec prints.
func (b *bench) timeMpremoteExec(ctx context.Context, code string, n, k int, want string) (whole, inSession time.Duration, err error) {
	whole, err = b.timeMpremote(ctx, n, []string{"exec", code}, expectOut(want))
	if err != nil {
		return 0, 0, err
	}
	all, err := b.timeMpremote(ctx, 1, repeat([]string{"exec", code}, k), expectOut(strings.Repeat(want, k)))
	if err != nil {
		return 0, 0, err
	}
	return whole, (all - whole) / time.Duration(k-1), nil
}

// timeMpremoteEach is timeMpremote with before called ahead of each run
// (not timed).
func (b *bench) timeMpremoteEach(ctx context.Context, n int, args []string, before func(), check func([]byte) error) (time.Duration, error) {
	full := args
	if len(args) != 1 || args[0] != "version" {
		full = append([]string{"connect", b.line.Path}, args...)
		if b.iot != nil {
			b.iot.Close()
			b.iot = nil
			if err := b.line.Quiesce(ctx, 50*time.Millisecond); err != nil {
				return 0, err
			}
		}
		defer b.reopenIot(ctx)
	}
	var ds []time.Duration
	for i := 0; i < n; i++ {
		if before != nil {
			before()
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		cmd := exec.CommandContext(cctx, b.cfg.mpremote, full...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		t0 := time.Now()
		err := cmd.Run()
		d := time.Since(t0)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("mpremote %s: %v\n%s", short(strings.Join(full, " "), 120), err, short(errOut.String(), 2000))
		}
		if check != nil {
			if err := check(out.Bytes()); err != nil {
				return 0, fmt.Errorf("mpremote %s: %w", short(strings.Join(full, " "), 120), err)
			}
		}
		ds = append(ds, d)
		if err := b.line.Quiesce(ctx, 50*time.Millisecond); err != nil {
			return 0, err
		}
	}
	return median(ds), nil
}

// reopenIot gives iotkernel its connection back after mpremote's runs
// (deferred by timeMpremote), so that the cases may come in any order.
func (b *bench) reopenIot(ctx context.Context) {
	if b.iot != nil {
		return
	}
	iot, err := transport.Open(ctx, "serial://"+b.line.Path, transport.Options{})
	if err != nil {
		fmt.Fprintf(os.Stderr, "boardbench: reopen %s: %v\n", b.line.Path, err)
		return
	}
	b.iot = iot
}

func (b *bench) mpremoteVersion(ctx context.Context) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := exec.CommandContext(cctx, b.cfg.mpremote, "version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s version: %v\n%s\n%s", b.cfg.mpremote, err, short(string(out), 2000), installHint)
	}
	return strings.TrimSpace(string(out)), nil
}

// ---- helpers ------------------------------------------------------------

func (b *bench) goal(text string, met bool) {
	mark := "met    "
	if !met {
		mark = "NOT met"
	}
	b.summary = append(b.summary, mark+"  "+text)
}

func (b *bench) note(text string) {
	b.summary = append(b.summary, "info     "+text)
}

func expectOut(want string) func([]byte) error {
	return func(out []byte) error {
		if string(out) != want {
			return fmt.Errorf("printed %d bytes %q, want %d bytes %q", len(out), short(string(out), 80), len(want), short(want, 80))
		}
		return nil
	}
}

func repeat(args []string, k int) []string {
	var all []string
	for i := 0; i < k; i++ {
		all = append(all, args...)
	}
	return all
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < 10*time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func kb(n int, d time.Duration) string {
	return fmt.Sprintf("%.1f KB", float64(n)/1024/d.Seconds())
}

func short(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// repoRoot is the directory holding go.mod above the working directory
// (make runs the program from the repository), else the working directory.
func repoRoot() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			return wd
		}
	}
}

func checkTool(what, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s not found at %s: %s", what, path, installHint)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s at %s is not executable: %s", what, path, installHint)
	}
	return nil
}

// printMachine notes the machine the numbers were taken on.
func printMachine(rate int) {
	model, cores := "unknown CPU", 0
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if !ok {
				continue
			}
			switch strings.TrimSpace(k) {
			case "model name":
				if model == "unknown CPU" {
					model = strings.TrimSpace(v)
				}
			case "processor":
				cores++
			}
		}
		f.Close()
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			load = ", load " + strings.Join(f[:3], " ")
		}
	}
	kernel := ""
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		kernel = " " + unix.ByteSliceToString(u.Release[:])
	}
	fmt.Printf("iotkernel board benchmarks over an emulated serial line of %d bytes/s each way (115,200 baud is 11,520)\n", rate)
	fmt.Printf("machine: %s, %d cores (/proc/cpuinfo), %s/%s linux%s, %s%s\n", model, cores, runtime.GOOS, runtime.GOARCH, kernel, runtime.Version(), load)
}
