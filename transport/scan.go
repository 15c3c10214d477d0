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
	phaseStderr              // traceback until 0x04
	phasePrompt              // waiting for '>'
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
type scanner struct {
	phase  phase
	stdout io.Writer
	stderr io.Writer
	tb     []byte // the traceback as received
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
	start := 0 // start of the pending run of stdout or stderr bytes
	flush := func(end int) {
		if end <= start {
			return
		}
		switch s.phase {
		case phaseStdout:
			s.stdout.Write(p[start:end])
		case phaseStderr:
			s.stderr.Write(p[start:end])
			s.tb = append(s.tb, p[start:end]...)
			if len(s.tb) > tracebackMax {
				s.tb = append(s.tb[:0], s.tb[len(s.tb)-tracebackMax/2:]...)
			}
		}
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if r := s.watch.add(c); r != "" {
			flush(i + 1)
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
		case phaseStdout, phaseStderr:
			if c == ctrlD {
				flush(i)
				s.phase++
				start = i + 1
			}
		case phasePrompt:
			if c == rawPrompt {
				s.phase = phaseDone
				return i + 1, evDone
			}
			s.addNoise(c)
		case phaseDone:
			return i, evDone
		}
	}
	flush(len(p))
	return len(p), evMore
}

func (s *scanner) addNoise(c byte) {
	if len(s.noise) >= noiseMax {
		copy(s.noise, s.noise[1:])
		s.noise = s.noise[:noiseMax-1]
	}
	s.noise = append(s.noise, c)
}
