package boardpy

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/iotkernel/iotkernel/internal/framing"
)

// The display module: a class the kernel defines on a board, once per
// board state (a reset or a new link loses it), before the first cell
// that may use it. Board code calls display.html(s), display.svg(s),
// display.markdown(s), display.png(b) or display.json(x); each prints a
// display frame and returns a handle whose update(x) (or
// display.update(handle, x)) replaces what it showed.
//
// A frame is displayMark, an operation (D show, U update, R the rich
// result of a cell), a kind (h html, s svg, m markdown, p png, j json),
// the handle's number, a space, the repr of the data and displayMark.
// 0x1F (unit separator) never appears in a repr, which escapes control
// characters, and neither do line ends, so a frame survives the board's
// "\r\n" and can only come from this module. The kernel decodes the
// repr (a str, bytes, or for json any literal) itself, so the board
// needs neither json nor binascii, which small ports lack.
//
// The class is also kept as _ik_D (which the programs' clean-up spares),
// for the result wrapper of later cells: a cell may rebind display (the
// micro:bit's LED matrix is display too), and its results still show.
// The source is kept terse: the micro:bit compiles it in about 9 KB.
const displayMark = "\x1f"

// DisplayShim defines display and _ik_D on a board; it prints nothing.
const DisplayShim = `class display:
 n=0
 def __init__(h,k,d,o='D'):
  if o=='D':
   display.n+=1
  h.k,h.i=k,display.n
  h.update(d,o)
 def update(h,d,o='U'):
  print('\x1f'+o+h.k+str(h.i)+' '+repr(d)+'\x1f',end='')
 def __repr__(h):
  return '<display %d>'%h.i
 html=lambda s:display('h',s)
 svg=lambda s:display('s',s)
 markdown=lambda s:display('m',s)
 png=lambda b:display('p',b)
 json=lambda x:display('j',x)
 def _r(x):
  if x is None or type(x) is _ik_D:
   return
  for k in 'hs':
   f=getattr(x,'_repr_'+('html' if k=='h' else 'svg')+'_',None)
   try:
    f=f and f()
   except Exception:
    f=None
   if f:
    _ik_D(k,f,'R')
    break
  print('\x1e'+repr(x)+'\x1e',end='')
_ik_D=display
`

// mentionsName finds name as an identifier that is not an attribute
// (not after a dot): microbit.display is the LED matrix, not this module.
var displayNames = regexp.MustCompile(`(^|[^A-Za-z0-9_.])(display|_repr_html_|_repr_svg_)($|[^A-Za-z0-9_])`)

// NeedsDisplay reports whether a cell may use the display module: it
// names display (not as an attribute) or defines _repr_html_ or
// _repr_svg_. Other cells are sent unchanged, and cost no byte more.
func NeedsDisplay(code string) bool { return displayNames.MatchString(code) }

// WithRichResult is WithResult for a board that has the display module:
// the value of a final expression is shown by _ik_D._r, which shows an
// object's _repr_html_ or _repr_svg_ as the rich part of the result, and
// shows no display handle (a cell ending in display.html(...) shows the
// HTML once, with no Out[] below it).
func WithRichResult(code string) (wrapped string, ok bool) {
	return withResult(code, "_ik_D._r(_ik_r)\n")
}

// Display is one display frame a board printed.
type Display struct {
	// Update is true for display.update: replace what handle ID showed.
	Update bool
	// Result is true for the rich part of a cell's result (the repr of
	// the value comes through the ResultFilter).
	Result bool
	ID     int
	// Data is the MIME bundle to show, always with a text/plain.
	Data map[string]any
	// Err says why the frame's data could not be shown (Data then holds
	// only text/plain saying so).
	Err error
}

// A DisplayFilter passes a board's stdout through to another writer,
// except display frames, which it decodes and hands to a callback, on
// the writing goroutine, after the text before them was written. It is
// safe for concurrent use.
type DisplayFilter struct {
	mu sync.Mutex
	f  framing.Splitter
}

// NewDisplayFilter returns a DisplayFilter writing text to w and calling
// show for each frame.
func NewDisplayFilter(w io.Writer, show func(Display)) *DisplayFilter {
	return &DisplayFilter{f: framing.Splitter{Open: displayMark[0], Close: displayMark[0], W: w, Max: maxFrame,
		OnFrame: func(b []byte) error {
			show(ParseDisplay(string(b)))
			return nil
		}}}
}

// maxFrame bounds a frame held in memory; a larger one (or one never
// closed) is cut there, and fails to decode, rather than grown without
// end.
const maxFrame = 64 << 20

