package display

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/iotkernel/iotkernel/plot"
)

// redrawInterval is the shortest time between two redraws of a chart:
// ten a second keeps a plot live without flooding the front end, however
// fast samples arrive.
const redrawInterval = 100 * time.Millisecond

// Chart is a line chart in the cell's output, redrawn in place as samples
// arrive (at most ten times a second) and once more by Flush. It draws
// the last window samples and keeps them all. Its methods are safe for
// concurrent use: a goroutine may sample a sensor while others run.
//
//	c := display.Plot("temperature", 100)
//	for range 50 {
//		c.Add(readSensor())
//	}
//	c.Flush()
type Chart struct {
	h     *Handle
	chart *plot.Chart

	mu      sync.Mutex
	drawn   time.Time   // when the picture was last replaced
	pending *time.Timer // a redraw waiting for redrawInterval to pass
}

// Plot shows an empty line chart titled title that draws the last window
// samples (all of them when window is 0) and returns it.
func (d *Display) Plot(title string, window int) *Chart {
	c := &Chart{chart: plot.NewChart(title, window)}
	c.h = d.Data(c.bundle())
	c.drawn = time.Now()
	return c
}

// Handle returns the display the chart is drawn in.
func (c *Chart) Handle() *Handle { return c.h }

// Add adds one sample: a value for each unnamed series "1", "2"...
func (c *Chart) Add(values ...float64) {
	c.chart.AddValues(values...)
	c.changed()
}

// AddNamed adds one sample with a value for each named series.
func (c *Chart) AddNamed(values map[string]float64) {
	r := plot.Reading{}
	for _, name := range slices.Sorted(maps.Keys(values)) {
		r.Labels = append(r.Labels, name)
		r.Values = append(r.Values, values[name])
	}
	c.chart.Add(r)
	c.changed()
}

// Line adds a printed line as a sample if it is a reading ("21.5 40",
// "temp: 21.5, hum=40") and reports whether it was.
func (c *Chart) Line(s string) bool {
	if !c.chart.AddLine(s) {
		return false
	}
	c.changed()
	return true
}

// Names returns the names of the chart's series, in order of appearance.
func (c *Chart) Names() []string {
	var names []string
	for _, s := range c.chart.Series() {
		names = append(names, s.Name)
	}
	return names
}

// Values returns every value of the named series ("1" for the first
// unnamed one), oldest first.
func (c *Chart) Values(name string) []float64 {
	for _, s := range c.chart.Series() {
		if s.Name == name {
			out := make([]float64, len(s.Points))
			for i, p := range s.Points {
				out[i] = p.Y
			}
			return out
		}
	}
	return nil
}

// Flush redraws the chart now, with every sample added so far.
func (c *Chart) Flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending != nil {
		c.pending.Stop()
		c.pending = nil
	}
	c.drawLocked()
}

// String describes the chart (it is what %v prints).
func (c *Chart) String() string { return "display.Chart(" + c.h.id + ")" }

// changed redraws at once if the last redraw is old enough, else makes
// sure one redraw is pending for when it is.
func (c *Chart) changed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending != nil {
		return
	}
	wait := redrawInterval - time.Since(c.drawn)
	if wait <= 0 {
		c.drawLocked()
		return
	}
	c.pending = time.AfterFunc(wait, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.pending = nil
		c.drawLocked()
	})
}

func (c *Chart) drawLocked() {
	c.h.Update(c.bundle())
	c.drawn = time.Now()
}

// bundle is the chart's picture, with a line of text for front ends
// that show no images (jupyter console, a text diff of the notebook).
func (c *Chart) bundle() Bundle {
	names := c.Names()
	n := c.chart.Samples()
	text := fmt.Sprintf("plot: %d series, %d samples", len(names), n)
	if len(names) > 0 {
		text = fmt.Sprintf("plot: %d series (%s), %d samples", len(names), strings.Join(names, ", "), n)
	}
	if c.chart.Window > 0 && n > c.chart.Window {
		text += fmt.Sprintf(", the last %d drawn", c.chart.Window)
	}
	return Bundle{"image/svg+xml": string(c.chart.SVG(0, 0)), "text/plain": text}
}
