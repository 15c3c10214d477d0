// Package framing splits what a board prints into text and frames: the
// bytes between an opening mark and a closing byte, which the kernel's
// own board-side code prints beside the cell's output (a cell's result,
// a display, an input() prompt, a %mount request). It owns only that
// split; what a frame means belongs to its user (packages boardpy and
// transport).
package framing

import (
	"bytes"
	"io"
)

// A Splitter passes text through to W and hands each frame, whole, to
// OnFrame after the text before it was written. A frame opens at Open and
// ends at Close (which may be the same byte); neither is passed on. A
// frame longer than Max bytes (0: no limit) keeps only its first Max. The
// caller serialises calls to Write.
type Splitter struct {
	Open, Close byte
	W           io.Writer
	Max         int
	OnFrame     func(frame []byte) error

	in    bool // between an opening mark and its closing byte
	frame bytes.Buffer
}

// Write splits p; it fails with W's error or OnFrame's.
func (s *Splitter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if !s.in {
			i := bytes.IndexByte(p, s.Open)
			if i < 0 {
				_, err := s.W.Write(p)
				return n, err
			}
			if i > 0 {
				if _, err := s.W.Write(p[:i]); err != nil {
					return n, err
				}
			}
			s.in = true
			p = p[i+1:]
			continue
		}
		i := bytes.IndexByte(p, s.Close)
		if i < 0 {
			s.keep(p)
			return n, nil
		}
		s.keep(p[:i])
		p = p[i+1:]
		s.in = false
		frame := bytes.Clone(s.frame.Bytes())
		s.frame.Reset()
		if err := s.OnFrame(frame); err != nil {
			return n, err
		}
	}
	return n, nil
}

// InFrame reports whether the output so far ends inside a frame.
func (s *Splitter) InFrame() bool { return s.in }

// keep adds p to the frame, up to Max bytes in all.
func (s *Splitter) keep(p []byte) {
	if s.Max > 0 {
		p = p[:min(len(p), max(s.Max-s.frame.Len(), 0))]
	}
	s.frame.Write(p)
}
