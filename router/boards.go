package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/magics"
	"github.com/iotkernel/iotkernel/transport"
)

// platformTimeout bounds the sys.platform question asked of a board
// just connected (for %boards); a board that is slow to answer is listed
// without its platform.
const platformTimeout = 2 * time.Second

// boardConn is one connected board: its name, and which cell holds it.
// A cell (in the foreground or the background) holds the board it runs
// on for its whole run; anything else that wants the board meanwhile,
// another cell, a magic, Go code through the board package, fails at
// once with a *BusyError rather than wait behind it.
type boardConn struct {
	name, url, platform string
	b                   Board

	mu     sync.Mutex
	holder *cellRun // nil when no cell holds the board
	gone   bool     // the last call found the link gone
}

// cellRun identifies one run of a cell, which may hold boards.
type cellRun struct {
	cell int  // its execution count
	bg   bool // it runs in the background (%%bg)

	mu       sync.Mutex
	releases []func() // give back the boards it holds
}

// BusyError is the error for a board held by another cell.
type BusyError struct {
	Board      string
	Cell       int
	Background bool
}

func (e *BusyError) Error() string {
	if e.Background {
		return fmt.Sprintf("board %s is running background cell [%d]; %%bg stop %d or wait", e.Board, e.Cell, e.Cell)
	}
	return fmt.Sprintf("board %s is running cell [%d]", e.Board, e.Cell)
}

// busy returns the *BusyError for r wanting c, or nil when r may use it:
// nobody holds it, or r does.
func (c *boardConn) busy(r *cellRun) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.holder == nil || c.holder == r {
		return nil
	}
	return &BusyError{Board: c.name, Cell: c.holder.cell, Background: c.holder.bg}
}

// hold makes r the holder of c, unless another run holds it, and returns
// the function that gives it back.
func (c *boardConn) hold(r *cellRun) (release func(), err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.holder != nil && c.holder != r {
		return nil, &BusyError{Board: c.name, Cell: c.holder.cell, Background: c.holder.bg}
	}
	if c.holder == r {
		return func() {}, nil
	}
	c.holder = r
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.holder == r {
			c.holder = nil
		}
	}, nil
}

// note records whether err says the board's link is gone.
func (c *boardConn) note(err error) {
	gone := errors.Is(err, transport.ErrNotConnected)
	c.mu.Lock()
	c.gone = gone
	c.mu.Unlock()
}

func (c *boardConn) status(current bool) magics.BoardStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := magics.BoardStatus{Name: c.name, URL: c.url, Platform: c.platform, Current: current, State: "idle"}
	switch {
	case c.holder != nil && c.holder.bg:
		st.State = fmt.Sprintf("background cell [%d]", c.holder.cell)
	case c.holder != nil:
		st.State = fmt.Sprintf("running cell [%d]", c.holder.cell)
	case c.gone:
		st.State = "gone"
	}
	return st
}

// guarded is a board as one run sees it: every call fails at once while
// another cell holds the board, and a vanished link is noted.
type guarded struct {
	c   *boardConn
	run *cellRun // nil: outside any cell (Go code, completion)
}

var _ magics.Board = guarded{}

func (g guarded) do(f func() error) error {
	if err := g.c.busy(g.run); err != nil {
		return err
	}
	err := f()
	g.c.note(err)
	return err
}

func (g guarded) Exec(ctx context.Context, code string, stdout, stderr io.Writer) error {
	return g.do(func() error { return g.c.b.Exec(ctx, code, stdout, stderr) })
}

func (g guarded) Run(ctx context.Context, code string, cio transport.IO) error {
	return g.do(func() error { return g.c.b.Run(ctx, code, cio) })
}

func (g guarded) SoftReset(ctx context.Context, out io.Writer) error {
	return g.do(func() error { return g.c.b.SoftReset(ctx, out) })
}

func (g guarded) HardReset(ctx context.Context, out io.Writer) error {
	return g.do(func() error { return g.c.b.HardReset(ctx, out) })
}

