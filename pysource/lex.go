package pysource

import (
	"iter"
	"strconv"
)

// Kind is the kind of a Token.
type Kind uint8

const (
	Space        Kind = iota // spaces, tabs, form feeds, carriage returns
	Newline                  // one '\n'
	Continuation             // a backslash that joins the next physical line ("\\\n" or "\\\r\n")
	Comment                  // '#' up to the end of the line, without the newline
	Name                     // an identifier or keyword
	Number                   // a word that starts with a digit (1, 0x1f, 1e5, 1_000)
	String                   // a string literal with its prefix and quotes
	Op                       // any other single byte: an operator, bracket or stray backslash
)

var kindNames = [...]string{"Space", "Newline", "Continuation", "Comment", "Name", "Number", "String", "Op"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// A Token is one lexical piece of Python source: src[Start:End].
type Token struct {
	Kind       Kind
	Start, End int
	// Quote is a String's delimiter: ', ", ”' or """.
	Quote string
	// Open marks a String that does not end: a triple-quoted one that runs
	// to the end of the source, or a single-quoted one that meets the end
	// of its line (or of the source) before its closing quote.
	Open bool
}

// Tokens splits src into tokens as CPython's tokenizer draws their
// boundaries: every byte belongs to exactly one token, in order. Strings
// take their prefix (r, b, u, f, t and the two-letter mixes, in any case)
// when the word before the quote is one; inside a string, a backslash
// always escapes the next byte, raw or not, so r"\"" is one string and
// 'a\<newline>b' runs on. It does not know f-strings' nested quotes of
// Python 3.12, which MicroPython does not accept either.
func Tokens(src string) iter.Seq[Token] {
	return func(yield func(Token) bool) {
		lx := lexer{src: src}
		for lx.pos < len(src) {
			if !yield(lx.next()) {
				return
			}
		}
	}
}

// lexer is the state of Tokens; quote, when set, resumes inside a string
// with that delimiter (LineScanner).
type lexer struct {
	src   string
	pos   int
	quote string
}

func (lx *lexer) next() Token {
	src, i := lx.src, lx.pos
	if lx.quote != "" {
		q := lx.quote
		lx.quote = ""
		return lx.emit(lx.stringBody(Token{Kind: String, Start: i, Quote: q}, i))
	}
	c := src[i]
	switch {
	case c == ' ' || c == '\t' || c == '\f' || c == '\r':
		j := i
		for j < len(src) && (src[j] == ' ' || src[j] == '\t' || src[j] == '\f' || src[j] == '\r') {
			j++
		}
		return lx.emit(Token{Kind: Space, Start: i, End: j})
	case c == '\n':
		return lx.emit(Token{Kind: Newline, Start: i, End: i + 1})
	case c == '#':
		j := i
		for j < len(src) && src[j] != '\n' {
			j++
		}
		return lx.emit(Token{Kind: Comment, Start: i, End: j})
	case c == '\\' && hasPrefixAt(src, i+1, "\n"):
		return lx.emit(Token{Kind: Continuation, Start: i, End: i + 2})
	case c == '\\' && hasPrefixAt(src, i+1, "\r\n"):
		return lx.emit(Token{Kind: Continuation, Start: i, End: i + 3})
	case c == '\'' || c == '"':
		return lx.emit(lx.str(i, i))
	case isWordByte(c):
		j := i
		for j < len(src) && isWordByte(src[j]) {
			j++
		}
		if j < len(src) && (src[j] == '\'' || src[j] == '"') && isStringPrefix(src[i:j]) {
			return lx.emit(lx.str(i, j))
		}
		kind := Name
		if c >= '0' && c <= '9' {
			kind = Number
		}
		return lx.emit(Token{Kind: kind, Start: i, End: j})
	}
	return lx.emit(Token{Kind: Op, Start: i, End: i + 1})
}

func (lx *lexer) emit(t Token) Token {
	lx.pos = t.End
	return t
}

// str lexes the string whose prefix starts at start and whose opening
// quote is at q.
func (lx *lexer) str(start, q int) Token {
	quote := lx.src[q : q+1]
	if hasPrefixAt(lx.src, q, quote+quote+quote) {
		quote = lx.src[q : q+3]
	}
	return lx.stringBody(Token{Kind: String, Start: start, Quote: quote}, q+len(quote))
}

// stringBody finds the end of string t, whose contents start at i.
func (lx *lexer) stringBody(t Token, i int) Token {
	src := lx.src
	triple := len(t.Quote) == 3
	for i < len(src) {
		switch {
		case src[i] == '\\':
			i += 2
			if i > len(src) {
				i = len(src)
			}
			continue
		case src[i] == '\n' && !triple:
			t.End, t.Open = i, true
			return t
		case hasPrefixAt(src, i, t.Quote):
			t.End = i + len(t.Quote)
			return t
		}
		i++
	}
	t.End, t.Open = len(src), true
	return t
}

// isStringPrefix reports whether w may precede a string's quote: r, u, b,
// f, t, or two of r with b, f or t, in any case and order.
func isStringPrefix(w string) bool {
	lower := func(c byte) byte { return c | 0x20 }
	switch len(w) {
	case 1:
		switch lower(w[0]) {
		case 'r', 'u', 'b', 'f', 't':
			return true
		}
	case 2:
		a, b := lower(w[0]), lower(w[1])
		if a == 'r' {
			a, b = b, a
		}
		return b == 'r' && (a == 'b' || a == 'f' || a == 't')
	}
	return false
}

// isWordByte reports whether c may be part of a name or number; bytes of
// non-ASCII characters count, as Python identifiers may hold them.
func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

func hasPrefixAt(s string, i int, prefix string) bool {
	return i <= len(s) && len(s)-i >= len(prefix) && s[i:i+len(prefix)] == prefix
}

// LineScanner follows Python source fed one physical line at a time and
// says whether the next line starts inside a string literal: what the
// cell splitter needs to tell a magic at column 0 from a line of a
// multi-line string. The zero value is ready, outside any string.
type LineScanner struct {
	quote string // the delimiter of the string still open, or ""
}

// InString reports whether the next line fed starts inside a string: a
// triple-quoted one, or a single-quoted one continued by a backslash.
func (s *LineScanner) InString() bool { return s.quote != "" }

// Feed reads one physical line, without its newline.
func (s *LineScanner) Feed(line string) {
	lx := lexer{src: line, quote: s.quote}
	s.quote = ""
	var last Token
	for lx.pos < len(line) || lx.quote != "" {
		last = lx.next()
	}
	if last.Kind != String || !last.Open || last.End != len(line) {
		return
	}
	if len(last.Quote) == 3 || endsInEscape(line[last.Start:]) {
		s.quote = last.Quote
	}
}

// endsInEscape reports whether s ends with an odd run of backslashes,
// which escapes the newline after it.
func endsInEscape(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}
