package pysource

import "strings"

// Str returns s as a single-quoted Python str literal made of printable
// ASCII only, so that it survives the raw REPL (where control bytes act)
// and every MicroPython version's parser.
func Str(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	WriteStr(&b, s, true)
	return b.String()
}

// Bytes returns p as a single-quoted Python bytes literal of printable
// ASCII only.
func Bytes(p []byte) string {
	var b strings.Builder
	b.Grow(len(p) + 3)
	b.WriteString("b'")
	for _, c := range p {
		EscapeByte(&b, c)
	}
	b.WriteByte('\'')
	return b.String()
}

// WriteStr writes s as a single-quoted Python str literal. With asciiOnly
// every non-ASCII character is escaped (source for a board); without, the
// printable ones are written as they are (a repr for people to read).
func WriteStr(b *strings.Builder, s string, asciiOnly bool) {
	b.WriteByte('\'')
	for _, r := range s {
		EscapeRune(b, r, asciiOnly)
	}
	b.WriteByte('\'')
}

// EscapeRune writes r as it appears inside a single-quoted str literal;
// see WriteStr for asciiOnly.
func EscapeRune(b *strings.Builder, r rune, asciiOnly bool) {
	switch {
	case r < 0x80:
		EscapeByte(b, byte(r))
	case !asciiOnly && isPrintable(r):
		b.WriteRune(r)
	case r <= 0xffff:
		// Never \xe9 for U+00E9: some MicroPython versions turn it into
		// the raw byte 0xe9, which is not UTF-8.
		b.WriteString(`\u`)
		writeHex(b, uint64(r), 4)
	default:
		b.WriteString(`\U`)
		writeHex(b, uint64(r), 8)
	}
}

// EscapeByte writes c as it appears inside a single-quoted bytes literal,
// or inside a str literal when c < 0x80.
func EscapeByte(b *strings.Builder, c byte) {
	switch {
	case c == '\\' || c == '\'':
		b.WriteByte('\\')
		b.WriteByte(c)
	case c == '\n':
		b.WriteString(`\n`)
	case c == '\r':
		b.WriteString(`\r`)
	case c == '\t':
		b.WriteString(`\t`)
	case c >= 0x20 && c < 0x7f:
		b.WriteByte(c)
	default:
		b.WriteString(`\x`)
		writeHex(b, uint64(c), 2)
	}
}

func writeHex(b *strings.Builder, n uint64, digits int) {
	const hexDigits = "0123456789abcdef"
	for i := digits - 1; i >= 0; i-- {
		b.WriteByte(hexDigits[(n>>(4*uint(i)))&0xf])
	}
}

// isPrintable approximates Python's str.isprintable for non-ASCII runes,
// for display only.
func isPrintable(r rune) bool {
	return r >= 0xa0 && r != 0xad && !(r >= 0xd800 && r < 0xe000) &&
		!(r >= 0x2028 && r <= 0x202f) && r != 0xfeff && r < 0xe0000
}
