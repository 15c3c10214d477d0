package magics

import (
	"context"
	"flag"
	"fmt"
	"io"
)

// PlotOptions say how a board cell's printed numbers are plotted.
type PlotOptions struct {
	// Window is the number of samples drawn (the latest); 0 draws all.
	Window int
	// Store, when set, names the %store value that keeps every series
	// (a dict of lists of floats) once the cell ends.
	Store string
}

// DefaultPlotWindow is the window of %%plot and %plot on without --window:
// a few minutes of one reading a second.
const DefaultPlotWindow = 500

const plotDetail = `Lines the board prints that hold only numbers, separators and name:
or name= labels ("21.5 40", "temp: 21.5, hum=40") are readings: each
number goes to its series (named by its label, else by its column) and
the chart is redrawn in place while the cell runs, at most ten times a
second. Every other line is printed as usual. The picture is SVG, so it
shows in Notebook, Lab, VS Code, nbconvert's HTML and GitHub's viewer, and
stays in the notebook after the cell ends.`

func plotFlags(fs *flag.FlagSet) *PlotOptions {
	o := &PlotOptions{}
	fs.IntVar(&o.Window, "window", DefaultPlotWindow, "draw the last `N` samples (0: all of them)")
	fs.StringVar(&o.Store, "store", "", "keep every series in the store under `NAME` when the cell ends")
	return o
}

// plotCell is %%plot: its body is MicroPython for the board, run as a
// board cell whose output the session plots.
func plotCell() Magic {
	return Magic{
		Name:    "plot",
		Summary: "Run the cell on the board and plot the numbers it prints, live.",
		Detail:  plotDetail,
		Cell:    true,
		Body:    BoardBody,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			plotFlags(fs)
			return nil
		},
	}
}

// ParsePlot parses the first line of a %%plot cell after "%%plot".
func (r *Registry) ParsePlot(args string) (PlotOptions, error) {
	m := r.magics["%plot"]
	words, err := SplitArgs(args)
	if err != nil {
		return PlotOptions{}, &UsageError{Magic: m.Name, Err: err, Usage: synopsis(m)}
	}
	fs := flag.NewFlagSet("%%plot", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := plotFlags(fs)
	rest, err := parseInterspersed(fs, words)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("unexpected argument %q", rest[0])
	}
	if err == nil && o.Window < 0 {
		err = fmt.Errorf("-window %d: must be 0 (all) or more", o.Window)
	}
	if err != nil {
		return PlotOptions{}, &UsageError{Magic: "%" + m.Name, Err: err, Usage: synopsis(m)}
	}
	return *o, nil
}

// plotLine is %plot on|off: plot the board cells that follow.
func (r *Registry) plotLine() Magic {
	return Magic{
		Name:    "plot",
		Args:    "on|off",
		Summary: "Plot the numbers every following board cell prints (as %%plot does), or stop.",
		Detail:  plotDetail,
		New: func(fs *flag.FlagSet) func(context.Context, Env, []string) error {
			o := plotFlags(fs)
			return func(ctx context.Context, env Env, args []string) error {
				if len(args) != 1 || (args[0] != "on" && args[0] != "off") {
					return usageErrorf("say on or off")
				}
				if o.Window < 0 {
					return usageErrorf("-window %d: must be 0 (all) or more", o.Window)
				}
				if args[0] == "off" {
					env.SetPlot(nil)
					_, err := io.WriteString(env.Stdout(), "board cells print as text again\n")
					return err
				}
				env.SetPlot(o)
				_, err := fmt.Fprintf(env.Stdout(), "the numbers board cells print are plotted (last %d samples)\n", o.Window)
				return err
			}
		},
	}
}
