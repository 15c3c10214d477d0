package magics

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// infoSnippet prints what %info shows as key=value lines. Every probe is
// guarded, since ports differ (no machine module on the Unix port, no
// statvfs on some, a tuple from machine.freq on stm32), and all names
// live in a function that is deleted afterwards.
const infoSnippet = `def _ik_info():
    import sys
    try:
        import os
    except ImportError:
        import uos as os
    v = sys.implementation
    print('platform=' + sys.platform)
    print('implementation=' + v.name)
    print('version=' + '.'.join([str(x) for x in v.version[:3]]))
    print('sysversion=' + sys.version)
    m = getattr(v, '_machine', '')
    if not m:
        try:
            m = os.uname().machine
        except Exception:
            m = ''
    print('machine=' + m)
    try:
        import machine
        print('unique_id=' + ''.join(['%02x' % b for b in machine.unique_id()]))
    except Exception:
        pass
    try:
        import machine
        f = machine.freq()
        if isinstance(f, tuple):
            f = f[0]
        print('freq=%d' % f)
    except Exception:
        pass
    try:
        import gc
        gc.collect()
        print('mem_free=%d' % gc.mem_free())
        print('mem_alloc=%d' % gc.mem_alloc())
    except Exception:
        pass
    try:
        s = os.statvfs('/')
        print('fs_free=%d' % (s[0] * s[3]))
        print('fs_size=%d' % (s[0] * s[2]))
    except Exception:
        pass
_ik_info()
del _ik_info
`

// parseKeyValues reads the key=value lines a snippet printed; other
// lines are ignored.
func parseKeyValues(out string) map[string]string {
	kv := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimRight(sc.Text(), "\r"), "="); ok {
			kv[k] = v
		}
	}
	return kv
}

// queryBoard runs snippet on b, passing on what the board writes to
// stderr, and returns what it printed along with its key=value lines.
func queryBoard(ctx context.Context, b Board, snippet string, stderr io.Writer) (string, map[string]string, error) {
	var out strings.Builder
	if err := b.Exec(ctx, snippet, &out, stderr); err != nil {
		return "", nil, err
	}
	return out.String(), parseKeyValues(out.String()), nil
}

// onBoard makes the New of a magic that takes no flags and no arguments
// and calls run with env's current board (ErrNoBoard when none is).
func onBoard(run func(ctx context.Context, env Env, b Board) error) func(*flag.FlagSet) func(context.Context, Env, []string) error {
	return func(*flag.FlagSet) func(context.Context, Env, []string) error {
		return func(ctx context.Context, env Env, args []string) error {
			if len(args) > 0 {
				return usageErrorf("takes no arguments")
			}
			b, err := board(env)
			if err != nil {
				return err
			}
			return run(ctx, env, b)
		}
	}
}

// info is %info.
func (r *Registry) info() Magic {
	return Magic{
		Name:    "info",
		Summary: "Describe the board: platform, MicroPython version, unique id, free memory, link.",
		New:     onBoard(showInfo),
	}
}