func (g guarded) URL() string      { return g.c.url }
func (g guarded) Protocol() string { return g.c.b.Protocol() }

// underlying returns the board a cell's guard wraps: what holds the
// board's own state (its generation, its byte counters), whichever cell
// asks.
func underlying(b magics.Board) magics.Board {
	if g, ok := b.(guarded); ok {
		return g.c.b
	}
	return b
}

// The link's optional powers pass through the guard, so that magics find
// them as they would on the board itself: a file protocol (WebREPL's, for
// package boardpy) and serving the board's requests (%mount).

// fileLink is a board link with a file protocol of its own.
type fileLink interface {
	ReadFile(ctx context.Context, path string) ([]byte, error)
	WriteFile(ctx context.Context, path string, data []byte) error
}

// requestServer is a board link that can answer the board's requests.
type requestServer interface {
	Serve(h transport.RequestHandler)
	Serving() bool
}

func (g guarded) ReadFile(ctx context.Context, path string) (data []byte, err error) {
	fl, ok := g.c.b.(fileLink)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	err = g.do(func() error {
		var err error
		data, err = fl.ReadFile(ctx, path)
		return err
	})
	return data, err
}

func (g guarded) WriteFile(ctx context.Context, path string, data []byte) error {
	fl, ok := g.c.b.(fileLink)
	if !ok {
		return errors.ErrUnsupported
	}
	return g.do(func() error { return fl.WriteFile(ctx, path, data) })
}

func (g guarded) Serve(h transport.RequestHandler) {
	if rs, ok := g.c.b.(requestServer); ok {
		rs.Serve(h)
	}
}

func (g guarded) Serving() bool {
	rs, ok := g.c.b.(requestServer)
	return ok && rs.Serving()
}

// boardNamed returns the connected board called name ("" is the current
// one), or an error naming the closest names.
func (s *Session) boardNamed(name string) (*boardConn, error) {
	s.boardMu.Lock()
	defer s.boardMu.Unlock()
	if name == "" {
		if s.current == nil {
			return nil, magics.ErrNoBoard
		}
		return s.current, nil
	}
	for _, c := range s.boards {
		if c.name == name {
			return c, nil
		}
	}
	return nil, &magics.UnknownBoardError{Name: name, Known: s.namesLocked()}
}

func (s *Session) namesLocked() []string {
	names := make([]string, len(s.boards))
	for i, c := range s.boards {
		names[i] = c.name
	}
	return names
}

// connectedNames returns the connected boards' names in connection order.
func (s *Session) connectedNames() []string {
	s.boardMu.Lock()
	defer s.boardMu.Unlock()
	return s.namesLocked()
}

// connectAs opens url and keeps it as name, the current board; a board
// already called name is closed first, so that its port can be reopened.
func (s *Session) connectAs(ctx context.Context, name, url string) (*boardConn, error) {
	if other := s.sameLink(name, url); other != "" {
		return nil, fmt.Errorf("%s is already connected as %s: %%use %s, or %%disconnect %s first", url, other, other, other)
	}
	if old, _ := s.removeBoard(name); old != nil {
		if err := s.closeBoard(old); err != nil {
			s.log.Warn("closing the board replaced", "board", name, "err", err)
		}
	}
	b, err := s.open(ctx, url)
	if err != nil {
		return nil, err
	}
	c := &boardConn{name: name, url: url, b: b}
	pctx, cancel := context.WithTimeout(ctx, platformTimeout)
	c.platform, _ = boardpy.Platform(pctx, b)
	cancel()
	s.addBoard(c)
	return c, nil
}

// sameLink returns the name of another board connected to url, when
// url names a link only one may hold (a serial port, a socket); "local"
// and exec: URLs start a new board process on every open.
func (s *Session) sameLink(name, url string) string {
	if url == "local" || strings.HasPrefix(url, "exec:") {
		return ""
	}
	s.boardMu.Lock()
	defer s.boardMu.Unlock()
	for _, c := range s.boards {
		if c.url == url && c.name != name {
			return c.name
		}
	}
	return ""
}

