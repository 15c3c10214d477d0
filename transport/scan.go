package transport

import (
	"bytes"
	"io"
)

// Protocol bytes of MicroPython's raw REPL (shared/runtime/pyexec.c).
const (
	ctrlA = 0x01 // host: enter (or restart) the raw REPL; board in raw-paste: a flow-control grant
	ctrlB = 0x02 // host: leave the raw REPL for the friendly one
	ctrlC = 0x03 // host: interrupt running code (KeyboardInterrupt), or clear the raw input line
	ctrlD = 0x04 // host: end of the cell (soft reset at an empty prompt); board: end of stdout, end of traceback, or end of a raw-paste upload
	ctrlE = 0x05 // host: first byte of the raw-paste request "\x05A\x01"
)

// Fixed texts of the raw REPL.
const (
	rawBanner    = "raw REPL; CTRL-B to exit\r\n" // printed on entering the raw REPL
	rawPrompt    = '>'                            // raw REPL prompt, printed after the banner and after each cell
	execAck      = "OK"                           // plain raw: the board received the cell
	pasteRequest = "\x05A\x01"                    // ask for raw-paste mode (MicroPython >= 1.14)
	pasteOK      = "R\x01"                        // raw-paste accepted; followed by a 2-byte window size and 0x01
	pasteRefused = "R\x00"                        // raw-paste known but refused: stay in plain raw
)

// Lines that mean the board reset behind the host's back.
const (
	friendlyBannerLine = `Type "help()" for more information.` // friendly REPL banner: the board rebooted
)

// lineWatch follows the board's output line by line and recognises the
// lines a board prints when it resets: the friendly banner, an ESP ROM boot
// log, a soft reboot. It keeps only the start of the current line.
type lineWatch struct {
	line []byte
}

const lineWatchMax = 96 // longer lines are not reset markers

// add feeds one byte and returns the reset seen at the end of a line, or "".
func (w *lineWatch) add(c byte) string {
	if c != '\n' {
		if len(w.line) < lineWatchMax {
			w.line = append(w.line, c)
		}
		return ""
	}
	l := bytes.TrimSpace(w.line)
	w.line = w.line[:0]
	switch {
	case string(l) == friendlyBannerLine:
		return "the board reset (its startup banner appeared)"
	case bytes.HasPrefix(l, []byte("rst:0x")), bytes.HasPrefix(l, []byte("ESP-ROM:")),
		bytes.HasPrefix(l, []byte("ets ")) && bytes.Contains(l, []byte("rst cause")):
		return "the board reset (its ROM boot log appeared)"
	case string(l) == "soft reboot", string(l) == "MPY: soft reboot":
		return "the board soft-rebooted"
	}
	return ""
}

type phase int

const (
	phaseOK     phase = iota // plain raw: waiting for "OK"
	phaseAck                 // raw-paste: waiting for the board's 0x04 ending the upload
	phaseStdout              // cell output until 0x04
	phaseStderr              // after a 0x04: the traceback, held until "0x04>" confirms it
	phasePrompt              // after a second 0x04: '>' ends the cell, anything else was output
	phaseDone
)

type event int

const (
	evMore  event = iota // need more bytes
	evDone               // back at the raw prompt
	evReset              // the board reset; see scanner.reset
)

const (
	tracebackMax = 64 << 10 // traceback bytes kept for parsing
	noiseMax     = 256      // unexpected bytes kept for error messages
)

// scanner reads a cell's result from the board: it splits stdout from the
// traceback, notices resets, and stops after the prompt. It is pure: it
// does no I/O but the writes to its writers, so it can be fuzzed.
//
// A cell may print 0x04 itself (sys.stdout.write('\x04')), which the raw
// REPL sends as is, though 0x04 also ends the output. So the bytes after a
// 0x04 are held until they are known: "0x04>" after them makes them the
// traceback; bytes no traceback starts with ("Traceback (most recent call
// last):", or one line "Name: message" when there is no stack), or a
// 0x04 followed by anything but '>', make them output again, with the
// 0x04 the cell printed. Output after a printed 0x04 is thus delayed only
// while it could still be a traceback. What stays ambiguous is a cell that
// prints the end itself, "\x04\x04>": the cell is taken to end there.
type scanner struct {
	phase  phase
	stdout io.Writer
	stderr io.Writer
	tb     []byte // the traceback as received
	held   []byte // bytes after a 0x04 that may be the traceback
	noise  []byte // bytes that fit no phase
	okPart bool   // 'O' of "OK" seen
	watch  lineWatch
	reset  string // set with evReset
}

