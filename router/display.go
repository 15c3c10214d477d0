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
)

// richState remembers on which board, in which of its states, the
// display module is defined (boardpy.DisplayShim), and names its
// displays for Jupyter.
type richState struct {
	mu    sync.Mutex
	board Board
	gen   uint64
	nonce string // makes display ids unique across kernels
}

// generationer is a Board that says when its Python state may have been
// lost (*transport.Board); other boards keep theirs until replaced.
type generationer interface{ Generation() uint64 }

func boardGeneration(b Board) uint64 {
	if g, ok := b.(generationer); ok {
		return g.Generation()
	}
	return 0
}

// hasDisplay reports whether b has the display module now.
func (s *Session) hasDisplay(b Board) bool {
	s.rich.mu.Lock()
	defer s.rich.mu.Unlock()
	return s.rich.board == b && s.rich.gen == boardGeneration(b)
}

// prepareDisplay defines the display module on b before a cell that may
// use it (boardpy.NeedsDisplay), once per board state, and reports
// whether b has it. Cells that do not need it cost nothing.
func (s *Session) prepareDisplay(ctx context.Context, b Board, code string) (bool, error) {
	if s.hasDisplay(b) {
		return true, nil
	}
	if !boardpy.NeedsDisplay(code) {
		return false, nil
	}
	if err := b.Exec(ctx, boardpy.DisplayShim, io.Discard, io.Discard); err != nil {
		return false, err
	}
	s.rich.mu.Lock()
	defer s.rich.mu.Unlock()
	s.rich.board, s.rich.gen = b, boardGeneration(b)
	if s.rich.nonce == "" {
		var r [6]byte
		rand.Read(r[:])
		s.rich.nonce = hex.EncodeToString(r[:])
	}
	return true, nil
}

// displayID is the Jupyter display id of the board's handle n: unique to
// this kernel, board and board state, so that an update reaches the
// display made by the same handle, in whichever cell it was shown.
func (s *Session) displayID(n int) string {
	s.rich.mu.Lock()
	defer s.rich.mu.Unlock()
	return fmt.Sprintf("iot-%s-%d-%d", s.rich.nonce, s.rich.gen, n)
}

// boardDisplays shows the display frames of one board cell; the rich part
// of its result is kept for the cell's execute_result.
type boardDisplays struct {
	s   *Session
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
	d.out.Display(kernel.MIMEBundle(f.Data), nil, d.s.displayID(f.ID), f.Update)
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
