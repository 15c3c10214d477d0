package router

import (
	"context"
	"encoding/xml"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/bench/linesim"
	"github.com/iotkernel/iotkernel/kernel"
	"github.com/iotkernel/iotkernel/kernel/kerneltest"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

// timedDisplays is a recorder that also keeps when each display came and
// the SVG it carried.
type timedDisplays struct {
	kerneltest.Recorder
	dmu   sync.Mutex
	times []time.Time
	svgs  []string
}

func (r *timedDisplays) Display(data kernel.MIMEBundle, md map[string]any, id string, update bool) {
	r.dmu.Lock()
	r.times = append(r.times, time.Now())
	svg, _ := data["image/svg+xml"].(string)
	r.svgs = append(r.svgs, svg)
	r.dmu.Unlock()
	r.Recorder.Display(data, md, id, update)
}

// A %%plot cell printing 2,000 readings over an emulated 115200-baud line
// to the real MicroPython Unix port: the chart is redrawn at most ten
// times a second, the final picture holds the window's points, and the
// text lines are printed.
func TestPlotOverSlowLine(t *testing.T) {
	mp := realboard.UnixPort(t)
	board, err := linesim.StartBoard(mp, t.TempDir(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { board.Close() })
	line, err := linesim.NewLine(board, 11520)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { line.Close() })
	t.Setenv("IOTKERNEL_STORE", t.TempDir()+"/store.json")
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.Execute(ctx, "%connect -q serial://"+line.Path, &kerneltest.Recorder{}); err != nil {
		t.Fatal(err)
	}

	rec := &timedDisplays{}
	start := time.Now()
	err = s.Execute(ctx, `%%plot --window 300
print("start")
for i in range(2000):
    print(i % 50, -(i % 7))
    if i == 1000:
        print("half way")
print("end")`, rec)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.Output().Stdout; got != "start\nhalf way\nend\n" {
		t.Errorf("text output %q, want the three text lines", got)
	}
	// 2,000 lines of about 7 bytes take 1.2 s or more at 11,520 bytes/s.
	if elapsed < time.Second {
		t.Fatalf("the cell took %v: the line is not throttled, so the rate check means nothing", elapsed)
	}
	n := len(rec.times)
	limit := int(elapsed/(100*time.Millisecond)) + 2 // a first draw, then one per 100 ms, and the final flush
	if n > limit {
		t.Errorf("%d displays in %v: more than ten a second", n, elapsed)
	}
	for i := 1; i < n-1; i++ { // the final flush may come sooner
		if gap := rec.times[i].Sub(rec.times[i-1]); gap < 90*time.Millisecond {
			t.Errorf("redraws %d and %d only %v apart", i-1, i, gap)
		}
	}
	var doc struct {
		Polylines []struct {
			Points string `xml:"points,attr"`
		} `xml:"polyline"`
	}
	if err := xml.Unmarshal([]byte(rec.svgs[n-1]), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Polylines) != 2 {
		t.Fatalf("final picture has %d series, want 2", len(doc.Polylines))
	}
	for i, p := range doc.Polylines {
		if got := len(strings.Fields(p.Points)); got != 300 {
			t.Errorf("series %d draws %d points, want the window's 300", i+1, got)
		}
	}
	t.Logf("2,000 readings in %v, %d redraws", elapsed, n)
}

// BenchmarkPlotLineRate compares a board cell printing 2,000 readings
// over an emulated 115200-baud line with and without %%plot, alternately,
// and reports the ratio of their times (the goal: at most 1.05).
func BenchmarkPlotLineRate(b *testing.B) {
	mp := realboard.UnixPort(b)
	board, err := linesim.StartBoard(mp, b.TempDir(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer board.Close()
	line, err := linesim.NewLine(board, 11520)
	if err != nil {
		b.Fatal(err)
	}
	defer line.Close()
	b.Setenv("IOTKERNEL_STORE", b.TempDir()+"/store.json")
	s, err := NewSession(Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.Execute(ctx, "%connect -q serial://"+line.Path, &kerneltest.Recorder{}); err != nil {
		b.Fatal(err)
	}
	const body = "for i in range(2000):\n    print(i % 50, -(i % 7))"
	run := func(code string) time.Duration {
		start := time.Now()
		if err := s.Execute(ctx, code, &kerneltest.Recorder{}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var plain, plotted time.Duration
	for i := 0; i < b.N; i++ {
		plain += run(body)
		plotted += run("%%plot --window 300\n" + body)
	}
	b.ReportMetric(plain.Seconds()/float64(b.N), "s-plain/op")
	b.ReportMetric(plotted.Seconds()/float64(b.N), "s-plot/op")
	b.ReportMetric(plotted.Seconds()/plain.Seconds(), "plot/plain")
}
