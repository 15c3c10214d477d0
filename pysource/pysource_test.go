package pysource

import "testing"

func TestIsComplete(t *testing.T) {
	cases := []struct{ code, status, indent string }{
		{"", "complete", ""},
		{"  \n", "complete", ""},
		{"x = 1", "complete", ""},
		{"print('a')", "complete", ""},
		{"for i in range(3):", "incomplete", "    "},
		{"if x:  # comment", "incomplete", "    "},
		{"def f():\n    return 1", "incomplete", "    "},
		{"def f():\n    return 1\n\n", "complete", ""},
		{"def f():\n    return 1\n\r\n", "complete", ""},
		{"def f():\n    if x:", "incomplete", "        "},
		{"f(1,", "incomplete", ""},
		{"    f(1,", "incomplete", "    "},
		{"x = [\n  1,\n  2]", "complete", ""},
		{"x = {'a': 1}", "complete", ""},
		{"x = 1 + \\", "incomplete", ""},
		{"x = 1 + \\\n", "incomplete", ""},
		{"s = '''abc", "incomplete", ""},
		{"s = '''abc\n'''", "complete", ""},
		{`s = """a\"""`, "incomplete", ""},
		{"s = 'abc", "invalid", ""},
		{"x = )", "invalid", ""},
		{"x = (]", "invalid", ""},
		{"d = {'k': 1,\n", "incomplete", ""},
		{"lambda: 1", "complete", ""},
		{"x = '#' # ]", "complete", ""},
		{"class A:", "incomplete", "    "},
		{"\tif x:", "incomplete", "            "},
		{"x = rb'\\'' + ')'", "complete", ""},
	}
	for _, c := range cases {
		status, indent := IsComplete(c.code)
		if status != c.status || indent != c.indent {
			t.Errorf("IsComplete(%q) = %q, %q; want %q, %q", c.code, status, indent, c.status, c.indent)
		}
	}
}

func TestSplitLastExpression(t *testing.T) {
	cases := []struct {
		code, body, expr string
		ok               bool
	}{
		{"x + 1", "", "x + 1", true},
		{"x = 1\nx + 1", "x = 1\n", "x + 1", true},
		{"x = 1\nx  # the value", "x = 1\n", "x", true},
		{"x = 1; x", "x = 1", "x", true},
		{"a = ';'; a", "a = ';'", "a", true},
		{"x;", "", "", false},
		{"x = 1", "", "", false},
		{"x += 1", "", "", false},
		{"x: int = 1", "", "", false},
		{"x == 1", "", "x == 1", true},
		{"x != 1", "", "x != 1", true},
		{"f(a=1)", "", "f(a=1)", true},
		{"[y := 1]", "", "[y := 1]", true},
		{"lambda: 1", "", "lambda: 1", true},
		{"import os", "", "", false},
		{"for i in x:\n    i", "", "", false},
		{"@dec", "", "", false},
		{"f(1,", "", "", false},
		{"s = '''", "", "", false},
		{"", "", "", false},
		{"# only a comment", "", "", false},
		{"'#' + s # c", "", "'#' + s", true},
		{"x = [\n  1,\n]\nx[0]", "x = [\n  1,\n]\n", "x[0]", true},
		{"s = 'a;b'; len(s)", "s = 'a;b'", "len(s)", true},
		{"b'x' # bytes", "", "b'x'", true},
		{"x = 1;  # c", "", "", false},
	}
	for _, c := range cases {
		body, expr, ok := SplitLastExpression(c.code)
		if body != c.body || expr != c.expr || ok != c.ok {
			t.Errorf("SplitLastExpression(%q) = %q, %q, %v; want %q, %q, %v", c.code, body, expr, ok, c.body, c.expr, c.ok)
		}
	}
}

func FuzzIsComplete(f *testing.F) {
	for _, s := range []string{"for i in x:\n    i\n\n", "f(1,\n", "s = '''\n", "x = 1; x", "'#' # c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		status, _ := IsComplete(code)
		switch status {
		case "complete", "incomplete", "invalid":
		default:
			t.Fatalf("IsComplete(%q) = %q", code, status)
		}
		if body, expr, ok := SplitLastExpression(code); ok && len(body)+len(expr) > len(code) {
			t.Fatalf("SplitLastExpression(%q) = %q, %q: longer than the code", code, body, expr)
		}
	})
}
