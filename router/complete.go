package router

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/kernel"
)

// boardQueryTimeout bounds a completion or inspection on the board: the
// user is typing, an answer late is no answer.
const boardQueryTimeout = 2 * time.Second

// Complete returns completions (kernel.Executor): magic names after '%'
// at the start of a line, Go names in %%host cells, and the board's names
// in board cells while no cell runs. Offsets are runes.
func (s *Session) Complete(ctx context.Context, code string, cursor int) kernel.Completion {
	runes := []rune(code)
	cursor = min(max(cursor, 0), len(runes))
	lineStart := cursor
	for lineStart > 0 && runes[lineStart-1] != '\n' {
		lineStart--
	}
	line := string(runes[lineStart:cursor])
	if m, ok := strings.CutPrefix(line, "%"); ok && !strings.ContainsAny(m, " \t") {
		return s.completeMagic(m, lineStart+1, cursor)
	}
	if word, ok := boardNameArg(line); ok {
		var matches []string
		for _, n := range s.connectedNames() {
			if strings.HasPrefix(n, word) && !strings.HasPrefix(word, "-") {
				matches = append(matches, n)
			}
		}
		return kernel.Completion{Matches: matches, CursorStart: cursor - utf8.RuneCountInString(word), CursorEnd: cursor}
	}
	c := Parse(code)
	switch c.Kind {
	case HostCell:
		in, err := s.interp()
		if err != nil {
			return kernel.Completion{}
		}
		off := utf8.RuneCountInString(code) - utf8.RuneCountInString(c.Body)
		if cursor >= off {
			matches, start, end := in.Complete(c.Body, cursor-off)
			return kernel.Completion{Matches: matches, CursorStart: start + off, CursorEnd: end + off}
		}
	case BoardCell:
		start := cursor
		for start > 0 && isNameRune(runes[start-1]) {
			start--
		}
		word := string(runes[start:cursor])
		// Only a name or a dotted name is looked up: after "f()." or
		// "'abc'." the word starts with a dot, and nothing is offered.
		prefix := strings.TrimSuffix(word, ".")
		if word == "" || strings.HasPrefix(word, ".") || (prefix != "" && !boardpy.IsDottedName(prefix)) {
			return kernel.Completion{}
		}
		names := s.boardNames(ctx, word)
		// The client replaces runes start..cursor: keep the object part.
		base := ""
		if i := strings.LastIndexByte(word, '.'); i >= 0 {
			base = word[:i+1]
		}
		var matches []string
		for _, n := range names {
			matches = append(matches, base+n)
		}
		return kernel.Completion{Matches: matches, CursorStart: start, CursorEnd: cursor}
	}
	return kernel.Completion{}
}

// completeMagic completes a magic's name; typed is what follows '%'.
func (s *Session) completeMagic(typed string, start, end int) kernel.Completion {
	var matches []string
	for _, n := range s.magics.Names() {
		if strings.HasPrefix(n, typed) {
			matches = append(matches, n)
		}
	}
	return kernel.Completion{Matches: matches, CursorStart: start, CursorEnd: end}
}

func isNameRune(r rune) bool {
	return r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// boardNames lists the board's names that complete word ("pri", "sock.re"):
// globals and builtins, or the attributes of the object before the last
// dot. It asks only an idle board, and gives up after boardQueryTimeout.
func (s *Session) boardNames(ctx context.Context, word string) []string {
	obj, pre := "", word
	if i := strings.LastIndexByte(word, '.'); i >= 0 {
		obj, pre = word[:i], word[i+1:]
	}
	var names []string
	s.askBoard(ctx, func(ctx context.Context, b Board) (err error) {
		names, err = boardpy.Names(ctx, b, obj, pre)
		return err
	})
	return names
}

// Inspect describes the name at cursor (kernel.Executor): Go names in
// %%host cells, and in board cells the type, value and doc of a board
// name while no cell runs.
func (s *Session) Inspect(ctx context.Context, code string, cursor, detail int) (kernel.MIMEBundle, bool) {
	c := Parse(code)
	switch c.Kind {
	case HostCell:
		in, err := s.interp()
		if err != nil {
			return nil, false
		}
		off := utf8.RuneCountInString(code) - utf8.RuneCountInString(c.Body)
		if cursor >= off {
			if text, ok := in.Inspect(c.Body, cursor-off); ok {
				return kernel.MIMEBundle{"text/plain": text}, true
			}
		}
	case BoardCell:
		runes := []rune(code)
		cursor = min(max(cursor, 0), len(runes))
		start, end := cursor, cursor
		for start > 0 && isNameRune(runes[start-1]) {
			start--
		}
		for end < len(runes) && isNameRune(runes[end]) && runes[end] != '.' {
			end++
		}
		name := strings.Trim(string(runes[start:end]), ".")
		if !boardpy.IsDottedName(name) {
			return nil, false
		}
		var text string
		s.askBoard(ctx, func(ctx context.Context, b Board) (err error) {
			text, err = boardpy.Inspect(ctx, b, name)
			return err
		})
		if strings.TrimSpace(text) != "" {
			return kernel.MIMEBundle{"text/plain": text}, true
		}
	}
	return nil, false
}

// askBoard runs query on the board when it is idle, under
// boardQueryTimeout. It does not when no board is connected or a cell
// runs; a board that fails or is late is logged, and its answer is none.
func (s *Session) askBoard(ctx context.Context, query func(context.Context, Board) error) {
	c := s.currentConn()
	if c == nil || s.running.Load() || c.busy(nil) != nil {
		return
	}
	b := c.b
	ctx, cancel := context.WithTimeout(ctx, boardQueryTimeout)
	defer cancel()
	if err := query(ctx, b); err != nil {
		s.log.Debug("board query", "err", err)
	}
}

// boardNameArg reports whether the cursor, at the end of line, is in an
// argument that names a connected board (%use, %disconnect, %%board,
// %%bg), and returns what of it is typed (a flag, "-...", completes to
// nothing).
func boardNameArg(line string) (word string, ok bool) {
	for _, p := range []string{"%use ", "%disconnect ", "%%board ", "%%bg "} {
		if strings.HasPrefix(line, p) {
			return line[strings.LastIndexAny(line, " \t")+1:], true
		}
	}
	return "", false
}
