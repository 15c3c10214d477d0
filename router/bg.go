package router

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/iotkernel/iotkernel/kernel"
	"github.com/iotkernel/iotkernel/magics"
)

// stopWait bounds how long shutdown waits for the background cells it
// interrupted before it closes their boards' links anyway.
const stopWait = 2 * time.Second

// bgCell is a board cell running in the background (%%bg): it holds its
// board until it ends, and writes to the Output of the cell that started
// it, which the kernel keeps publishing with that cell as parent.
type bgCell struct {
	cell  int
	board *boardConn
	start time.Time
	stop  context.CancelFunc
	done  chan struct{} // closed when it ended; end and err are set then

	end time.Time
	err error
}

func (b *bgCell) status() magics.BackgroundCell {
	c := magics.BackgroundCell{Cell: b.cell, Board: b.board.name, Status: "running", Running: true}
	select {
	case <-b.done:
		c.Running = false
		c.Elapsed = b.end.Sub(b.start)
		c.Err = b.err
		c.Status = "ok"
		if b.err != nil {
			ce := asCellError(b.err)
			c.Status = "error: " + ce.Name
			if ce.Name == "KeyboardInterrupt" {
				c.Status = "interrupted"
			}
		}
	default:
		c.Elapsed = time.Since(b.start)
	}
	return c
}

// runBackground starts a %%bg cell and returns once it runs: its board
// is held from now on, so a busy board fails the cell at once.
func (s *Session) runBackground(c Cell, env *cellEnv) error {
	_, args, _ := strings.Cut(c.Magic, " ")
	name, err := s.magics.ParseBg(args)
	if err != nil {
		return cellError(err)
	}
	if strings.TrimSpace(c.Body) == "" {
		return cellError(errors.New("%%bg: the cell has no body: put the code to run below the %%bg line"))
	}
	conn, err := s.boardNamed(name)
	if err != nil {
		return cellError(err)
	}
	run := &cellRun{cell: env.run.cell, bg: true}
	benv := *env
	benv.run, benv.on = run, conn
	benv.noInput = "input() cannot ask in a background cell"
	if _, err := benv.holdBoard(); err != nil {
		return cellError(err)
	}
	// The cell's own context ends when Execute returns: the background
	// cell has one of its own, which %bg stop and shutdown cancel.
	ctx, stop := context.WithCancel(context.Background())
	b := &bgCell{cell: run.cell, board: conn, start: time.Now(), stop: stop, done: make(chan struct{})}
	s.bgMu.Lock()
	s.bg = append(s.bg, b)
	s.bgMu.Unlock()
	fmt.Fprintf(env.out.Stdout(), "[%d] runs in the background on %s: %%bg lists, %%bg stop %d, %%bg wait %d\n", b.cell, conn.name, b.cell, b.cell)
	s.bgWG.Add(1)
	go func() {
		defer s.bgWG.Done()
		err := s.runSegments(ctx, c, &benv, benv.runBoard)
		benv.release()
		stop()
		b.end, b.err = time.Now(), err
		// The cell shows how it ended before %bg wait hears of it.
		defer close(b.done)
		if err == nil {
			return
		}
		if ro, ok := env.out.(kernel.RequestOutput); ok {
			ro.Error(err)
			return
		}
		ce := asCellError(err)
		fmt.Fprintln(env.out.Stderr(), strings.Join(ce.Traceback, "\n"))
	}()
	return nil
}

// bgNumbered returns background cell n.
func (s *Session) bgNumbered(n int) (*bgCell, error) {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	for i := len(s.bg) - 1; i >= 0; i-- {
		if s.bg[i].cell == n {
			return s.bg[i], nil
		}
	}
	return nil, fmt.Errorf("no background cell [%d] (%%bg lists them)", n)
}

// stopBackground interrupts every background cell running on c (all of
// them when c is nil) and waits for them to end, at most until ctx is
// done.
func (s *Session) stopBackground(ctx context.Context, c *boardConn) {
	s.bgMu.Lock()
	cells := slices.Clone(s.bg)
	s.bgMu.Unlock()
	for _, b := range cells {
		if c == nil || b.board == c {
			b.stop()
		}
	}
	for _, b := range cells {
		if c == nil || b.board == c {
			select {
			case <-b.done:
			case <-ctx.Done():
				return
			}
		}
	}
}

var _ magics.BackgroundCells = (*cellEnv)(nil)

func (e *cellEnv) BackgroundCells() []magics.BackgroundCell {
	e.s.bgMu.Lock()
	cells := slices.Clone(e.s.bg)
	e.s.bgMu.Unlock()
	list := make([]magics.BackgroundCell, len(cells))
	for i, b := range cells {
		list[i] = b.status()
	}
	return list
}

func (e *cellEnv) StopBackground(ctx context.Context, n int) (magics.BackgroundCell, error) {
	b, err := e.s.bgNumbered(n)
	if err != nil {
		return magics.BackgroundCell{}, err
	}
	b.stop()
	select {
	case <-b.done:
	case <-ctx.Done():
		return magics.BackgroundCell{}, ctx.Err()
	}
	return b.status(), nil
}

func (e *cellEnv) WaitBackground(ctx context.Context, n int) (magics.BackgroundCell, error) {
	b, err := e.s.bgNumbered(n)
	if err != nil {
		return magics.BackgroundCell{}, err
	}
	select {
	case <-b.done:
	case <-ctx.Done():
		return magics.BackgroundCell{}, ctx.Err()
	}
	return b.status(), nil
}
