package plot

import (
	"strconv"
	"sync"
)

// Point is one sample of a series: X counts the chart's samples from 0.
type Point struct {
	X int
	Y float64
}

// Series is the points of one name, in the order they came.
type Series struct {
	Name   string
	Points []Point
}

// Chart collects samples into named series. It keeps every point and
// draws the last Window samples (all of them when Window is 0). Its
// methods are safe for concurrent use: a goroutine may add samples while
// another renders.
type Chart struct {
	Title  string
	Window int

	mu      sync.Mutex
	series  []*Series // in order of first appearance: their colours stay put
	byName  map[string]*Series
	samples int
}

// NewChart returns an empty chart drawing the last window samples (0: all).
func NewChart(title string, window int) *Chart {
	return &Chart{Title: title, Window: window, byName: map[string]*Series{}}
}

// AddLine adds line as a sample if it is a reading (see Parse) and
// reports whether it was one; other lines are left to the caller to print.
func (c *Chart) AddLine(line string) bool {
	r, ok := Parse(line)
	if ok {
		c.Add(r)
	}
	return ok
}

// Add adds one sample: a value for each of its series.
func (c *Chart) Add(r Reading) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byName == nil {
		c.byName = map[string]*Series{}
	}
	x := c.samples
	c.samples++
	for i, name := range r.Labels {
		s := c.byName[name]
		if s == nil {
			s = &Series{Name: name}
			c.byName[name] = s
			c.series = append(c.series, s)
		}
		s.Points = append(s.Points, Point{X: x, Y: r.Values[i]})
	}
}

// AddValues adds one sample of unnamed values, named "1", "2"... as
// printed columns would be.
func (c *Chart) AddValues(values ...float64) {
	r := Reading{Values: values, Labels: make([]string, len(values))}
	for i := range values {
		r.Labels[i] = strconv.Itoa(i + 1)
	}
	c.Add(r)
}

// Samples is the number of samples added so far.
func (c *Chart) Samples() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.samples
}

// Series returns a copy of every series with all its points.
func (c *Chart) Series() []Series {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Series, len(c.series))
	for i, s := range c.series {
		out[i] = Series{Name: s.Name, Points: append([]Point(nil), s.Points...)}
	}
	return out
}

// visible returns, under the lock, the x range drawn and each series'
// points inside it.
func (c *Chart) visible() (lo, hi int, series []Series) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hi = c.samples - 1
	lo = 0
	if c.Window > 0 && c.samples > c.Window {
		lo = c.samples - c.Window
	}
	for _, s := range c.series {
		// Points are in x order: find the first inside the window.
		i := len(s.Points)
		for i > 0 && s.Points[i-1].X >= lo {
			i--
		}
		series = append(series, Series{Name: s.Name, Points: append([]Point(nil), s.Points[i:]...)})
	}
	return lo, hi, series
}