func newScanner(start phase, stdout, stderr io.Writer) *scanner {
	return &scanner{phase: start, stdout: stdout, stderr: stderr}
}

// feed consumes p up to the event it returns. On evDone and evReset the
// bytes after the event are left unconsumed.
func (s *scanner) feed(p []byte) (int, event) {
	start := 0 // start of the pending run of stdout bytes
	flush := func(end int) {
		if s.phase == phaseStdout && end > start {
			s.stdout.Write(p[start:end])
		}
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if r := s.watch.add(c); r != "" {
			if s.phase == phaseStderr || s.phase == phasePrompt {
				if s.phase == phasePrompt {
					s.held = append(s.held, ctrlD) // undecided too: output
				}
				s.held = append(s.held, c)
				s.release()
			} else {
				flush(i + 1)
			}
			s.reset = r
			return i + 1, evReset
		}
		switch s.phase {
		case phaseOK:
			switch {
			case s.okPart && c == 'K':
				s.okPart = false
				s.phase = phaseStdout
				start = i + 1
			case c == 'O':
				if s.okPart {
					s.addNoise('O')
				}
				s.okPart = true
			default:
				if s.okPart {
					s.addNoise('O')
					s.okPart = false
				}
				s.addNoise(c)
			}
		case phaseAck:
			switch c {
			case ctrlD:
				s.phase = phaseStdout
				start = i + 1
			case ctrlA: // a late flow-control grant
			default:
				s.addNoise(c)
			}
		case phaseStdout:
			if c == ctrlD {
				flush(i)
				s.phase = phaseStderr
				s.held = s.held[:0]
			}
		case phasePrompt:
			if c == rawPrompt {
				s.stderr.Write(s.held)
				s.tb = append(s.tb[:0], s.held...)
				s.held = s.held[:0]
				s.phase = phaseDone
				return i + 1, evDone
			}
			// The first 0x04 was the cell's; the second may end the output.
			s.release()
			s.phase = phaseStderr
			fallthrough
		case phaseStderr:
			if c == ctrlD {
				s.phase = phasePrompt
				continue
			}
			s.held = append(s.held, c)
			if !mayBeTraceback(s.held) {
				s.release()
				start = i + 1
			}
		case phaseDone:
			return i, evDone
		}
	}
	flush(len(p))
	return len(p), evMore
}

// release gives the held bytes back to stdout, after the 0x04 that the
// cell printed before them, and returns to stdout.
func (s *scanner) release() {
	s.stdout.Write([]byte{ctrlD})
	s.stdout.Write(s.held)
	s.held = s.held[:0]
	s.phase = phaseStdout
}

// tracebackHead starts every traceback MicroPython prints with a stack.
const tracebackHead = "Traceback (most recent call last):"

// mayBeTraceback reports whether h can be the start of what MicroPython
// prints for an uncaught exception: a traceback, or the one line
// "Name: message" of an exception without a stack (a MemoryError raised
// while compiling).
func mayBeTraceback(h []byte) bool {
	if len(h) > tracebackMax {
		return false
	}
	if n := min(len(h), len(tracebackHead)); string(h[:n]) == tracebackHead[:n] {
		return true
	}
	name := 0
	for name < len(h) && isNameByte(h[name], name == 0) {
		name++
	}
	switch {
	case name == 0:
		return false
	case name == len(h):
		return name <= 64
	case h[name] != ':':
		return false
	}
	nl := bytes.IndexByte(h[name:], '\n')
	if nl < 0 {
		return len(h) <= 1024
	}
	return name+nl == len(h)-1 // only the 0x04 may follow the line
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && (c >= '0' && c <= '9' || c == '.')
}

func (s *scanner) addNoise(c byte) {
	if len(s.noise) >= noiseMax {
		copy(s.noise, s.noise[1:])
		s.noise = s.noise[:noiseMax-1]
	}
	s.noise = append(s.noise, c)
}
