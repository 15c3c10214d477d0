package router

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/iotkernel/iotkernel/kernel"
)

// Each board of a %%board cell on several boards shows its output in a
// display of its own, redrawn in place, rather than as stream text with
// a prefix on every line: the notebook then reads as one block per
// board, which stays readable when boards print at once, and each block
// can say whether its board is still running. A display keeps the whole
// output, so it is redrawn at most paneEvery, and beyond paneKeep bytes
// it shows the latest part only (saying how much it left out).
const (
	paneEvery = 100 * time.Millisecond
	paneKeep  = 256 << 10
)

// runOnBoards runs a %%board cell: on one board as a plain board cell
// on it, on several at once with a pane per board and a summary.
func (s *Session) runOnBoards(ctx context.Context, c Cell, env *cellEnv) error {
	_, args, _ := strings.Cut(c.Magic, " ")
	spec, err := s.magics.ParseBoardsCell(args)
	if err != nil {
		return cellError(err)
	}
	if strings.TrimSpace(c.Body) == "" {
		return cellError(errors.New("%%board: the cell has no body: put the code to run below the %%board line"))
	}
	names := spec.Names
	if spec.All {
		names = s.connectedNames()
		if len(names) == 0 {
			return cellError(fmt.Errorf("%%%%board --all: %w", errNoBoards))
		}
	}
	conns := make([]*boardConn, len(names))
	for i, n := range names {
		if conns[i], err = s.boardNamed(n); err != nil {
			return cellError(err)
		}
	}
	if len(conns) == 1 {
		one := *env
		one.on = conns[0]
		return s.runSegments(ctx, c, &one, one.runBoard)
	}

	panes := make([]*pane, len(conns))
	for i, bc := range conns {
		panes[i] = newPane(env.out, bc, s.paneID("board-"+bc.name))
	}
	var wg sync.WaitGroup
	for i, bc := range conns {
		p := panes[i]
		one := *env
		one.on, one.out = bc, p
		one.noInput = "input() cannot ask in a cell that runs on several boards at once"
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.finish(s.runSegments(ctx, c, &one, one.runBoard))
		}()
	}
	wg.Wait()
	showSummary(env.out, panes)
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	var failed []string
	for _, p := range panes {
		if p.err != nil {
			failed = append(failed, fmt.Sprintf("%s (%s)", p.name, p.err.Name))
		}
	}
	if len(failed) > 0 {
		msg := fmt.Sprintf("%d of %d boards failed: %s", len(failed), len(panes), strings.Join(failed, ", "))
		return &kernel.CellError{Name: "BoardError", Value: msg, Traceback: []string{"BoardError: " + msg, "(each board's traceback is under its name above)"}}
	}
	return nil
}

var errNoBoards = errors.New("no board is connected (%connect [--as NAME] NAME|URL connects one)")

// paneID returns a display id no other output of this kernel uses.
func (s *Session) paneID(what string) string {
	return fmt.Sprintf("iotkernel-%s-%d", what, s.displays.Add(1))
}

// pane is the Output of one board in a cell run on several: what the
// board prints, its result and its error are drawn in a display of its
// own, redrawn at most every paneEvery.
type pane struct {
	kernel.Output // the cell's: Silent, and displays the cell's code makes
	name, url     string
	id            string
	start         time.Time

	drawMu  sync.Mutex // a draw's picture and its publication go together, so the last one wins
	mu      sync.Mutex
	text    []byte
	dropped int // bytes left out at the front of text
	result  string
	done    bool
	elapsed time.Duration
	err     *kernel.CellError
	timer   *time.Timer
}

func newPane(out kernel.Output, c *boardConn, id string) *pane {
	p := &pane{Output: out, name: c.name, url: c.url, id: id, start: time.Now()}
	if !out.Silent() {
		out.Display(p.bundle(), nil, id, false)
	}
	return p
}

func (p *pane) Stdout() io.Writer { return paneWriter{p} }
func (p *pane) Stderr() io.Writer { return paneWriter{p} }
func (p *pane) ClearOutput(bool)  {}
func (p *pane) Input(context.Context, string, bool) (string, error) {
	return "", errors.New("input() cannot ask in a cell that runs on several boards at once")
}

func (p *pane) Result(data kernel.MIMEBundle, _ map[string]any) {
	text, _ := data["text/plain"].(string)
	p.mu.Lock()
	p.result = text
	p.mu.Unlock()
	p.changed()
}

type paneWriter struct{ p *pane }

func (w paneWriter) Write(b []byte) (int, error) {
	p := w.p
	p.mu.Lock()
	p.text = append(p.text, b...)
	if over := len(p.text) - paneKeep; over > 0 {
		p.text = p.text[:copy(p.text, p.text[over:])]
		p.dropped += over
	}
	p.mu.Unlock()
	p.changed()
	return len(b), nil
}

