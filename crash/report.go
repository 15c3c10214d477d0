package crash

import (
	"fmt"
	"strings"
)

// interpreterFrames are the packages whose frames say nothing to the
// user: the interpreter's, and the reflection it calls compiled code
// through.
var interpreterFrames = []string{"github.com/traefik/yaegi/", "reflect.", "runtime.goexit", "runtime.throw", "runtime.fatal"}

// maxFrames is how many frames the report shows.
const maxFrames = 6

// Report is what the first cell of the next kernel shows: what killed
// the previous kernel, the cell it was running and where it died. It is
// "" when the previous kernel did not die.
func (p Previous) Report() string {
	if !p.Died() {
		return ""
	}
	var b strings.Builder
	cause, detail, frames := parseCrash(p.Crash)
	b.WriteString("The previous kernel died")
	if !p.When.IsZero() {
		fmt.Fprintf(&b, " at %s", p.When.Format("15:04:05"))
	}
	switch {
	case cause != "":
		fmt.Fprintf(&b, " of a Go runtime error: %s\n", cause)
	default:
		b.WriteString(" without a Go crash report (killed by a signal, such as the system's out-of-memory killer?)\n")
	}
	if detail != "" {
		fmt.Fprintf(&b, "  %s\n", detail)
	}
	if p.Cell != "" {
		switch {
		case p.Running && p.Line > 0:
			fmt.Fprintf(&b, "It was running line %d of this cell:\n", p.Line)
		case p.Running:
			b.WriteString("It was running this cell:\n")
		default:
			b.WriteString("No cell was running; the last %%host cell, whose goroutines may have caused it, was:\n")
		}
		lines := strings.Split(strings.TrimRight(p.Cell, "\n"), "\n")
		for i, l := range lines {
			mark := "  "
			if p.Running && i+1 == p.Line {
				mark = "->"
			}
			fmt.Fprintf(&b, "%s%3d | %s\n", mark, i+1, l)
		}
	}
	if len(frames) > 0 {
		b.WriteString("Where it died, innermost first (the interpreter's own frames left out):\n")
		for _, f := range frames {
			fmt.Fprintf(&b, "  %s\n", f)
		}
	}
	if p.Crash != "" {
		fmt.Fprintf(&b, "The whole crash output was in %s.\n", p.CrashFile)
	}
	b.WriteString("Go definitions were lost with the kernel; %store values were not.\n")
	return b.String()
}

// parseCrash finds in the runtime's crash output the fatal error, a line
// that explains it, and the crashing goroutine's top frames.
func parseCrash(text string) (cause, detail string, frames []string) {
	lines := strings.Split(text, "\n")
	inStack := false
	for _, l := range lines {
		switch {
		case cause == "" && (strings.HasPrefix(l, "fatal error: ") || strings.HasPrefix(l, "panic: ")):
			cause = strings.TrimSpace(l)
		case detail == "" && cause == "" && strings.HasPrefix(l, "runtime: ") &&
			(strings.Contains(l, "out of memory") || strings.Contains(l, "stack exceeds")):
			detail = strings.TrimSpace(l)
		case strings.HasPrefix(l, "goroutine ") && strings.HasSuffix(l, ":"):
			// The first goroutine is the one that crashed.
			inStack = len(frames) == 0 && !inStack
			if !inStack {
				return cause, detail, frames
			}
		case inStack && l == "":
			return cause, detail, frames
		case inStack && !strings.HasPrefix(l, "\t") && len(frames) < maxFrames:
			fn := l
			if i := strings.LastIndexByte(fn, '('); i > 0 {
				fn = fn[:i]
			}
			if !interpreterFrame(fn) && !strings.HasPrefix(fn, "...") && !strings.HasPrefix(fn, "created by ") {
				frames = append(frames, fn)
			}
		}
	}
	return cause, detail, frames
}

func interpreterFrame(fn string) bool {
	for _, p := range interpreterFrames {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}
