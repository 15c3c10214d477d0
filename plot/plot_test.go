package plot

import (
	"bytes"
	"encoding/xml"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden SVG files in testdata")

func TestParse(t *testing.T) {
	tests := []struct {
		line   string
		ok     bool
		labels []string
		values []float64
	}{
		{"21.5", true, []string{"1"}, []float64{21.5}},
		{"21.5 40\r\n", true, []string{"1", "2"}, []float64{21.5, 40}},
		{"1,2;3|4\t5", true, []string{"1", "2", "3", "4", "5"}, []float64{1, 2, 3, 4, 5}},
		{"-3 +4 -0.5 .25 1e3 2.5E-2", true, []string{"1", "2", "3", "4", "5", "6"}, []float64{-3, 4, -0.5, 0.25, 1000, 0.025}},
		{"temp: 21.5, hum=40", true, []string{"temp", "hum"}, []float64{21.5, 40}},
		{"temp:21.5 hum = 40", true, []string{"temp", "hum"}, []float64{21.5, 40}},
		{"x=-3", true, []string{"x"}, []float64{-3}},
		{"a: 1 2", true, []string{"a", "1"}, []float64{1, 2}},
		{"sensor2: 5", true, []string{"sensor2"}, []float64{5}},
		{"accel x: 0.1, accel y: 0.2", true, []string{"accel x", "accel y"}, []float64{0.1, 0.2}},
		{"  7  ", true, []string{"1"}, []float64{7}},
		// Text, not readings.
		{"", false, nil, nil},
		{"wifi connected", false, nil, nil},
		{"got 3 packets", false, nil, nil},
		{"3 packets", false, nil, nil},
		{"12:30:00", false, nil, nil},
		{"0x1f", false, nil, nil},
		{"sensor2", false, nil, nil},
		{"v1.2.3", false, nil, nil},
		{"1.2.3", false, nil, nil},
		{"temp:", false, nil, nil},
		{": 4", false, nil, nil},
		{"a=b=3", false, nil, nil},
		{"-", false, nil, nil},
		{"Traceback (most recent call last):", false, nil, nil},
	}
	for _, tt := range tests {
		r, ok := Parse(tt.line)
		if ok != tt.ok {
			t.Errorf("Parse(%q) ok = %v, want %v (%+v)", tt.line, ok, tt.ok, r)
			continue
		}
		if diff := cmp.Diff(tt.labels, r.Labels); diff != "" {
			t.Errorf("Parse(%q) labels (-want +got):\n%s", tt.line, diff)
		}
		if diff := cmp.Diff(tt.values, r.Values); diff != "" {
			t.Errorf("Parse(%q) values (-want +got):\n%s", tt.line, diff)
		}
	}
}

// A board's output mixes text and readings whose column count changes:
// each number goes to its series, samples count every reading.
func TestChartMixedOutput(t *testing.T) {
	c := NewChart("", 0)
	var text []string
	for _, line := range []string{
		"starting", "1 10", "2 20", "calibrated", "3 30 300", "t: 4", "5",
	} {
		if !c.AddLine(line) {
			text = append(text, line)
		}
	}
	if diff := cmp.Diff([]string{"starting", "calibrated"}, text); diff != "" {
		t.Errorf("text lines (-want +got):\n%s", diff)
	}
	want := []Series{
		{"1", []Point{{0, 1}, {1, 2}, {2, 3}, {4, 5}}},
		{"2", []Point{{0, 10}, {1, 20}, {2, 30}}},
		{"3", []Point{{2, 300}}},
		{"t", []Point{{3, 4}}},
	}
	if diff := cmp.Diff(want, c.Series()); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
	if c.Samples() != 5 {
		t.Errorf("samples = %d, want 5", c.Samples())
	}
}

type svgDoc struct {
	Polylines []struct {
		Name   string `xml:"data-name,attr"`
		Points string `xml:"points,attr"`
	} `xml:"polyline"`
	Groups []struct {
		Class string   `xml:"class,attr"`
		Texts []string `xml:"text"`
	} `xml:"g"`
}

func parseSVG(t *testing.T, b []byte) svgDoc {
	t.Helper()
	var d svgDoc
	if err := xml.Unmarshal(b, &d); err != nil {
		t.Fatalf("SVG is not well-formed XML: %v\n%s", err, b)
	}
	return d
}

// The window draws only the last N samples; the chart keeps them all.
func TestSVGWindow(t *testing.T) {
	c := NewChart("readings", 50)
	for i := 0; i < 2000; i++ {
		c.AddLine(strings.Join([]string{"a:", ftoa(math.Sin(float64(i) / 10)), "b:", ftoa(float64(i))}, " "))
	}
	d := parseSVG(t, c.SVG(0, 0))
	if len(d.Polylines) != 2 {
		t.Fatalf("%d polylines, want 2", len(d.Polylines))
	}
	for _, p := range d.Polylines {
		if n := len(strings.Fields(p.Points)); n != 50 {
			t.Errorf("series %s draws %d points, want the window's 50", p.Name, n)
		}
	}
	if got := c.Series(); len(got[0].Points) != 2000 || len(got[1].Points) != 2000 {
		t.Errorf("chart kept %d and %d points, want all 2000", len(got[0].Points), len(got[1].Points))
	}
	var xlabels []string
	for _, g := range d.Groups {
		if g.Class == "x-axis" {
			xlabels = g.Texts
		}
	}
	if len(xlabels) == 0 || xlabels[len(xlabels)-1] != "1999" && xlabels[0] < "1950" {
		t.Errorf("x axis labels %v do not show the window 1950..1999", xlabels)
	}
	for _, l := range xlabels {
		if l < "1950" || l > "1999" {
			t.Errorf("x label %s outside the window 1950..1999", l)
		}
	}
}

// ftoa prints a value as a board would, shortest form.
func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', 5, 64) }

func TestSVGEdgeCases(t *testing.T) {
	// Empty, a single point, a flat line and a non-finite value all draw
	// a well-formed picture with sane axes.
	empty := NewChart("", 0)
	if d := parseSVG(t, empty.SVG(0, 0)); len(d.Polylines) != 0 {
		t.Errorf("empty chart draws %d series", len(d.Polylines))
	}
	one := NewChart("", 0)
	one.AddLine("5")
	if d := parseSVG(t, one.SVG(0, 0)); len(d.Polylines) != 1 || len(strings.Fields(d.Polylines[0].Points)) != 1 {
		t.Errorf("one point: %+v", d.Polylines)
	}
	flat := NewChart("", 0)
	for i := 0; i < 10; i++ {
		flat.AddLine("3")
	}
	flat.AddValues(math.NaN())
	d := parseSVG(t, flat.SVG(0, 0))
	if n := len(strings.Fields(d.Polylines[0].Points)); n != 10 {
		t.Errorf("flat line with a NaN draws %d points, want 10", n)
	}
	if bytes.Contains(flat.SVG(0, 0), []byte("NaN")) {
		t.Error("NaN reached the SVG")
	}
	esc := NewChart(`<b>&"`, 0)
	esc.Add(Reading{Labels: []string{`<x>`}, Values: []float64{1}})
	parseSVG(t, esc.SVG(0, 0))
}

func TestTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		want   []float64
	}{
		{0, 10, []float64{0, 2, 4, 6, 8, 10}},
		{-1, 1, []float64{-1, -0.5, 0, 0.5, 1}},
		{0.1, 0.33, []float64{0.1, 0.15, 0.2, 0.25, 0.3, 0.35}},
		{1950, 1999, []float64{1950, 1960, 1970, 1980, 1990, 2000}},
	}
	for _, tt := range tests {
		got := ticks(tt.lo, tt.hi, 5)
		if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })); diff != "" {
			t.Errorf("ticks(%v, %v) (-want +got):\n%s", tt.lo, tt.hi, diff)
		}
	}
}

// Golden pictures: a change to the renderer shows up as a diff here;
// `go test ./plot -update` rewrites them after a look in a browser.
func TestSVGGolden(t *testing.T) {
	charts := map[string]*Chart{}
	two := NewChart("temperature and humidity", 0)
	for i := 0; i < 40; i++ {
		two.AddLine("temp: " + ftoa(20+math.Sin(float64(i)/6)*3) + ", hum: " + ftoa(40+float64(i%7)))
	}
	charts["two-series"] = two
	neg := NewChart("", 20)
	for i := -30; i < 30; i++ {
		neg.AddValues(float64(i)*0.5, -float64(i*i)/10)
	}
	charts["window-negative"] = neg
	for name, c := range charts {
		path := filepath.Join("testdata", name+".svg")
		got := c.SVG(0, 0)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./plot -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (go test ./plot -update after checking the picture):\n%s", name, path, cmp.Diff(string(want), string(got)))
		}
	}
}