// changed redraws the pane within paneEvery.
func (p *pane) changed() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.timer != nil || p.done {
		return
	}
	p.timer = time.AfterFunc(paneEvery, func() {
		p.mu.Lock()
		p.timer = nil
		p.mu.Unlock()
		p.redraw()
	})
}

func (p *pane) redraw() {
	if p.Output.Silent() {
		return
	}
	p.drawMu.Lock()
	defer p.drawMu.Unlock()
	p.Output.Display(p.bundle(), nil, p.id, true)
}

// finish records how the board's run ended and draws the pane's last
// state.
func (p *pane) finish(err error) {
	p.mu.Lock()
	p.done = true
	p.elapsed = time.Since(p.start)
	if err != nil {
		p.err = asCellError(err)
	}
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	p.mu.Unlock()
	p.redraw()
}

// asCellError is err as the notebook shows it.
func asCellError(err error) *kernel.CellError {
	var ce *kernel.CellError
	if errors.As(cellError(err), &ce) {
		return ce
	}
	if errors.Is(err, context.Canceled) {
		return &kernel.CellError{Name: "KeyboardInterrupt", Value: "interrupted", Traceback: []string{"KeyboardInterrupt: interrupted"}}
	}
	return &kernel.CellError{Name: "Error", Value: err.Error(), Traceback: []string{err.Error()}}
}

// state is the pane's status word.
func (p *pane) stateLocked() string {
	switch {
	case !p.done:
		return "running"
	case p.err != nil && p.err.Name == "KeyboardInterrupt":
		return "interrupted"
	case p.err != nil:
		return "error: " + p.err.Name
	}
	return "ok"
}

// bundle draws the pane: a heading with the board's name and state, then
// its output, result and traceback.
func (p *pane) bundle() kernel.MIMEBundle {
	p.mu.Lock()
	defer p.mu.Unlock()
	state := p.stateLocked()
	if p.done {
		state += fmt.Sprintf(", %.2f s", p.elapsed.Seconds())
	}
	var t, h strings.Builder
	fmt.Fprintf(&t, "── %s (%s) ── %s\n", p.name, p.url, state)
	fmt.Fprintf(&h, `<div class="iotkernel-board"><div style="font-weight:bold;border-bottom:1px solid #999">%s <span style="font-weight:normal;color:#666">%s · %s</span></div>`,
		html.EscapeString(p.name), html.EscapeString(p.url), html.EscapeString(state))
	if p.dropped > 0 {
		fmt.Fprintf(&t, "[… %d earlier bytes not shown]\n", p.dropped)
		fmt.Fprintf(&h, `<div style="color:#666">… %d earlier bytes not shown</div>`, p.dropped)
	}
	out := strings.ToValidUTF8(string(p.text), "\uFFFD")
	t.WriteString(out)
	if out != "" && !strings.HasSuffix(out, "\n") {
		t.WriteString("\n")
	}
	h.WriteString(`<pre style="margin:0">` + html.EscapeString(out))
	if p.result != "" {
		fmt.Fprintf(&t, "Out: %s\n", p.result)
		h.WriteString(html.EscapeString("Out: " + p.result + "\n"))
	}
	h.WriteString("</pre>")
	if p.err != nil {
		tb := strings.Join(p.err.Traceback, "\n")
		t.WriteString(tb + "\n")
		fmt.Fprintf(&h, `<pre style="margin:0;color:#b00">%s</pre>`, html.EscapeString(tb))
	}
	h.WriteString("</div>")
	return kernel.MIMEBundle{"text/plain": t.String(), "text/html": h.String()}
}

// showSummary shows how each board ended: a table of board, status and
// time.
func showSummary(out kernel.Output, panes []*pane) {
	if out.Silent() {
		return
	}
	var t strings.Builder
	tw := tabwriter.NewWriter(&t, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BOARD\tSTATUS\tTIME")
	var h strings.Builder
	h.WriteString(`<table class="iotkernel-boards"><thead><tr><th>board</th><th>status</th><th>time</th></tr></thead><tbody>`)
	for _, p := range panes {
		p.mu.Lock()
		state, secs := p.stateLocked(), p.elapsed.Seconds()
		p.mu.Unlock()
		fmt.Fprintf(tw, "%s\t%s\t%.2f s\n", p.name, state, secs)
		fmt.Fprintf(&h, "<tr><td>%s</td><td>%s</td><td>%.2f s</td></tr>", html.EscapeString(p.name), html.EscapeString(state), secs)
	}
	tw.Flush()
	h.WriteString("</tbody></table>")
	out.Display(kernel.MIMEBundle{"text/plain": t.String(), "text/html": h.String()}, nil, "", false)
}
