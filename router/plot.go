package router

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/iotkernel/iotkernel/host/display"
	"github.com/iotkernel/iotkernel/kernel"
	"github.com/iotkernel/iotkernel/magics"
	"github.com/iotkernel/iotkernel/plot"
	"github.com/iotkernel/iotkernel/store"
)

// runBoardCell runs a board cell, plotting what it prints when it is a
// %%plot cell or %plot is on.
func (s *Session) runBoardCell(ctx context.Context, c Cell, env *cellEnv) error {
	var opts *magics.PlotOptions
	if c.Magic != "" {
		_, args, _ := strings.Cut(c.Magic, " ")
		o, err := s.magics.ParsePlot(args)
		if err != nil {
			return cellError(err)
		}
		opts = &o
	} else if s.plot != nil {
		opts = s.plot
	}
	if opts == nil || env.out.Silent() {
		return s.runSegments(ctx, c, env, env.runBoard)
	}
	p := newPlotOutput(env.out, *opts)
	penv := *env
	penv.out = p
	err := s.runSegments(ctx, c, &penv, penv.runBoard)
	chart := p.finish()
	if opts.Store != "" {
		if serr := s.storePlot(env, opts.Store, chart); serr != nil && err == nil {
			err = cellError(serr)
		}
	}
	return err
}

// storePlot keeps every series of chart (nil: none) in the store under
// name, as a dict of lists of floats.
func (s *Session) storePlot(env *cellEnv, name string, chart *display.Chart) error {
	st, err := env.Store()
	if err != nil {
		return fmt.Errorf("%%%%plot --store %s: %w", name, err)
	}
	fields := []store.Field{}
	var names []string
	if chart != nil {
		names = chart.Names()
	}
	for _, series := range names {
		vals := chart.Values(series)
		elems := make([]store.Value, len(vals))
		for i, v := range vals {
			elems[i] = store.FloatValue(v)
		}
		fields = append(fields, store.Field{Key: series, Value: store.ListValue(elems...)})
	}
	if err := st.Set(name, store.DictValue(fields...)); err != nil {
		return fmt.Errorf("%%%%plot --store %s: %w", name, err)
	}
	return nil
}

// plotOutput is a cell's Output whose stdout goes through a chart: lines
// that are readings feed the chart, the others are printed.
type plotOutput struct {
	kernel.Output
	lines *lineFeed
}

func newPlotOutput(out kernel.Output, o magics.PlotOptions) *plotOutput {
	return &plotOutput{
		Output: out,
		lines: &lineFeed{
			text: out.Stdout(),
			newChart: func() *display.Chart {
				return display.New(outputSink{out}).Plot(o.Store, o.Window)
			},
		},
	}
}

func (p *plotOutput) Stdout() io.Writer { return p.lines }

// finish plots or prints what is left of a last line without a newline,
// draws the final picture and returns the chart (nil if the cell printed
// no reading).
func (p *plotOutput) finish() *display.Chart {
	return p.lines.flush()
}

// lineFeed splits what the board prints into lines: readings go to the
// chart, other lines to text. A line waits for its newline (or the end
// of the cell), since the board may print it in pieces. The chart is
// shown at the first reading, so a cell that prints none shows none.
type lineFeed struct {
	text     io.Writer
	newChart func() *display.Chart

	mu      sync.Mutex
	chart   *display.Chart
	partial []byte
}

// plotted feeds line to the chart if it is a reading.
func (f *lineFeed) plotted(line string) bool {
	if f.chart == nil {
		if _, ok := plot.Parse(line); !ok {
			return false
		}
		f.chart = f.newChart()
	}
	return f.chart.Line(line)
}

func (f *lineFeed) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(b)
	var text []byte
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			f.partial = append(f.partial, b...)
			break
		}
		line := b[:i+1]
		if len(f.partial) > 0 {
			line = append(f.partial, line...)
			f.partial = nil
		}
		if _, ok := plot.Parse(string(line)); !ok {
			text = append(text, line...)
		} else {
			// Text printed before a reading shows before the chart
			// that the reading may draw.
			if len(text) > 0 {
				if _, err := f.text.Write(text); err != nil {
					return n, err
				}
				text = nil
			}
			f.plotted(string(line))
		}
		b = b[i+1:]
	}
	if len(text) > 0 {
		if _, err := f.text.Write(text); err != nil {
			return n, err
		}
	}
	return n, nil
}

func (f *lineFeed) flush() *display.Chart {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.partial) > 0 && !f.plotted(string(f.partial)) {
		f.text.Write(f.partial)
	}
	f.partial = nil
	if f.chart != nil {
		f.chart.Flush()
	}
	return f.chart
}

// outputSink shows a display package's output in a cell's Output.
type outputSink struct{ out kernel.Output }

func (s outputSink) Display(data, metadata map[string]any, id string, update bool) {
	s.out.Display(kernel.MIMEBundle(data), metadata, id, update)
}

func (s outputSink) Clear(wait bool) { s.out.ClearOutput(wait) }