// showInfo prints what %info shows of b.
func showInfo(ctx context.Context, env Env, b Board) error {
	out, kv, err := queryBoard(ctx, b, infoSnippet, env.Stderr())
	if err != nil {
		return err
	}
	if kv["platform"] == "" {
		return fmt.Errorf("info: the board printed no platform (got %q)", short(out, 200))
	}
	tw := tabwriter.NewWriter(env.Stdout(), 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	row("platform", kv["platform"])
	row("machine", kv["machine"])
	row("implementation", kv["implementation"]+" "+kv["version"])
	row("sys.version", kv["sysversion"])
	row("unique id", kv["unique_id"])
	if f, err := strconv.ParseInt(kv["freq"], 10, 64); err == nil {
		row("CPU frequency", fmt.Sprintf("%d MHz", f/1000000))
	}
	if free, err := strconv.ParseInt(kv["mem_free"], 10, 64); err == nil {
		alloc, _ := strconv.ParseInt(kv["mem_alloc"], 10, 64)
		row("free memory", fmt.Sprintf("%s of %s", byteSize(free), byteSize(free+alloc)))
	}
	if free, err := strconv.ParseInt(kv["fs_free"], 10, 64); err == nil {
		size, _ := strconv.ParseInt(kv["fs_size"], 10, 64)
		row("free flash", fmt.Sprintf("%s of %s", byteSize(free), byteSize(size)))
	}
	row("link", b.URL())
	row("protocol", b.Protocol())
	return tw.Flush()
}

// byteSize formats n bytes for people.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// short cuts s to n bytes for an error message.
func short(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// timeSnippet prints the board's local time, the year of its epoch
// (2000 on older ports, 1970 on newer) and whether it has an RTC. A port
// whose time module keeps only ticks since boot (the micro:bit's has no
// localtime) prints time=none.
const timeSnippet = `def _ik_time():
    try:
        import time
    except ImportError:
        import utime as time
    try:
        t = time.localtime()
    except AttributeError:
        print('time=none')
        return
    print('time=%d %d %d %d %d %d' % tuple(t[:6]))
    try:
        print('epoch=%d' % time.gmtime(0)[0])
    except Exception:
        pass
    try:
        import machine
        print('rtc=%d' % hasattr(machine.RTC(), 'datetime'))
    except Exception:
        print('rtc=0')
_ik_time()
del _ik_time
`

// setTimeSnippet sets the board's RTC to the calendar time t. The RTC
// takes (year, month, day, weekday, hours, minutes, seconds, subseconds)
// with Monday as weekday 0, whatever the port's epoch.
func setTimeSnippet(t time.Time) string {
	wd := (int(t.Weekday()) + 6) % 7
	return fmt.Sprintf(`def _ik_settime():
    try:
        import machine
        r = machine.RTC()
        r.datetime
    except Exception:
        print('rtc=0')
        return
    r.datetime((%d, %d, %d, %d, %d, %d, %d, 0))
    print('rtc=1')
_ik_settime()
del _ik_settime
`, t.Year(), int(t.Month()), t.Day(), wd, t.Hour(), t.Minute(), t.Second())
}

// clockSlack is how far a board's clock may be off and still be right.
const clockSlack = 100 * time.Millisecond

// errNoRTC says a board cannot keep the time.
const errNoRTC = "this board has no real-time clock (no machine.RTC().datetime): its time cannot be set"

// errNoCalendar says a board has no calendar time at all.
const errNoCalendar = "this board has no calendar clock (its time module has no localtime, only ticks since boot): it cannot tell the date or time"

// boardTime runs timeSnippet and parses its answer.
func boardTime(ctx context.Context, b Board, stderr io.Writer) (t time.Time, epoch int, rtc bool, err error) {
	out, kv, err := queryBoard(ctx, b, timeSnippet, stderr)
	if err != nil {
		return time.Time{}, 0, false, err
	}
	if kv["time"] == "none" {
		return time.Time{}, 0, false, errors.New("gettime: " + errNoCalendar)
	}
	var y, mo, d, h, mi, s int
	if _, err := fmt.Sscanf(kv["time"], "%d %d %d %d %d %d", &y, &mo, &d, &h, &mi, &s); err != nil {
		return time.Time{}, 0, false, fmt.Errorf("read the board's time: unexpected answer %q", short(out, 200))
	}
	epoch, _ = strconv.Atoi(kv["epoch"])
	return time.Date(y, time.Month(mo), d, h, mi, s, 0, time.Local), epoch, kv["rtc"] == "1", nil
}

// synctime is %synctime.
func (r *Registry) synctime() Magic {
	return Magic{
		Name:    "synctime",
		Summary: "Set the board's clock (machine.RTC) to the host's local time.",
		New: onBoard(func(ctx context.Context, env Env, b Board) error {
			_, kv, err := queryBoard(ctx, b, setTimeSnippet(r.opts.Now()), env.Stderr())
			if err != nil {
				return err
			}
			if kv["rtc"] != "1" {
				return fmt.Errorf("synctime: %s", errNoRTC)
			}
			return r.showTime(ctx, env, b)
		}),
	}
}

// gettime is %gettime.
func (r *Registry) gettime() Magic {
	return Magic{
		Name:    "gettime",
		Summary: "Show the board's clock next to the host's.",
		New:     onBoard(r.showTime),
	}
}

// showTime prints the board's time, its offset from the host's, and its
// epoch when that is not Unix's.
func (r *Registry) showTime(ctx context.Context, env Env, b Board) error {
	before := r.opts.Now()
	bt, epoch, rtc, err := boardTime(ctx, b, env.Stderr())
	if err != nil {
		return err
	}
	after := r.opts.Now()
	// The board read its clock, to the second, between before and after:
	// a clock that is right names a second of that span, even when the
	// host's second has ticked over meanwhile. clockSlack more allows for
	// a coarse clock (the Unix port's time(), a jiffy behind Go's).
	var behind time.Duration
	switch lo := before.Add(-clockSlack).Truncate(time.Second); {
	case bt.Before(lo):
		behind = lo.Sub(bt)
	case bt.After(after.Add(clockSlack)):
		behind = after.Sub(bt)
	}
	host := time.Date(after.Year(), after.Month(), after.Day(), after.Hour(), after.Minute(), after.Second(), 0, time.Local)
	const layout = "2006-01-02 15:04:05"
	w := env.Stdout()
	fmt.Fprintf(w, "board: %s\nhost:  %s\n", bt.Format(layout), host.Format(layout))
	switch d := behind.Round(time.Second); {
	case d == 0:
		fmt.Fprintln(w, "the board's clock is right (to the second)")
	case d > 0:
		fmt.Fprintf(w, "the board's clock is %v behind: %%synctime sets it\n", d)
	default:
		fmt.Fprintf(w, "the board's clock is %v ahead: %%synctime sets it\n", -d)
	}
	if epoch != 0 && epoch != 1970 {
		fmt.Fprintf(w, "note: time.time() on this board counts from %d-01-01, not 1970 (add %d s for Unix time)\n",
			epoch, time.Date(epoch, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	}
	if !rtc {
		fmt.Fprintln(w, "note: "+errNoRTC)
	}
	return nil
}
