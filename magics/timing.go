package magics

import (
	"context"
	"errors"
	"flag"
	"io"
)

const timeDetail = `%%time goes alone on a cell's first line, above the cell it times,
which runs as it would without it: a board cell, or one that starts with
its own cell magic (%%host, %%bash, %%plot...). After the cell (after its
error too) it prints:

  board cells: the wall time, the time the code ran on the board (by
  the board's time.ticks_us or ticks_ms, so the upload and compilation
  are not in it), the bytes sent to the board and received from it, and
  the board's free heap (gc.mem_free) before the cell (after a
  gc.collect()), after it, and after a gc.collect();

  other cells: the wall time and the kernel's CPU time (user and
  system), as IPython's %%time does.`

// timeCell is %%time: the session runs its body as a cell and measures it.
func timeCell() Magic {
	return Magic{
		Name:    "time",
		Args:    "",
		Summary: "Time the cell below: wall time, and on a board the board's time, bytes sent and received, and free heap.",
		Detail:  timeDetail,
		Cell:    true,
		Body:    NestedBody,
		// Only a %%time line with arguments reaches here: the router
		// runs the others itself.
		RunCell: func(r *Registry, _ context.Context, env Env, args, _ string) error {
			if args == "-h" || args == "--help" {
				_, err := io.WriteString(env.Stdout(), r.Usage("%time"))
				return err
			}
			m := r.magics["%time"]
			return &UsageError{Magic: "%time", Err: errors.New("takes no arguments: put it alone on the first line, above the cell it times"), Usage: synopsis(m)}
		},
	}
}

// timeLine is %time CODE: the session runs CODE, a line of the cell's
// language, and measures it as %%time does. Only "%time" without code
// (or with -h) reaches the registry.
func timeLine() Magic {
	return Magic{
		Name:    "time",
		Args:    "CODE",
		Summary: "Run one line of the cell's code (board or Go) and time it, as %%time does.",
		Detail: `%time CODE at column 0 of a board cell runs CODE on the board (its value
shown as a cell's last expression would be) and prints the same report as
%%time; in a %%host cell it runs Go and prints the wall and CPU times.`,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			return func(context.Context, Env, []string) error {
				return usageErrorf("give the code to time: %%time CODE")
			}
		},
	}
}