// removeBoard takes the board called name ("" is the current one) out of
// the set and returns it (nil if there is none). When it was current,
// the board connected last before it becomes current.
func (s *Session) removeBoard(name string) (c *boardConn, wasCurrent bool) {
	s.boardMu.Lock()
	defer s.boardMu.Unlock()
	i := slices.IndexFunc(s.boards, func(c *boardConn) bool {
		return c == s.current && name == "" || name != "" && c.name == name
	})
	if i < 0 {
		return nil, false
	}
	c = s.boards[i]
	s.boards = slices.Delete(s.boards, i, i+1)
	wasCurrent = s.current == c
	if wasCurrent {
		s.current = nil
		if n := len(s.boards); n > 0 {
			s.current = s.boards[n-1]
		}
		if s.current != nil {
			s.crash.Board(s.current.url)
		} else {
			s.crash.Board("")
		}
	}
	return c, wasCurrent
}

// closeBoard interrupts the background cells on c, waiting for them a
// little, then closes its link, which ends any call still in progress on
// it with an error.
func (s *Session) closeBoard(c *boardConn) error {
	ctx, cancel := context.WithTimeout(context.Background(), stopWait)
	defer cancel()
	s.stopBackground(ctx, c)
	return c.b.Close()
}

// addBoard keeps c and makes it current.
func (s *Session) addBoard(c *boardConn) {
	s.boardMu.Lock()
	s.boards = append(s.boards, c)
	s.current = c
	s.boardMu.Unlock()
	s.crash.Board(c.url)
}

// use makes the named board current.
func (s *Session) use(name string) (*boardConn, error) {
	c, err := s.boardNamed(name)
	if err != nil {
		return nil, err
	}
	s.boardMu.Lock()
	s.current = c
	s.boardMu.Unlock()
	s.crash.Board(c.url)
	return c, nil
}

// boardList is %boards' list.
func (s *Session) boardList() []magics.BoardStatus {
	s.boardMu.Lock()
	boards := slices.Clone(s.boards)
	cur := s.current
	s.boardMu.Unlock()
	list := make([]magics.BoardStatus, len(boards))
	for i, c := range boards {
		list[i] = c.status(c == cur)
	}
	return list
}

// ConnectAs, DisconnectBoard, Use and Boards make a cell's Env a
// magics.BoardSet.
var _ magics.BoardSet = (*cellEnv)(nil)

func (e *cellEnv) ConnectAs(ctx context.Context, name, url string) (magics.BoardStatus, error) {
	c, err := e.s.connectAs(e.askPassword(ctx), name, url)
	if err != nil {
		return magics.BoardStatus{}, err
	}
	return c.status(true), nil
}

func (e *cellEnv) DisconnectBoard(name string) (closed, current magics.BoardStatus, err error) {
	if _, err := e.s.boardNamed(name); err != nil {
		return closed, current, err
	}
	c, wasCurrent := e.s.removeBoard(name)
	if c == nil {
		return closed, current, magics.ErrNoBoard
	}
	closed = c.status(wasCurrent)
	if err := e.s.closeBoard(c); err != nil {
		return closed, current, fmt.Errorf("disconnect %s: %w", c.name, err)
	}
	if cur := e.s.currentConn(); cur != nil {
		current = cur.status(true)
	}
	return closed, current, nil
}

func (e *cellEnv) Use(name string) (magics.BoardStatus, error) {
	c, err := e.s.use(name)
	if err != nil {
		return magics.BoardStatus{}, err
	}
	return c.status(true), nil
}

func (e *cellEnv) Boards() []magics.BoardStatus { return e.s.boardList() }

// currentConn returns the current board, or nil.
func (s *Session) currentConn() *boardConn {
	s.boardMu.Lock()
	defer s.boardMu.Unlock()
	return s.current
}
