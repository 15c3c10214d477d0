package router

import (
	"context"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/kernel"
	"github.com/iotkernel/iotkernel/kernel/kerneltest"
	"github.com/iotkernel/iotkernel/transport"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

// mimeRecorder keeps every display's whole bundle and id, and the result's.
type mimeRecorder struct {
	kerneltest.Recorder
	mu       sync.Mutex
	bundles  []kernel.MIMEBundle
	ids      []string
	updates  []bool
	resultMB kernel.MIMEBundle
}

func (r *mimeRecorder) Display(data kernel.MIMEBundle, md map[string]any, id string, update bool) {
	r.mu.Lock()
	r.bundles, r.ids, r.updates = append(r.bundles, data), append(r.ids, id), append(r.updates, update)
	r.mu.Unlock()
	r.Recorder.Display(data, md, id, update)
}

func (r *mimeRecorder) Result(data kernel.MIMEBundle, md map[string]any) {
	r.mu.Lock()
	r.resultMB = data
	r.mu.Unlock()
	r.Recorder.Result(data, md)
}

// TestBoardDisplayBundles checks on the Unix port what the transcripts
// cannot: the MIME types, that an update in a later cell names the id of
// the display it replaces, and that a _repr_html_ result carries its HTML.
func TestBoardDisplayBundles(t *testing.T) {
	t.Setenv("IOTKERNEL_MICROPYTHON", realboard.UnixPort(t))
	t.Chdir(t.TempDir())
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	run := func(code string) *mimeRecorder {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		r := &mimeRecorder{}
		if err := s.Execute(ctx, code, r); err != nil {
			t.Fatalf("%q: %v", code, err)
		}
		return r
	}
	run("%connect -q local")
	first := run("h = display.html('<b>1</b>')\ng = display.svg('<svg/>')")
	if len(first.bundles) != 2 || first.bundles[0]["text/html"] != "<b>1</b>" || first.bundles[1]["image/svg+xml"] != "<svg/>" {
		t.Fatalf("displays = %v", first.bundles)
	}
	if first.ids[0] == "" || first.ids[0] == first.ids[1] || first.updates[0] {
		t.Errorf("display ids = %q, updates %v: want two different ids, no update", first.ids, first.updates)
	}
	second := run("h.update('<b>2</b>')")
	if len(second.bundles) != 1 || !second.updates[0] || second.ids[0] != first.ids[0] || second.bundles[0]["text/html"] != "<b>2</b>" {
		t.Errorf("update = %v %q %v, want an update of %q to <b>2</b>", second.bundles, second.ids, second.updates, first.ids[0])
	}
	rich := run("class T:\n    def _repr_html_(self):\n        return '<i>t</i>'\nT()")
	if rich.resultMB["text/html"] != "<i>t</i>" || rich.resultMB["text/plain"] == "" || len(rich.bundles) != 0 {
		t.Errorf("result = %v, displays %v: want the HTML in the result and no display", rich.resultMB, rich.bundles)
	}
	plain := run("[1, 2]")
	if len(plain.resultMB) != 1 || plain.resultMB["text/plain"] != "[1, 2]" {
		t.Errorf("plain result = %v", plain.resultMB)
	}
	// After a soft reset the module is defined again, with new ids.
	run("%softreset -q")
	again := run("display.markdown('x')")
	if len(again.ids) != 1 || again.ids[0] == first.ids[0] {
		t.Errorf("after a reset: ids %q, want one new id (not %q)", again.ids, first.ids[0])
	}
}

// codeBoard records the code of every program it is sent.
type codeBoard struct {
	stubBoard
	sent []string
}

func (b *codeBoard) Exec(ctx context.Context, code string, stdout, stderr io.Writer) error {
	b.sent = append(b.sent, code)
	return nil
}

func (b *codeBoard) Run(ctx context.Context, code string, cio transport.IO) error {
	return b.Exec(ctx, code, cio.Stdout, cio.Stderr)
}

// TestOrdinaryCellsSendNoMore holds the link's speed: cells that do not
// name display are sent as before, and the module once, before the first
// cell that does.
func TestOrdinaryCellsSendNoMore(t *testing.T) {
	t.Chdir(t.TempDir())
	b := &codeBoard{}
	s, err := NewSession(Options{Open: func(ctx context.Context, url string) (Board, error) { return b, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	bg := context.Background()
	if _, ce := runCell(t, s, bg, "%connect socket://127.0.0.1:9"); ce != nil {
		t.Fatal(ce)
	}
	b.sent = nil
	for _, cell := range []string{"x = 1", "x + 1", "microbit.display.show(1)"} {
		if _, ce := runCell(t, s, bg, cell); ce != nil {
			t.Fatal(ce)
		}
	}
	plain, _ := boardpy.WithResult("x + 1")
	led, _ := boardpy.WithResult("microbit.display.show(1)")
	want := []string{"x = 1", plain, led}
	if !slices.Equal(b.sent, want) {
		t.Fatalf("sent %q\nwant %q", b.sent, want)
	}
	b.sent = nil
	for _, cell := range []string{"display.html('x')", "display.html('y')", "x + 1"} {
		if _, ce := runCell(t, s, bg, cell); ce != nil {
			t.Fatal(ce)
		}
	}
	rich, _ := boardpy.WithRichResult("x + 1")
	first, _ := boardpy.WithRichResult("display.html('x')")
	second, _ := boardpy.WithRichResult("display.html('y')")
	want = []string{boardpy.DisplayShim, first, second, rich}
	if !slices.Equal(b.sent, want) {
		t.Fatalf("sent %q\nwant %q", b.sent, want)
	}
	if len(rich) > len(plain) {
		t.Errorf("the rich result wrapper (%d bytes) is longer than the plain one (%d)", len(rich), len(plain))
	}
}
