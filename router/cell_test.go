package router

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name string
		code string
		want Cell
	}{
		{"board code", "x = 1\nprint(x)", Cell{Kind: BoardCell, Body: "x = 1\nprint(x)", BodyLine: 1,
			Segments: []Segment{{Code, "x = 1\nprint(x)", 1}}}},
		{"host cell", "%%host\nx := 1\n", Cell{Kind: HostCell, Magic: "host", Body: "x := 1\n", BodyLine: 2,
			Segments: []Segment{{Code, "x := 1", 2}}}},
		{"host cell magic with trailing space", "%%host  \nx := 1", Cell{Kind: HostCell, Magic: "host", Body: "x := 1", BodyLine: 2,
			Segments: []Segment{{Code, "x := 1", 2}}}},
		{"magics between code", "import network\nip = '1'\n%store ip\n!echo hi\nprint(ip)",
			Cell{Kind: BoardCell, Body: "import network\nip = '1'\n%store ip\n!echo hi\nprint(ip)", BodyLine: 1,
				Segments: []Segment{{Code, "import network\nip = '1'", 1}, {LineMagic, "store ip", 3}, {Shell, "echo hi", 4}, {Code, "print(ip)", 5}}}},
		{"magic first in host cell", "%%host\n%store -r ip\nfmt.Println(ip)",
			Cell{Kind: HostCell, Magic: "host", Body: "%store -r ip\nfmt.Println(ip)", BodyLine: 2,
				Segments: []Segment{{LineMagic, "store -r ip", 2}, {Code, "fmt.Println(ip)", 3}}}},
		{"indented percent is code", "x = 10\n  %y", Cell{Kind: BoardCell, Body: "x = 10\n  %y", BodyLine: 1,
			Segments: []Segment{{Code, "x = 10\n  %y", 1}}}},
		{"percent inside triple quotes is code", "s = \"\"\"\n%not a magic\n\"\"\"\n%lsmagic",
			Cell{Kind: BoardCell, Body: "s = \"\"\"\n%not a magic\n\"\"\"\n%lsmagic", BodyLine: 1,
				Segments: []Segment{{Code, "s = \"\"\"\n%not a magic\n\"\"\"", 1}, {LineMagic, "lsmagic", 4}}}},
		{"percent inside Go raw string is code", "%%host\ns := `\n%v\n`\n%store s",
			Cell{Kind: HostCell, Magic: "host", Body: "s := `\n%v\n`\n%store s", BodyLine: 2,
				Segments: []Segment{{Code, "s := `\n%v\n`", 2}, {LineMagic, "store s", 5}}}},
		{"bash body is data", "%%bash\n%notmagic\n!x", Cell{Kind: MagicCell, Magic: "bash", Body: "%notmagic\n!x", BodyLine: 2}},
		{"writefile", "%%writefile -a :main.py\nprint(1)", Cell{Kind: MagicCell, Magic: "writefile -a :main.py", Body: "print(1)", BodyLine: 2}},
		{"only a magic", "%lsmagic", Cell{Kind: BoardCell, Body: "%lsmagic", BodyLine: 1, Segments: []Segment{{LineMagic, "lsmagic", 1}}}},
		{"blank cell", "  \n", Cell{Kind: BoardCell, Body: "  \n", BodyLine: 1}},
		{"unknown cell magic", "%%hots\nx", Cell{Kind: -1, Magic: "hots", Body: "%%hots\nx", BodyLine: 1}},
		{"timed board cell", "%%time\nx = 1\n%store x", Cell{Kind: BoardCell, Body: "x = 1\n%store x", BodyLine: 2, Timed: true,
			Segments: []Segment{{Code, "x = 1", 2}, {LineMagic, "store x", 3}}}},
		{"timed host cell", "%%time\n%%host\nx := 1", Cell{Kind: HostCell, Magic: "host", Body: "x := 1", BodyLine: 3, Timed: true,
			Segments: []Segment{{Code, "x := 1", 3}}}},
		{"timed plot cell", "%%time \n%%plot --window 5\nprint(1)", Cell{Kind: BoardCell, Magic: "plot --window 5", Body: "print(1)", BodyLine: 3, Timed: true,
			Segments: []Segment{{Code, "print(1)", 3}}}},
		{"timed bash cell", "%%time\n%%bash\n%x", Cell{Kind: MagicCell, Magic: "bash", Body: "%x", BodyLine: 3, Timed: true}},
		{"time with arguments", "%%time -v\nx", Cell{Kind: MagicCell, Magic: "time -v", Body: "x", BodyLine: 2}},
		// CPython reads \" as an escaped quote: the string stays open
		// and "%ls" is its second line, not a magic.
		{"escaped quote keeps a triple-quoted string open", "s = \"\"\"a\\\"\"\"\n%ls\n\"\"\"",
			Cell{Kind: BoardCell, Body: "s = \"\"\"a\\\"\"\"\n%ls\n\"\"\"", BodyLine: 1,
				Segments: []Segment{{Code, "s = \"\"\"a\\\"\"\"\n%ls\n\"\"\"", 1}}}},
		{"prefixed triple-quoted string", "s = rb'''\n!x\n'''\n!echo", Cell{Kind: BoardCell, Body: "s = rb'''\n!x\n'''\n!echo", BodyLine: 1,
			Segments: []Segment{{Code, "s = rb'''\n!x\n'''", 1}, {Shell, "echo", 4}}}},
		{"single-quoted string continued by a backslash", "s = 'a\\\n%b'\n%ls", Cell{Kind: BoardCell, Body: "s = 'a\\\n%b'\n%ls", BodyLine: 1,
			Segments: []Segment{{Code, "s = 'a\\\n%b'", 1}, {LineMagic, "ls", 3}}}},
		{"Go block comment", "%%host\n/*\n%v\n*/ x := 1\n%store x", Cell{Kind: HostCell, Magic: "host", Body: "/*\n%v\n*/ x := 1\n%store x", BodyLine: 2,
			Segments: []Segment{{Code, "/*\n%v\n*/ x := 1", 2}, {LineMagic, "store x", 5}}}},
		{"Go raw string closed and reopened", "%%host\na := `x\n` + `\n%v\n`\n%store a", Cell{Kind: HostCell, Magic: "host", Body: "a := `x\n` + `\n%v\n`\n%store a", BodyLine: 2,
			Segments: []Segment{{Code, "a := `x\n` + `\n%v\n`", 2}, {LineMagic, "store a", 6}}}},
		{"Go string with a backquote", "%%host\ns := \"`\"\n%store s", Cell{Kind: HostCell, Magic: "host", Body: "s := \"`\"\n%store s", BodyLine: 2,
			Segments: []Segment{{Code, "s := \"`\"", 2}, {LineMagic, "store s", 3}}}},
		{"hash comment with quotes", "x = 1 # it's \"\"\" fine\n%lsmagic", Cell{Kind: BoardCell, Body: "x = 1 # it's \"\"\" fine\n%lsmagic", BodyLine: 1,
			Segments: []Segment{{Code, "x = 1 # it's \"\"\" fine", 1}, {LineMagic, "lsmagic", 2}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Parse(c.code)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", c.code, diff)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"%%host\nx", "a\n%b\n!c", "s='''\n%x\n'''", "%%bash\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		c := Parse(code)
		for _, seg := range c.Segments {
			if seg.Line < c.BodyLine {
				t.Fatalf("segment line %d before body line %d", seg.Line, c.BodyLine)
			}
		}
	})
}

func TestIsCompleteKeepsTrailingLines(t *testing.T) {
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tests := []struct{ code, want string }{
		{"for i in range(3):\n    print(i)\n\n", "complete"},
		{"for i in range(3):\n    print(i)\n", "incomplete"},
		{"for i in range(3):", "incomplete"},
		{"x = 1\n%store x", "complete"},
		{"%store -r x\nfor i in x:", "incomplete"},
		{"%%host\nfunc f() {", "incomplete"},
		{"%%host\nx := 1\n%store x", "incomplete"},
		{"%%host\nx := 1\n%store x\n", "complete"},
		{"%%host", "incomplete"},
		{"%%host  ", "incomplete"},
		{"%%host\nx := 6*7\nx", "incomplete"},
		{"%%host\nx := 6*7\nx\n", "complete"},
		{"%%host\nx := 6*7\nx\n  ", "complete"},
		{"%%host\nfunc f() {\n", "incomplete"},
		{"%%host\nfunc f() {\n}\n", "complete"},
		{"%%bash", "incomplete"},
		{"%%plot", "incomplete"},
		{"%%plot\nprint(1)", "incomplete"},
		{"%%plot\nprint(1)\n", "complete"},
		{"%%plot\nfor i in x:\n", "incomplete"},
		{"%%time", "incomplete"},
		{"%%time\nx = 1", "incomplete"},
		{"%%time\nx = 1\n", "complete"},
		{"%%time\n%%host", "incomplete"},
		{"%%time\n%%host\nfunc f() {\n", "incomplete"},
		{"%%time\n%%host\nx := 1\n", "complete"},
		{"%%bash\necho hi", "incomplete"},
		{"%%bash\necho hi\n", "complete"},
		{"%%writefile x.py\nprint(1)\n\n", "complete"},
		{"%%hots\nx", "invalid"},
	}
	for _, tt := range tests {
		if got, _ := s.IsComplete(tt.code); got != tt.want {
			t.Errorf("IsComplete(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
}
