package magics

import (
	"flag"
	"slices"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"   ", nil, false},
		{"connect esp32", []string{"connect", "esp32"}, false},
		{"  cp  -r\ta   b ", []string{"cp", "-r", "a", "b"}, false},
		{`cd 'my dir'`, []string{"cd", "my dir"}, false},
		{`cd "my dir"`, []string{"cd", "my dir"}, false},
		{`cd my\ dir`, []string{"cd", "my dir"}, false},
		{`x "a\"b" 'c\d'`, []string{"x", `a"b`, `c\d`}, false},
		{`x "a\nb"`, []string{"x", `a\nb`}, false},
		{`x a"b c"d`, []string{"x", "ab cd"}, false},
		{`x ''`, []string{"x", ""}, false},
		{`x "" y`, []string{"x", "", "y"}, false},
		{`cp :ünï.py :`, []string{"cp", ":ünï.py", ":"}, false},
		{`x 'open`, nil, true},
		{`x "open`, nil, true},
		{`x "a\"`, nil, true},
	}
	for _, tt := range tests {
		got, err := SplitArgs(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("SplitArgs(%q) error = %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("SplitArgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		args []string
		q    bool
		rest []string
	}{
		{[]string{"esp32"}, false, []string{"esp32"}},
		{[]string{"esp32", "-q"}, true, []string{"esp32"}},
		{[]string{"-q", "esp32"}, true, []string{"esp32"}},
		{[]string{"a", "-q", "b"}, true, []string{"a", "b"}},
		{[]string{"--", "-q", "b"}, false, []string{"-q", "b"}},
		{[]string{"a", "--", "-q"}, false, []string{"a", "-q"}},
		{nil, false, nil},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		q := fs.Bool("q", false, "")
		rest, err := parseInterspersed(fs, tt.args)
		if err != nil {
			t.Errorf("parseInterspersed(%q): %v", tt.args, err)
			continue
		}
		if *q != tt.q || !slices.Equal(rest, tt.rest) {
			t.Errorf("parseInterspersed(%q) = q %v, %q; want q %v, %q", tt.args, *q, rest, tt.q, tt.rest)
		}
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"connect", "disconnect", "softreset", "hardreset", "store", "synctime", "gettime", "ls", "lsmagic", "cd", "cp", "rm", "cat"}
	tests := []struct {
		in   string
		want []string
	}{
		{"sofreset", []string{"softreset"}},
		{"softrest", []string{"softreset"}},
		{"conect", []string{"connect"}},
		{"stroe", []string{"store"}},
		{"lsmagc", []string{"lsmagic"}},
		{"cpp", []string{"cp", "cat", "cd"}},
		{"zzzzzzzzz", []string{}},
	}
	for _, tt := range tests {
		got := suggest(tt.in, names)
		if !slices.Equal(got, tt.want) {
			t.Errorf("suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"", "abc", 3},
		{"kitten", "sitting", 3},
		{"store", "stroe", 1},
		{"connect", "connect", 0},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
