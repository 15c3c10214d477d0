package boardpy

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A Timing measures board cells on the board, for %%time: the time a
// cell's code runs, by the board's own ticks (the upload and the
// compilation are not in it), and its free heap before and after.
// StartTiming runs once before the cell; Wrap adds a line at each code
// part's start and one at its end; Lap, run after each part, reads what
// they measured and removes every name they defined.
type Timing struct {
	// Module is the board's module with ticks_ms ("time" or "utime"),
	// "" when it has none: then nothing is timed on the board.
	Module string
	// Micro is true when the module also has ticks_us, which Lap
	// prefers for parts shorter than a minute.
	Micro bool
	// FreeBefore is gc.mem_free() after a gc.collect() before the cell,
	// -1 when the board does not say.
	FreeBefore int
}

// A Lap is what Timing measured of one code part.
type Lap struct {
	// Board is the time the part ran; Measured is false when it was not
	// timed (no ticks, or the part did not compile).
	Board    time.Duration
	Measured bool
	// Late is true when the part raised: its end is when Lap ran, so
	// Board includes the round trip that reported the error.
	Late bool
	// Free is gc.mem_free() after the part, Collected after a
	// gc.collect() too; -1 when the board does not say.
	Free, Collected int
}

// StartTiming learns the board's clock and its free heap before a cell.
func StartTiming(ctx context.Context, ex Execer) (*Timing, error) {
	out, err := withPrelude(ctx, ex, `_ik_g=__import__('gc')
_ik_g.collect()
_ik_m=''
for _ik_n in ('time','utime'):
 try:
  _ik_t=__import__(_ik_n)
 except ImportError:
  continue
 if hasattr(_ik_t,'ticks_ms'):
  _ik_m=_ik_n
  break
print('mod='+_ik_m)
print('us=%d'%(_ik_m!='' and hasattr(_ik_t,'ticks_us')))
print('free=%d'%getattr(_ik_g,'mem_free',lambda:-1)())
`)
	if err != nil {
		return nil, err
	}
	kv := parseKeyValues(out)
	free, err := strconv.Atoi(kv["free"])
	if err != nil || (kv["mod"] != "" && kv["mod"] != "time" && kv["mod"] != "utime") {
		return nil, fmt.Errorf("timing: unexpected answer from the board: %q", short(out, 80))
	}
	return &Timing{Module: kv["mod"], Micro: kv["us"] == "1", FreeBefore: free}, nil
}

// Wrap adds the timing lines to code, a cell part ready to send whose
// first line is blank (it is padded so that tracebacks name cell lines):
// the start of the clock goes there, so line numbers stay. It returns the
// wrapped code and how many bytes the timing added.
func (t *Timing) Wrap(code string) (string, int) {
	if t.Module == "" {
		return code, 0
	}
	start := "_ik_T=__import__('" + t.Module + "');_ik_t0=_ik_T.ticks_ms()"
	end := "_ik_t1=_ik_T.ticks_ms()\n"
	if t.Micro {
		start += ";_ik_u0=_ik_T.ticks_us()"
		end = "_ik_u1=_ik_T.ticks_us();" + end
	}
	rest, padded := strings.CutPrefix(code, "\n")
	sep := "\n"
	if !padded {
		// No blank line to take: share the first line, which a simple
		// statement allows, so that line numbers stay.
		rest = code
		if !startsCompound(code) {
			sep = ";"
		}
	}
	if !strings.HasSuffix(rest, "\n") {
		rest += "\n"
	}
	wrapped := start + sep + rest + end
	return wrapped, len(wrapped) - len(code)
}

// Lap reads what Wrap measured of the part that just ran (or failed) and
// the free heap, and removes the names Wrap and Lap defined.
func (t *Timing) Lap(ctx context.Context, ex Execer) (Lap, error) {
	var b strings.Builder
	if t.Module != "" {
		b.WriteString("try:\n _ik_T=__import__('" + t.Module + "')\n try:\n  _ik_t1\n except NameError:\n")
		if t.Micro {
			b.WriteString("  _ik_u1=_ik_T.ticks_us()\n")
		}
		b.WriteString("  _ik_t1=_ik_T.ticks_ms()\n  print('late=1')\n")
		b.WriteString(" print('ms=%d'%_ik_T.ticks_diff(_ik_t1,_ik_t0))\n")
		if t.Micro {
			b.WriteString(" print('us=%d'%_ik_T.ticks_diff(_ik_u1,_ik_u0))\n")
		}
		b.WriteString("except NameError:\n pass\n")
	}
	b.WriteString(`_ik_g=__import__('gc')
_ik_f=getattr(_ik_g,'mem_free',lambda:-1)
print('free=%d'%_ik_f())
_ik_g.collect()
print('collected=%d'%_ik_f())
`)
	out, err := withPrelude(ctx, ex, b.String())
	if err != nil {
		return Lap{}, err
	}
	kv := parseKeyValues(out)
	var l Lap
	if l.Free, err = strconv.Atoi(kv["free"]); err != nil {
		return Lap{}, fmt.Errorf("timing: unexpected answer from the board: %q", short(out, 80))
	}
	l.Collected, _ = strconv.Atoi(kv["collected"])
	if ms, err := strconv.Atoi(kv["ms"]); err == nil {
		l.Measured, l.Late = true, kv["late"] == "1"
		l.Board = time.Duration(ms) * time.Millisecond
		// ticks_us wraps after minutes on small boards: only short
		// parts are timed by it.
		if us, err := strconv.Atoi(kv["us"]); err == nil && ms < 60_000 && us >= 0 {
			l.Board = time.Duration(us) * time.Microsecond
		}
	}
	return l, nil
}

// startsCompound reports whether code starts with a compound statement,
// which cannot follow a ';'.
func startsCompound(code string) bool {
	word := code
	if i := strings.IndexFunc(code, func(r rune) bool { return !(r == '_' || r < 128 && isIdentByte(byte(r))) }); i >= 0 {
		word = code[:i]
	}
	switch word {
	case "if", "for", "while", "with", "def", "class", "try", "async", "match":
		return true
	}
	return strings.HasPrefix(code, "@") || strings.HasPrefix(code, " ") || strings.HasPrefix(code, "\t")
}
