package display

import (
	"strings"
	"sync"
	"testing"
	"time"
)

type recordSink struct {
	mu      sync.Mutex
	shown   int
	updates []string // SVG of each update_display_data
	ids     map[string]bool
}

func (s *recordSink) Display(data, _ map[string]any, id string, update bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[string]bool{}
	}
	s.ids[id] = true
	if !update {
		s.shown++
		return
	}
	s.updates = append(s.updates, data["image/svg+xml"].(string))
}

func (s *recordSink) Clear(bool) {}

// However fast samples come, the chart is redrawn at most ten times a
// second, in place, and Flush draws every sample.
func TestChartThrottlesRedraws(t *testing.T) {
	sink := &recordSink{}
	c := New(sink).Plot("fast", 0)
	start := time.Now()
	for i := 0; i < 3000; i++ {
		c.Add(float64(i % 17))
		if i%100 == 0 {
			time.Sleep(5 * time.Millisecond) // about 150 ms of sampling in all
		}
	}
	elapsed := time.Since(start)
	c.Flush()
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if sink.shown != 1 || len(sink.ids) != 1 {
		t.Fatalf("chart showed %d outputs with %d ids; want 1 output updated in place", sink.shown, len(sink.ids))
	}
	// One redraw may be due per interval begun, plus the Flush.
	limit := int(elapsed/redrawInterval) + 2
	if n := len(sink.updates); n > limit || n == 0 {
		t.Errorf("%d redraws in %v; want 1..%d", n, elapsed, limit)
	}
	last := sink.updates[len(sink.updates)-1]
	if got := strings.Count(last[strings.Index(last, `points="`):], ","); got < 3000 {
		t.Errorf("final picture has %d points, want all 3000", got)
	}
	if v := c.Values("1"); len(v) != 3000 || v[20] != 3 {
		t.Errorf("Values kept %d samples (v[20]=%v), want 3000 with v[20]=3", len(v), v[20])
	}
}

func TestChartNamedAndLines(t *testing.T) {
	sink := &recordSink{}
	c := New(sink).Plot("", 10)
	c.AddNamed(map[string]float64{"temp": 21, "hum": 40})
	if !c.Line("temp: 22, hum=41") || c.Line("calibrating") {
		t.Error("Line misjudged a reading or a text line")
	}
	c.Flush()
	if got := c.Values("temp"); len(got) != 2 || got[1] != 22 {
		t.Errorf("temp = %v, want [21 22]", got)
	}
	last := sink.updates[len(sink.updates)-1]
	for _, name := range []string{`data-name="temp"`, `data-name="hum"`} {
		if !strings.Contains(last, name) {
			t.Errorf("picture lacks series %s", name)
		}
	}
}
