package router

import (
	"go/scanner"
	"go/token"
	"strings"

	"github.com/iotkernel/iotkernel/magics"
	"github.com/iotkernel/iotkernel/pysource"
)

// Kind says where a cell runs, from its first line.
type Kind int

const (
	BoardCell Kind = iota // MicroPython on the connected board (no cell magic)
	HostCell              // %%host: Go in the kernel's interpreter
	MagicCell             // %%bash, %%writefile...: the body goes whole to the magic
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
	Magic    string // the cell magic's line without "%%" ("host", "writefile -a x.py"); "" for a plain board cell
	Body     string // everything after the cell magic line (the whole cell for Board)
	BodyLine int    // 1-based line where Body starts
	Segments []Segment
	// Timed is true under %%time: the cell is its body, measured.
	Timed bool
}

// Parse splits a cell into its kind and segments; the magics package says
// which cell magics exist and what their bodies are. Line magics and shell
// commands are recognised only at column 0, only in Board and Host cells:
// in a %%bash or %%writefile body every line is data.
func Parse(code string) Cell {
	c := Cell{Kind: BoardCell, Body: code, BodyLine: 1}
	first, rest, hasRest := strings.Cut(code, "\n")
	if m, ok := strings.CutPrefix(strings.TrimRight(first, " \t\r"), "%%"); ok {
		name, _, _ := strings.Cut(m, " ")
		if body, ok := magics.LookupCell(name); ok && body == magics.NestedBody && name == strings.TrimSpace(m) {
			return nested(rest)
		} else if ok {
			c.Kind, c.Magic, c.BodyLine = MagicCell, m, 2
			switch body {
			case magics.GoBody:
				c.Kind = HostCell
			case magics.BoardBody:
				c.Kind = BoardCell
			}
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

// nested parses body, the lines below a %%time line, as a cell of its
// own, timed, its lines numbered in the whole cell.
func nested(body string) Cell {
	c := Parse(body)
	c.Timed = true
	c.BodyLine++
	for i := range c.Segments {
		c.Segments[i].Line++
	}
	return c
}

// Unknown reports whether the cell starts with a cell magic this kernel
// does not have.
func (c Cell) Unknown() bool { return c.Kind < 0 }

// splitSegments cuts body into code runs and the magic and shell lines
// between them. Blank code runs are dropped. A line that starts inside a
// multi-line string (Python's triple-quoted or backslash-continued ones,
// Go's raw strings and block comments) is code even if it starts with '%'
// or '!': the code lines are fed, one at a time, to the language's lexer.
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
	var lex lineLexer = new(pysource.LineScanner)
	if goCode {
		lex = new(goLines)
	}
	lines := strings.Split(body, "\n")
	for i, line := range lines {
		lineNo := firstLine + i
		if !lex.InString() && (strings.HasPrefix(line, "%") || strings.HasPrefix(line, "!")) {
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
		lex.Feed(line)
	}
	flush()
	return segs
}

// lineLexer follows code one physical line at a time and says whether
// the next line starts inside a literal (or comment) that spans lines.
type lineLexer interface {
	InString() bool
	Feed(line string)
}

// goLines is a lineLexer for Go: a raw string or a /* comment */ left
// open by a line continues on the next, until its closing "`" or "*/"
// (neither has escapes). The rest of a line is scanned with go/scanner.
type goLines struct {
	close string // "`" or "*/" while a literal is open, else ""
}

func (g *goLines) InString() bool { return g.close != "" }

func (g *goLines) Feed(line string) {
	if g.close != "" {
		i := strings.Index(line, g.close)
		if i < 0 {
			return
		}
		line = line[i+len(g.close):]
		g.close = ""
	}
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(line))
	var s scanner.Scanner
	var unterminated bool
	s.Init(file, []byte(line), func(_ token.Position, msg string) {
		unterminated = unterminated || strings.HasSuffix(msg, "not terminated")
	}, scanner.ScanComments)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			return
		}
		if file.Offset(pos)+len(lit) < len(line) || !unterminated {
			continue
		}
		switch {
		case tok == token.STRING && strings.HasPrefix(lit, "`"):
			g.close = "`"
		case tok == token.COMMENT && strings.HasPrefix(lit, "/*"):
			g.close = "*/"
		}
	}
}
