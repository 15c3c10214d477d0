// Package display is the rich-output API of %%host Go cells: it turns HTML,
// Markdown, SVG, images, JSON and text into Jupyter display_data messages,
// and lets a cell update an output it showed earlier (update_display_data),
// which is how progress bars and live readings are drawn.
//
// In a cell the package is imported (or auto-imported) as "display":
//
//	display.HTML("<b>hello</b>")
//	display.Markdown("# Title")
//	display.PNG(pngBytes)
//	display.JSON(map[string]any{"temp": 21.5})
//	display.Clear()                       // clear_output
//
//	bar := display.Text("0%")             // every call returns a *Handle
//	for i := 0; i <= 100; i += 10 {
//		bar.Text(fmt.Sprintf("%d%%", i)) // update_display_data, same display id
//		time.Sleep(100 * time.Millisecond)
//	}
//
// A live chart, redrawn in place at most ten times a second (package plot
// draws it):
//
//	c := display.Plot("temperature", 100) // the last 100 samples
//	c.AddNamed(map[string]float64{"temp": 21.5, "hum": 40})
//	c.Flush()
//
// The functions a cell calls are the methods of one *Display per
// interpreter (package host builds it with New over its own Sink), so this
// package holds no state of its own. A *Handle as the last value of a cell
// is not echoed as a result.
//
// MIME types follow the Jupyter display protocol: images travel base64
// encoded; application/json carries the marshalled value itself.
package display

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
)

// Bundle maps a MIME type ("text/html", "image/png", ...) to its data, as
// in a display_data message.
type Bundle map[string]any

// Sink receives what a Display produces. Its methods must be safe for
// concurrent use: goroutines started by cells display too.
type Sink interface {
	// Display shows data, or replaces the output carrying displayID when
	// update is true.
	Display(data, metadata map[string]any, displayID string, update bool)
	// Clear clears the cell's output; with wait, only once new output
	// arrives (no flicker).
	Clear(wait bool)
}

// Display creates displays on one Sink. Its methods are safe for
// concurrent use.
type Display struct {
	sink   Sink
	prefix string // random, so ids of a restarted kernel never collide with old outputs
	next   atomic.Uint64
}

// New returns a Display that sends everything to sink.
func New(sink Sink) *Display {
	var b [6]byte
	_, _ = rand.Read(b[:]) // never fails on supported platforms; a zero prefix still works
	return &Display{sink: sink, prefix: hex.EncodeToString(b[:])}
}

// Handle names one displayed output. Its methods replace that output in
// place (update_display_data) and are safe for concurrent use.
type Handle struct {
	d  *Display
	id string
}

// ID returns the Jupyter display id of the output.
func (h *Handle) ID() string { return h.id }

// String describes the handle (it is what %v prints).
func (h *Handle) String() string { return "display.Handle(" + h.id + ")" }

// Data shows an arbitrary MIME bundle, for instance text/plain and
// text/html alternatives of one value.
func (d *Display) Data(b Bundle) *Handle {
	h := &Handle{d: d, id: d.prefix + "-" + strconv.FormatUint(d.next.Add(1), 10)}
	d.sink.Display(b, map[string]any{}, h.id, false)
	return h
}

// HTML shows an HTML fragment.
func (d *Display) HTML(s string) *Handle { return d.Data(htmlBundle(s)) }

// Markdown shows Markdown text.
func (d *Display) Markdown(s string) *Handle { return d.Data(markdownBundle(s)) }

// SVG shows an SVG image given as its XML text.
func (d *Display) SVG(s string) *Handle { return d.Data(svgBundle(s)) }

// PNG shows a PNG image given as its encoded bytes.
func (d *Display) PNG(b []byte) *Handle { return d.Data(imageBundle("image/png", b)) }

// JPEG shows a JPEG image given as its encoded bytes.
func (d *Display) JPEG(b []byte) *Handle { return d.Data(imageBundle("image/jpeg", b)) }

// JSON shows v as JSON (an expandable tree in JupyterLab). It panics if v
// cannot be marshalled, as the notebook is the place to see that mistake.
func (d *Display) JSON(v any) *Handle { return d.Data(jsonBundle(v)) }

// Text shows plain text.
func (d *Display) Text(s string) *Handle { return d.Data(Bundle{"text/plain": s}) }

// Clear clears the output of the running cell at once.
func (d *Display) Clear() { d.sink.Clear(false) }

// ClearWait clears the output of the running cell when the next output
// arrives, which avoids flicker in animations.
func (d *Display) ClearWait() { d.sink.Clear(true) }

// Update replaces the handle's output with b.
func (h *Handle) Update(b Bundle) { h.d.sink.Display(b, map[string]any{}, h.id, true) }

// HTML replaces the handle's output with an HTML fragment.
func (h *Handle) HTML(s string) { h.Update(htmlBundle(s)) }

// Markdown replaces the handle's output with Markdown text.
func (h *Handle) Markdown(s string) { h.Update(markdownBundle(s)) }

// SVG replaces the handle's output with an SVG image.
func (h *Handle) SVG(s string) { h.Update(svgBundle(s)) }

// PNG replaces the handle's output with a PNG image.
func (h *Handle) PNG(b []byte) { h.Update(imageBundle("image/png", b)) }

// JPEG replaces the handle's output with a JPEG image.
func (h *Handle) JPEG(b []byte) { h.Update(imageBundle("image/jpeg", b)) }

// JSON replaces the handle's output with v as JSON.
func (h *Handle) JSON(v any) { h.Update(jsonBundle(v)) }

// Text replaces the handle's output with plain text.
func (h *Handle) Text(s string) { h.Update(Bundle{"text/plain": s}) }

func htmlBundle(s string) Bundle     { return Bundle{"text/html": s} }
func markdownBundle(s string) Bundle { return Bundle{"text/markdown": s, "text/plain": s} }
func svgBundle(s string) Bundle      { return Bundle{"image/svg+xml": s} }

func imageBundle(mime string, b []byte) Bundle {
	return Bundle{mime: base64.StdEncoding.EncodeToString(b)}
}

func jsonBundle(v any) Bundle {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Errorf("display.JSON: %w", err))
	}
	indented, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		indented = b
	}
	return Bundle{"application/json": json.RawMessage(b), "text/plain": string(indented)}
}
