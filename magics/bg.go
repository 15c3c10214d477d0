package magics

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"
)

// BackgroundCells is the session's board cells running in the background
// (%%bg), for %bg. The router's Env implements it.
type BackgroundCells interface {
	// BackgroundCells lists the background cells started, running or
	// ended, oldest first.
	BackgroundCells() []BackgroundCell
	// StopBackground interrupts background cell n and waits for it to
	// end (or ctx). A cell that already ended is no error: its status
	// says so.
	StopBackground(ctx context.Context, n int) (BackgroundCell, error)
	// WaitBackground waits until background cell n ends, or ctx is done.
	WaitBackground(ctx context.Context, n int) (BackgroundCell, error)
}

// BackgroundCell is a background cell as %bg shows it.
type BackgroundCell struct {
	Cell    int // its execution count
	Board   string
	Running bool
	// Status is "running", "ok", "interrupted" or "error: NAME".
	Status  string
	Elapsed time.Duration
	Err     error // how it failed; nil when it ran to the end
}

// bgCell is %%bg.
func bgCell() Magic {
	return Magic{
		Name:    "bg",
		Args:    "[NAME]",
		Summary: "Start the cell on the board (the current one, or NAME) in the background and return at once.",
		Detail: `Its output keeps arriving in this cell's output area, ending with its
result or traceback, while other cells run on the host and on other
boards. Until it ends the board refuses other cells at once
(BoardBusyError). %bg lists background cells, %bg stop N interrupts one,
%bg wait N waits for one. input() fails in a background cell. Shutting
down or restarting the kernel stops them.`,
		Cell: true,
		Body: BoardBody,
	}
}

// ParseBg parses the first line of a %%bg cell after "%%bg": the board's
// name, "" for the current board.
func (r *Registry) ParseBg(args string) (string, error) {
	m := r.magics["%bg"]
	words, err := SplitArgs(args)
	if err == nil && len(words) > 1 {
		err = errors.New("takes one board name at most")
	}
	if err == nil && len(words) == 1 && words[0] != "" && words[0][0] == '-' {
		err = fmt.Errorf("unknown flag %s", words[0])
	}
	if err != nil {
		return "", &UsageError{Magic: "%" + m.Name, Err: err, Usage: synopsis(m)}
	}
	if len(words) == 0 {
		return "", nil
	}
	return words[0], nil
}

// bgLine is %bg.
func (r *Registry) bgLine() Magic {
	return Magic{
		Name:    "bg",
		Args:    "[stop [N] | wait [N]]",
		Summary: "List the background board cells (%%bg), stop one, or wait for one to end.",
		Detail: `%bg wait N fails when cell N failed, so that Run All stops there;
interrupting %bg wait stops the waiting, not the background cell.
Without N, stop and wait act on every background cell still running.`,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			return func(ctx context.Context, env Env, args []string) error {
				bc, ok := env.(BackgroundCells)
				if !ok {
					return errors.New("this session runs no background cells")
				}
				if len(args) == 0 {
					return listBackground(env.Stdout(), bc.BackgroundCells())
				}
				if len(args) > 2 || (args[0] != "stop" && args[0] != "wait") {
					return usageErrorf("want nothing, stop [N] or wait [N]")
				}
				if len(args) == 1 {
					return allBackground(ctx, env, bc, args[0] == "stop")
				}
				n, err := strconv.Atoi(args[1])
				if err != nil {
					return usageErrorf("%q is not a cell number", args[1])
				}
				if args[0] == "stop" {
					running := false
					for _, c := range bc.BackgroundCells() {
						running = running || c.Cell == n && c.Running
					}
					c, err := bc.StopBackground(ctx, n)
					if err != nil {
						return err
					}
					if running {
						_, err = fmt.Fprintf(env.Stdout(), "stopped background cell [%d] on %s: %s\n", c.Cell, c.Board, c.Status)
					} else {
						_, err = fmt.Fprintf(env.Stdout(), "background cell [%d] on %s had already ended: %s\n", c.Cell, c.Board, c.Status)
					}
					return err
				}
				c, err := bc.WaitBackground(ctx, n)
				if err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout(), "background cell [%d] on %s: %s after %.2f s\n", c.Cell, c.Board, c.Status, c.Elapsed.Seconds())
				if c.Err != nil {
					return fmt.Errorf("background cell [%d] on %s failed: %w", c.Cell, c.Board, c.Err)
				}
				return nil
			}
		},
	}
}

func listBackground(w io.Writer, cells []BackgroundCell) error {
	if len(cells) == 0 {
		_, err := io.WriteString(w, "no background cells (%%bg [NAME] on a cell's first line starts one)\n")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tBOARD\tSTATUS\tTIME")
	for _, c := range cells {
		fmt.Fprintf(tw, "[%d]\t%s\t%s\t%.2f s\n", c.Cell, c.Board, c.Status, c.Elapsed.Seconds())
	}
	return tw.Flush()
}

// allBackground stops, or waits for, every background cell running, and
// fails when one of them failed.
func allBackground(ctx context.Context, env Env, bc BackgroundCells, stop bool) error {
	var errs []error
	n := 0
	for _, c := range bc.BackgroundCells() {
		if !c.Running {
			continue
		}
		n++
		var err error
		if stop {
			c, err = bc.StopBackground(ctx, c.Cell)
		} else {
			c, err = bc.WaitBackground(ctx, c.Cell)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout(), "background cell [%d] on %s: %s after %.2f s\n", c.Cell, c.Board, c.Status, c.Elapsed.Seconds())
		if c.Err != nil && !stop {
			errs = append(errs, fmt.Errorf("background cell [%d] on %s failed: %w", c.Cell, c.Board, c.Err))
		}
	}
	if n == 0 {
		_, err := io.WriteString(env.Stdout(), "no background cell is running\n")
		return err
	}
	return errors.Join(errs...)
}
