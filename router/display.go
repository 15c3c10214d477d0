package router

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"sync"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/kernel"
	"github.com/iotkernel/iotkernel/magics"
)

// richState remembers on which boards, in which of their states, the
// display module is defined (boardpy.DisplayShim), and names their
// displays for Jupyter.
type richState struct {
	mu     sync.Mutex
	boards map[magics.Board]richBoard
	defs   int    // definitions so far, on any board
	nonce  string // makes display ids unique across kernels
}

// richBoard is one board's display module: the board's generation when
// it was defined, and which definition it is (its handles' numbers
// start again at each).
type richBoard struct {
	gen uint64
	def int
}

// generationer is a Board that says when its Python state may have been
// lost (*transport.Board); other boards keep theirs until replaced.
type generationer interface{ Generation() uint64 }

func boardGeneration(b magics.Board) uint64 {
	if g, ok := underlying(b).(generationer); ok {
		return g.Generation()
	}
	return 0
}

// displayDef returns which definition of the display module b has now,
// 0 when it has none.
func (s *Session) displayDef(b magics.Board) int {
	s.rich.mu.Lock()
	defer s.rich.mu.Unlock()
	if rb, ok := s.rich.boards[underlying(b)]; ok && rb.gen == boardGeneration(b) {
		return rb.def
	}
	return 0
}

// prepareDisplay defines the display module on b before a cell that may
// use it (boardpy.NeedsDisplay), once per board state, and returns which
// definition b has (0: none). Cells that do not need it cost nothing.
func (s *Session) prepareDisplay(ctx context.Context, b magics.Board, code string) (int, error) {
	if def := s.displayDef(b); def != 0 || !boardpy.NeedsDisplay(code) {
		return def, nil
	}
	if err := b.Exec(ctx, boardpy.DisplayShim, io.Discard, io.Discard); err != nil {
		return 0, err
	}
	s.rich.mu.Lock()
	defer s.rich.mu.Unlock()
	if s.rich.boards == nil {
		s.rich.boards = map[magics.Board]richBoard{}
		var r [6]byte
		rand.Read(r[:])
		s.rich.nonce = hex.EncodeToString(r[:])
	}
	s.rich.defs++
	s.rich.boards[underlying(b)] = richBoard{gen: boardGeneration(b), def: s.rich.defs}
	return s.rich.defs, nil
}

// displayID is the Jupyter display id of handle n of definition def:
// unique to this kernel, board and board state, so that an update
// reaches the display made by the same handle, in whichever cell.
func (s *Session) displayID(def, n int) string {
	return fmt.Sprintf("iot-%s-%d-%d", s.rich.nonce, def, n)
}

// boardDisplays shows the display frames of one board cell; the rich part
// of its result is kept for the cell's execute_result.
type boardDisplays struct {
	s   *Session
	def int // the board's definition of the module
	out kernel.Output

	mu     sync.Mutex
	result map[string]any
}

func (d *boardDisplays) show(f boardpy.Display) {
	if f.Result {
		d.mu.Lock()
		d.result = f.Data
		d.mu.Unlock()
		return
	}
	d.out.Display(kernel.MIMEBundle(f.Data), nil, d.s.displayID(d.def, f.ID), f.Update)
}

// resultBundle is the cell's execute_result: the repr, with the rich
// part of the value when it has one.
func (d *boardDisplays) resultBundle(repr string) kernel.MIMEBundle {
	b := kernel.MIMEBundle{}
	d.mu.Lock()
	for k, v := range d.result {
		b[k] = v
	}
	d.mu.Unlock()
	b["text/plain"] = repr
	return b
}