func (f *DisplayFilter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.f.Write(p)
}

// ParseDisplay decodes one frame's text (between the marks). A frame it
// cannot decode becomes a Display with Err set and a text/plain saying
// why, so that the cell goes on.
func ParseDisplay(frame string) Display {
	var d Display
	head, lit, ok := strings.Cut(frame, " ")
	if !ok || len(head) < 3 {
		return badDisplay(d, fmt.Errorf("malformed display frame %q", short(frame, 40)))
	}
	switch head[0] {
	case 'D':
	case 'U':
		d.Update = true
	case 'R':
		d.Result = true
	default:
		return badDisplay(d, fmt.Errorf("display frame: unknown operation %q", head[:1]))
	}
	kind := head[1]
	id, err := strconv.Atoi(head[2:])
	if err != nil {
		return badDisplay(d, fmt.Errorf("display frame: bad handle %q", head[2:]))
	}
	d.ID = id
	v, err := ParseLiteral(lit)
	if err != nil {
		return badDisplay(d, fmt.Errorf("display frame: %w", err))
	}
	text := func() (string, error) {
		switch v := v.(type) {
		case string:
			return v, nil
		case Bytes:
			return string(v), nil
		}
		return "", fmt.Errorf("wants a str, got %s", short(lit, 40))
	}
	switch kind {
	case 'h', 's', 'm':
		s, err := text()
		if err != nil {
			return badDisplay(d, fmt.Errorf("display.%s: %w", kindName(kind), err))
		}
		mime := map[byte]string{'h': "text/html", 's': "image/svg+xml", 'm': "text/markdown"}[kind]
		d.Data = map[string]any{mime: s, "text/plain": plainText(kind, s)}
	case 'p':
		b, ok := v.(Bytes)
		if !ok {
			return badDisplay(d, fmt.Errorf("display.png: wants bytes, got %s", short(lit, 40)))
		}
		d.Data = map[string]any{
			"image/png":  base64.StdEncoding.EncodeToString(b),
			"text/plain": fmt.Sprintf("[PNG image, %d bytes]", len(b)),
		}
	case 'j':
		j, err := jsonValue(v)
		if err != nil {
			return badDisplay(d, fmt.Errorf("display.json: %w", err))
		}
		text, _ := json.MarshalIndent(j, "", "  ")
		d.Data = map[string]any{"application/json": j, "text/plain": string(text)}
	default:
		return badDisplay(d, fmt.Errorf("display frame: unknown kind %q", string(kind)))
	}
	return d
}

func kindName(k byte) string {
	return map[byte]string{'h': "html", 's': "svg", 'm': "markdown", 'p': "png", 'j': "json"}[k]
}

func badDisplay(d Display, err error) Display {
	d.Err = err
	d.Data = map[string]any{"text/plain": err.Error()}
	return d
}

var (
	tags   = regexp.MustCompile(`(?s)<[^>]*>`)
	spaces = regexp.MustCompile(`\s+`)
)

// plainText is the text/plain of a display, for front ends that show no
// HTML or images: markdown as written, HTML's text without its tags.
func plainText(kind byte, s string) string {
	switch kind {
	case 'm':
		return s
	case 'h':
		t := strings.TrimSpace(spaces.ReplaceAllString(tags.ReplaceAllString(s, " "), " "))
		t = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&nbsp;", " ", "&amp;", "&").Replace(t)
		if t == "" {
			return "[HTML]"
		}
		return t
	}
	return "[SVG image]"
}

// jsonValue turns a decoded Python literal into what encoding/json
// writes: bytes become text, dict keys their text, tuples lists.
func jsonValue(v any) (any, error) {
	switch v := v.(type) {
	case nil, bool, string, json.Number:
		return v, nil
	case float64:
		return nil, nil // inf and nan: JSON has no such number
	case Bytes:
		return string(v), nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			j, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = j
		}
		return out, nil
	case *Dict:
		out := make(map[string]any, len(v.Keys))
		for i, k := range v.Keys {
			var key string
			switch k := k.(type) {
			case string:
				key = k
			case json.Number:
				key = string(k)
			case bool:
				key = map[bool]string{true: "True", false: "False"}[k]
			case nil:
				key = "None"
			default:
				return nil, fmt.Errorf("dict key %v is not a str or a number", k)
			}
			j, err := jsonValue(v.Values[i])
			if err != nil {
				return nil, err
			}
			out[key] = j
		}
		return out, nil
	}
	return nil, fmt.Errorf("cannot show %T as JSON", v)
}
