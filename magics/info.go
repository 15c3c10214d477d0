package magics

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/iotkernel/iotkernel/boardpy"
	"text/tabwriter"
	"time"
)

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
	info, err := boardpy.Describe(ctx, b)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout(), 0, 4, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	row("platform", info.Platform)
	row("machine", info.Machine)
	row("implementation", info.Implementation+" "+info.Version)
	row("sys.version", info.SysVersion)
	row("unique id", info.UniqueID)
	if info.Freq >= 0 {
		row("CPU frequency", fmt.Sprintf("%d MHz", info.Freq/1000000))
	}
	if info.MemFree >= 0 {
		row("free memory", fmt.Sprintf("%s of %s", byteSize(info.MemFree), byteSize(info.MemFree+max(info.MemAlloc, 0))))
	}
	if info.FSFree >= 0 {
		row("free flash", fmt.Sprintf("%s of %s", byteSize(info.FSFree), byteSize(max(info.FSSize, 0))))
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

// clockSlack is how far a board's clock may be off and still be right.
const clockSlack = 100 * time.Millisecond

// synctime is %synctime.
func (r *Registry) synctime() Magic {
	return Magic{
		Name:    "synctime",
		Summary: "Set the board's clock (machine.RTC) to the host's local time.",
		New: onBoard(func(ctx context.Context, env Env, b Board) error {
			if err := boardpy.SetTime(ctx, b, r.opts.Now()); err != nil {
				if errors.Is(err, boardpy.ErrNoRTC) {
					return fmt.Errorf("synctime: %w", err)
				}
				return err
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
	clock, err := boardpy.Time(ctx, b)
	if errors.Is(err, boardpy.ErrNoCalendar) {
		return fmt.Errorf("gettime: %w", err)
	}
	if err != nil {
		return err
	}
	bt, epoch := clock.Time, clock.Epoch
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
	if !clock.RTC {
		fmt.Fprintf(w, "note: %v\n", boardpy.ErrNoRTC)
	}
	return nil
}
