package pysource

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// show renders tokens as "Kind:text" (strings with a trailing ! when
// open), one compact line for table tests.
func show(src string) string {
	var parts []string
	for t := range Tokens(src) {
		p := fmt.Sprintf("%s:%s", shortKind[t.Kind], src[t.Start:t.End])
		if t.Kind == String && t.Open {
			p += "!"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

var shortKind = map[Kind]string{Space: "sp", Newline: "nl", Continuation: "cont", Comment: "com",
	Name: "name", Number: "num", String: "str", Op: "op"}

func TestTokens(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"names and ops", "x = y1+2", "name:x sp:  op:= sp:  name:y1 op:+ num:2"},
		{"double and single quotes", `"a" 'b'`, `str:"a" sp:  str:'b'`},
		{"other quote inside", `"it's" 'say "hi"'`, `str:"it's" sp:  str:'say "hi"'`},
		{"escaped quote", `"a\"b" x`, `str:"a\"b" sp:  name:x`},
		{"escaped backslash ends string", `"a\\" x`, `str:"a\\" sp:  name:x`},
		{"raw string still skips escaped quote", `r"\"" x`, `str:r"\"" sp:  name:x`},
		{"prefixes", `b'x' rb'x' BR'x' Rb"x" f'x' fr'x' rF'x' u'x' U"x" t'x' tr'x'`,
			`str:b'x' sp:  str:rb'x' sp:  str:BR'x' sp:  str:Rb"x" sp:  str:f'x' sp:  str:fr'x' sp:  str:rF'x' sp:  str:u'x' sp:  str:U"x" sp:  str:t'x' sp:  str:tr'x'`},
		{"not a prefix", `or"x" ub'x' bb'x'`, `name:or str:"x" sp:  name:ub str:'x' sp:  name:bb str:'x'`},
		{"triple quotes span lines", "s = '''a\nb''' + 1", "name:s sp:  op:= sp:  str:'''a\nb''' sp:  op:+ sp:  num:1"},
		{"triple double with inner quotes", `"""say "hi" ""x"""`, `str:"""say "hi" ""x"""`},
		{"escaped quote in triple", `"""a\""""`, `str:"""a\""""`},
		{"open triple to the end", "'''a\nb", "str:'''a\nb!"},
		{"open single ends at newline", "'ab\nc", "str:'ab! nl:\n name:c"},
		{"backslash newline continues a single-quoted string", "'a\\\nb'", "str:'a\\\nb'"},
		{"empty strings", `'' "" '''''' """"""`, `str:'' sp:  str:"" sp:  str:'''''' sp:  str:""""""`},
		{"comment", "x # it's \"\"\" ok\ny", "name:x sp:  com:# it's \"\"\" ok nl:\n name:y"},
		{"hash in string is not a comment", "'#' # c", "str:'#' sp:  com:# c"},
		{"continuation", "x = \\\n  1", "name:x sp:  op:= sp:  cont:\\\n sp:   num:1"},
		{"crlf continuation", "x \\\r\n1", "name:x sp:  cont:\\\r\n num:1"},
		{"stray backslash", "a \\ b", "name:a sp:  op:\\ sp:  name:b"},
		{"brackets", "f([1])", "name:f op:( op:[ num:1 op:] op:)"},
		{"non-ASCII name", "café = 1", "name:café sp:  op:= sp:  num:1"},
		{"numbers", "0x1F 1e5 1_000", "num:0x1F sp:  num:1e5 sp:  num:1_000"},
		{"percent line", "%ls -l", "op:% name:ls sp:  op:- name:l"},
		{"backslash at the very end of a string", `'a\`, `str:'a\!`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := show(c.src); got != c.want {
				t.Errorf("Tokens(%q)\n got %s\nwant %s", c.src, got, c.want)
			}
		})
	}
}

func TestTokensQuote(t *testing.T) {
	for src, want := range map[string]string{`'a'`: `'`, `"a"`: `"`, `'''a'''`: `'''`, `rb"""a"""`: `"""`} {
		for tok := range Tokens(src) {
			if tok.Kind != String || tok.Quote != want {
				t.Errorf("Tokens(%q) = %+v, want a string quoted %s", src, tok, want)
			}
		}
	}
}

func TestLineScanner(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []bool // for each line: does it start inside a string?
	}{
		{"plain", "x = 1\n%ls\ny", []bool{false, false, false}},
		{"triple quotes", "s = '''\n%ls\n'''\n%ls", []bool{false, true, true, false}},
		{"escaped quote keeps the string open", "s = \"\"\"a\\\"\"\"\n%ls\n\"\"\"\n%ls", []bool{false, true, true, false}},
		{"closed on its line", "s = \"\"\"a\"\"\"\n%ls", []bool{false, false}},
		{"prefixed triple", "s = rb'''\n%x\n'''", []bool{false, true, true}},
		{"triple in a comment", "x = 1 # '''\n%ls", []bool{false, false}},
		{"single-quoted continued by backslash", "s = 'a\\\n%b'\n%ls", []bool{false, true, false}},
		{"double backslash does not continue", "s = 'a\\\\\n%ls", []bool{false, false}},
		{"unterminated single-quoted ends at the line", "s = 'a\n%ls", []bool{false, false}},
		{"empty line inside a triple", "'''\n\n%x\n'''\n%y", []bool{false, true, true, true, false}},
		{"two strings on a line", "a = '''x''' + '''\n%ls\n'''", []bool{false, true, true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s LineScanner
			var got []bool
			for _, line := range strings.Split(c.src, "\n") {
				got = append(got, s.InString())
				s.Feed(line)
			}
			if !cmp.Equal(got, c.want) {
				t.Errorf("lines of %q start in a string: %v, want %v", c.src, got, c.want)
			}
		})
	}
}

// FuzzTokens checks that tokens tile the source and that a line scanner
// fed line by line agrees with Tokens on the whole source about which
// lines start inside a string.
func FuzzTokens(f *testing.F) {
	for _, s := range []string{"s = '''\n%x\n'''", `"a\"b"`, "rb'x' # c\n", "'a\\\nb'", "x = \\\n1", "f(\"\"\"\n\"\"\")"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		pos := 0
		inString := map[int]bool{} // line starts strictly inside a string token
		for tok := range Tokens(src) {
			if tok.Start != pos || tok.End <= tok.Start || tok.End > len(src) {
				t.Fatalf("token %+v after offset %d in %q", tok, pos, src)
			}
			if tok.Kind == String {
				for i := tok.Start; i < tok.End; i++ {
					if src[i] == '\n' {
						inString[i+1] = true
					}
				}
			}
			pos = tok.End
		}
		if pos != len(src) {
			t.Fatalf("tokens end at %d of %d in %q", pos, len(src), src)
		}
		var s LineScanner
		off := 0
		for _, line := range strings.Split(src, "\n") {
			if s.InString() != inString[off] {
				t.Fatalf("line at offset %d of %q: LineScanner says in string %v, Tokens %v", off, src, s.InString(), inString[off])
			}
			s.Feed(line)
			off += len(line) + 1
		}
	})
}
