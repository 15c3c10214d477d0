package router

import (
	"strings"
	"unicode/utf8"
)

// Kind says where a cell runs, from its first line.
type Kind int

const (
	BoardCell     Kind = iota // MicroPython on the connected board (no cell magic)
	HostCell                  // %%host: Go in the kernel's interpreter
	BashCell                  // %%bash: a bash script on the host
	WriteFileCell             // %%writefile [-a] PATH: the body into a file
)

// Segment is one piece of a cell body: code for the cell's language, a
// line magic (`%name args`) or a shell command (`!cmd`), run in order.
type Segment struct {
	Kind SegmentKind
	Text string // code, or the magic's line without its '%', or the command without '!'
	Line int    // 1-based line of the segment's start within the whole cell
}

// SegmentKind tells segments apart.
type SegmentKind int

const (
	Code SegmentKind = iota
	LineMagic
	Shell
)

// Cell is a parsed cell.
type Cell struct {
	Kind     Kind
	Magic    string // the cell magic's line without "%%" ("host", "writefile -a x.py")
	Body     string // everything after the cell magic line (the whole cell for Board)
	BodyLine int    // 1-based line where Body starts
	Segments []Segment
}

// cellMagics maps a cell magic's name to its kind.
var cellMagics = map[string]Kind{"host": HostCell, "bash": BashCell, "writefile": WriteFileCell}

// Parse splits a cell into its kind and segments. Line magics and shell
// commands are recognised only at column 0, only in Board and Host cells:
// in a %%bash or %%writefile body every line is data.
func Parse(code string) Cell {
	c := Cell{Kind: BoardCell, Body: code, BodyLine: 1}
	first, rest, hasRest := strings.Cut(code, "\n")
	if m, ok := strings.CutPrefix(strings.TrimRight(first, " \t\r"), "%%"); ok {
		name, _, _ := strings.Cut(m, " ")
		if kind, ok := cellMagics[name]; ok {
			c.Kind, c.Magic, c.BodyLine = kind, m, 2
			c.Body = ""
			if hasRest {
				c.Body = rest
			}
		} else {
			// An unknown cell magic is reported by the session, with
			// suggestions; keep its name for that.
			c.Kind, c.Magic = -1, m
		}
	}
	if c.Kind == BoardCell || c.Kind == HostCell {
		c.Segments = splitSegments(c.Body, c.BodyLine, c.Kind == HostCell)
	}
	return c
}

// Unknown reports whether the cell starts with a cell magic this kernel
// does not have.
func (c Cell) Unknown() bool { return c.Kind < 0 }

// splitSegments cuts body into code runs and the magic and shell lines
// between them. Blank code runs are dropped. A line inside a
// triple-quoted string or a Go raw string is code even if it starts with
// '%' or '!': the scan tracks those literals.
func splitSegments(body string, firstLine int, goCode bool) []Segment {
	var segs []Segment
	var code strings.Builder
	codeLine := firstLine
	flush := func() {
		if strings.TrimSpace(code.String()) != "" {
			segs = append(segs, Segment{Kind: Code, Text: strings.TrimRight(code.String(), "\n"), Line: codeLine})
		}
		code.Reset()
	}
	var quote string // open multi-line literal: `"""`, `'''` or "`"
	lines := strings.Split(body, "\n")
	for i, line := range lines {
		lineNo := firstLine + i
		if quote == "" && (strings.HasPrefix(line, "%") || strings.HasPrefix(line, "!")) {
			flush()
			kind := LineMagic
			if line[0] == '!' {
				kind = Shell
			}
			segs = append(segs, Segment{Kind: kind, Text: strings.TrimRight(line[1:], " \t\r"), Line: lineNo})
			codeLine = lineNo + 1
			continue
		}
		if code.Len() == 0 {
			codeLine = lineNo
		}
		code.WriteString(line)
		if i < len(lines)-1 {
			code.WriteByte('\n')
		}
		quote = scanQuotes(line, quote, goCode)
	}
	flush()
	return segs
}

// scanQuotes returns the multi-line literal still open after line, given
// the one open before it: Go's raw strings when goCode, else Python's
// triple quotes. Single-line strings and comments are skipped.
func scanQuotes(line, open string, goCode bool) string {
	for i := 0; i < len(line); {
		if open != "" {
			j := strings.Index(line[i:], open)
			if j < 0 {
				return open
			}
			i += j + len(open)
			open = ""
			continue
		}
		switch c := line[i]; {
		case !goCode && c == '#', goCode && strings.HasPrefix(line[i:], "//"):
			return ""
		case !goCode && (strings.HasPrefix(line[i:], `"""`) || strings.HasPrefix(line[i:], "'''")):
			open = line[i : i+3]
			i += 3
		case goCode && c == '`':
			open = "`"
			i++
		case c == '"' || c == '\'':
			i = skipString(line, i)
		default:
			_, n := utf8.DecodeRuneInString(line[i:])
			i += n
		}
	}
	return open
}

// skipString returns the index after the one-line string starting at i.
func skipString(line string, i int) int {
	q := line[i]
	for j := i + 1; j < len(line); j++ {
		switch line[j] {
		case '\\':
			j++
		case q:
			return j + 1
		}
	}
	return len(line)
}
