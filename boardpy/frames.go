package boardpy

import (
	"bytes"
	"io"
)

// frames splits a board's output into text, passed through to w, and
// frames: the bytes between two mark bytes, handed whole to onFrame after
// the text before them was written. A frame longer than max bytes (0: no
// limit) keeps only its first max bytes. The caller serialises writes.
type frames struct {
	mark    byte
	w       io.Writer
	max     int
	onFrame func(frame []byte)

	in    bool // between an opening mark and its closing one
	frame bytes.Buffer
}

func (f *frames) write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, f.mark)
		if i < 0 {
			if !f.in {
				_, err := f.w.Write(p)
				return n, err
			}
			f.keep(p)
			return n, nil
		}
		if f.in {
			f.keep(p[:i])
			f.onFrame(f.frame.Bytes())
			f.frame.Reset()
		} else if i > 0 {
			if _, err := f.w.Write(p[:i]); err != nil {
				return n, err
			}
		}
		f.in = !f.in
		p = p[i+1:]
	}
	return n, nil
}

// keep adds p to the frame, up to max bytes in all.
func (f *frames) keep(p []byte) {
	if f.max > 0 {
		p = p[:min(len(p), max(f.max-f.frame.Len(), 0))]
	}
	f.frame.Write(p)
}
