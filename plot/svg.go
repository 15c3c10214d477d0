package plot

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"strconv"
)

// Default size of a chart in CSS pixels: wide and short, like a notebook
// output.
const (
	DefaultWidth  = 640
	DefaultHeight = 280
)

// palette is the series colours, in order of appearance; a chart with
// more series reuses them.
var palette = [...]string{
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
	"#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
}

// Margins around the plotting area, in pixels: room for the y labels on
// the left, the title above and the x labels below.
const (
	marginLeft   = 56
	marginRight  = 16
	marginTop    = 28
	marginBottom = 30
)

// SVG draws the chart's window as a standalone SVG document of the given
// size (DefaultWidth and DefaultHeight when zero): axes with round tick
// values, one polyline per series, a legend. Non-finite values are left
// out. Equal charts give byte-identical output.
func (c *Chart) SVG(width, height int) []byte {
	if width <= 0 {
		width = DefaultWidth
	}
	if height <= 0 {
		height = DefaultHeight
	}
	lo, hi, series := c.visible()
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, p := range s.Points {
			if isFinite(p.Y) {
				ymin, ymax = math.Min(ymin, p.Y), math.Max(ymax, p.Y)
			}
		}
	}
	if ymin > ymax { // no points yet
		ymin, ymax = 0, 1
	}
	yticks := ticks(ymin, ymax, 5)
	ymin, ymax = math.Min(ymin, yticks[0]), math.Max(ymax, yticks[len(yticks)-1])
	if ymin == ymax {
		ymin, ymax = ymin-1, ymax+1
		yticks = ticks(ymin, ymax, 5)
	}
	if hi < lo+1 {
		hi = lo + 1
	}
	xticks := ticks(float64(lo), float64(hi), 8)

	pw := float64(width - marginLeft - marginRight)
	ph := float64(height - marginTop - marginBottom)
	px := func(x float64) float64 { return marginLeft + (x-float64(lo))/float64(hi-lo)*pw }
	py := func(y float64) float64 { return marginTop + (ymax-y)/(ymax-ymin)*ph }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	if c.Title != "" {
		fmt.Fprintf(&b, `<text class="title" x="%d" y="18" font-size="13">%s</text>`+"\n", marginLeft, html.EscapeString(c.Title))
	}
	// Grid and tick labels.
	b.WriteString(`<g class="y-axis" stroke="#ddd">` + "\n")
	for _, t := range yticks {
		if t < ymin || t > ymax {
			continue
		}
		y := py(t)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s"/><text x="%d" y="%s" text-anchor="end" stroke="none" fill="#444">%s</text>`+"\n",
			num(marginLeft), num(y), num(marginLeft+pw), num(y), marginLeft-6, num(y+4), label(t))
	}
	b.WriteString("</g>\n")
	b.WriteString(`<g class="x-axis" stroke="#ddd">` + "\n")
	for _, t := range xticks {
		if t < float64(lo) || t > float64(hi) || t != math.Trunc(t) {
			continue
		}
		x := px(t)
		fmt.Fprintf(&b, `<line x1="%s" y1="%d" x2="%s" y2="%s"/><text x="%s" y="%s" text-anchor="middle" stroke="none" fill="#444">%s</text>`+"\n",
			num(x), marginTop, num(x), num(marginTop+ph), num(x), num(marginTop+ph+16), label(t))
	}
	b.WriteString("</g>\n")
	fmt.Fprintf(&b, `<rect class="frame" x="%d" y="%d" width="%s" height="%s" fill="none" stroke="#888"/>`+"\n",
		marginLeft, marginTop, num(pw), num(ph))
	// Series.
	for i, s := range series {
		colour := palette[i%len(palette)]
		fmt.Fprintf(&b, `<polyline class="series" data-name="%s" fill="none" stroke="%s" stroke-width="1.5" points="`,
			html.EscapeString(s.Name), colour)
		first := true
		for _, p := range s.Points {
			if !isFinite(p.Y) {
				continue
			}
			if !first {
				b.WriteByte(' ')
			}
			first = false
			b.WriteString(num(px(float64(p.X))))
			b.WriteByte(',')
			b.WriteString(num(py(p.Y)))
		}
		b.WriteString(`"/>` + "\n")
	}
	// Legend, top right, one row per series.
	if len(series) > 0 {
		b.WriteString(`<g class="legend">` + "\n")
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="104" height="%d" fill="white" fill-opacity="0.8"/>`+"\n",
			width-marginRight-114, marginTop+4, 14*len(series)+4)
		for i, s := range series {
			y := marginTop + 6 + 14*i
			x := width - marginRight - 110
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="3" fill="%s"/><text x="%d" y="%d" fill="#222">%s</text>`+"\n",
				x, y+4, palette[i%len(palette)], x+14, y+9, html.EscapeString(s.Name))
		}
		b.WriteString("</g>\n")
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// ticks returns round values (1, 2 or 5 times a power of ten apart)
// covering [lo, hi] with about n intervals.
func ticks(lo, hi float64, n int) []float64 {
	if hi <= lo {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	start := math.Floor(lo/step) * step
	var out []float64
	for t := start; t <= hi+step*1e-9; t += step {
		// Round away the float error that accumulates in t.
		out = append(out, math.Round(t/step)*step)
	}
	if out[len(out)-1] < hi {
		out = append(out, out[len(out)-1]+step)
	}
	return out
}

// num formats a coordinate with one decimal: enough for a pixel, and
// stable, so golden files compare.
func num(f float64) string {
	return strconv.FormatFloat(f, 'f', 1, 64)
}

// label formats a tick value as short as it can be read.
func label(f float64) string {
	if f == 0 {
		return "0"
	}
	return strconv.FormatFloat(f, 'g', 6, 64)
}

func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
