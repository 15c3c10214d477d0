package router

import (
	"bytes"
	"testing"

	"github.com/iotkernel/iotkernel/host/display"
)

type nopSink struct{ shown int }

func (s *nopSink) Display(_, _ map[string]any, _ string, update bool) {
	if !update {
		s.shown++
	}
}
func (s *nopSink) Clear(bool) {}

// However the board's output is cut, readings reach the chart and every
// other line reaches the text, whole and in order.
func TestLineFeedSplitAnywhere(t *testing.T) {
	const printed = "boot\ntemp: 1, hum=2\n\nwifi up 3 times\n4 5\n6"
	for cut := 1; cut <= len(printed); cut++ {
		var text bytes.Buffer
		sink := &nopSink{}
		f := &lineFeed{text: &text, newChart: func() *display.Chart { return display.New(sink).Plot("", 0) }}
		for i := 0; i < len(printed); i += cut {
			f.Write([]byte(printed[i:min(i+cut, len(printed))]))
		}
		chart := f.flush()
		if got := text.String(); got != "boot\n\nwifi up 3 times\n" {
			t.Fatalf("pieces of %d: text %q", cut, got)
		}
		if chart == nil || sink.shown != 1 {
			t.Fatalf("pieces of %d: chart %v shown %d times, want one", cut, chart, sink.shown)
		}
		for name, want := range map[string][]float64{"temp": {1}, "hum": {2}, "1": {4, 6}, "2": {5}} {
			got := chart.Values(name)
			if len(got) != len(want) || got[0] != want[0] || got[len(got)-1] != want[len(want)-1] {
				t.Errorf("pieces of %d: series %s = %v, want %v", cut, name, got, want)
			}
		}
	}
	// No reading, no chart.
	var text bytes.Buffer
	f := &lineFeed{text: &text, newChart: func() *display.Chart { t.Fatal("chart made for text"); return nil }}
	f.Write([]byte("only text\nno numbers"))
	if f.flush() != nil || text.String() != "only text\nno numbers" {
		t.Errorf("text-only output: %q", text.String())
	}
}

type orderSink struct {
	events *[]string
}

func (s orderSink) Display(_, _ map[string]any, _ string, update bool) {
	if !update {
		*s.events = append(*s.events, "chart")
	}
}
func (s orderSink) Clear(bool) {}

type orderWriter struct{ events *[]string }

func (w orderWriter) Write(p []byte) (int, error) {
	*w.events = append(*w.events, string(p))
	return len(p), nil
}

// Text printed before the first reading, in the same piece of output,
// reaches the cell before the chart does.
func TestLineFeedKeepsOrder(t *testing.T) {
	var events []string
	f := &lineFeed{text: orderWriter{&events}, newChart: func() *display.Chart { return display.New(orderSink{&events}).Plot("", 0) }}
	f.Write([]byte("sampling\n1 2\nmore text\n"))
	f.flush()
	if len(events) != 3 || events[0] != "sampling\n" || events[1] != "chart" || events[2] != "more text\n" {
		t.Errorf("events %q, want the text, the chart, the text", events)
	}
}
