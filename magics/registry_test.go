package magics

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestLsmagicListsEveryMagic(t *testing.T) {
	r := NewRegistry(Options{})
	env := newFakeEnv(t)
	out := mustRun(t, r, env, "lsmagic")
	for _, m := range r.magics {
		if m.Summary == "" {
			t.Errorf("%%%s has no summary", m.Name)
		}
		if !strings.Contains(out, synopsis(m)+" ") || !strings.Contains(out, m.Summary) {
			t.Errorf("%%lsmagic lacks %q with %q:\n%s", synopsis(m), m.Summary, out)
		}
	}
	for _, want := range []string{"%connect", "%%bash", "%%host", "%%writefile [-a] PATH", "%store", "%cp [-r] SRC... DST", "%synctime"} {
		if !strings.Contains(out, want) {
			t.Errorf("%%lsmagic lacks %q:\n%s", want, out)
		}
	}
}

func TestHelpFromUsage(t *testing.T) {
	r := NewRegistry(Options{})
	for _, name := range r.Names() {
		env := newFakeEnv(t)
		line := name + " -h" // "%%bash -h" reaches the registry as "%bash -h"
		out := mustRun(t, r, env, line)
		if out != r.Usage(name) {
			t.Errorf("%%%s printed %q, want Usage %q", line, out, r.Usage(name))
		}
		m := r.magics[name]
		if !strings.HasPrefix(out, "usage: "+synopsis(m)+"\n") || !strings.Contains(out, m.Summary) {
			t.Errorf("usage of %s = %q, want synopsis and summary", name, out)
		}
	}
	u := r.Usage("connect")
	for _, want := range []string{"usage: %connect [-as] [-q] [-save] NAME|URL", "-q", "do not print what was connected", "boards.json"} {
		if !strings.Contains(u, want) {
			t.Errorf("Usage(connect) lacks %q:\n%s", want, u)
		}
	}
	if r.Usage("nosuch") != "" {
		t.Errorf("Usage(nosuch) = %q, want empty", r.Usage("nosuch"))
	}
}

func TestUnknownMagic(t *testing.T) {
	r := NewRegistry(Options{})
	tests := []struct {
		line, want string
	}{
		{"sofreset", "unknown magic %sofreset: did you mean %softreset?"},
		{"conect esp32", "did you mean %connect?"},
		{"xyzzyplugh", "unknown magic %xyzzyplugh: %lsmagic lists the magics"},
		{"", "no magic name"},
		{"connect 'esp32", "unterminated ' quote"},
		{"connect -x esp32", "%connect: flag provided but not defined: -x\nusage: %connect [-as] [-q] [-save] NAME|URL"},
		{"connect", "%connect: want one board name or URL"},
		{"bash", "%%bash is a cell magic"},
		{"%writefile :x.py", "%%writefile is a cell magic: put it alone on the first line of a cell"},
		{"lsmagic extra", "%lsmagic: takes no arguments"},
	}
	for _, tt := range tests {
		env := newFakeEnv(t)
		err := r.Run(context.Background(), tt.line, env)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("Run(%q) = %v, want a *UsageError", tt.line, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Run(%q) = %q, want it to contain %q", tt.line, err, tt.want)
		}
	}
}

func TestNames(t *testing.T) {
	names := NewRegistry(Options{}).Names()
	for _, want := range []string{"connect", "store", "lsmagic", "%bash", "%host", "%writefile"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("Names() = %q, lacks %q", names, want)
		}
	}
}

func TestNoBoard(t *testing.T) {
	r := NewRegistry(Options{})
	for _, line := range []string{"info", "softreset", "hardreset", "ls", "cat :x", "rm :x", "mkdir :x", "cp a :b", "synctime", "gettime", "store x"} {
		env := newFakeEnv(t)
		err := r.Run(context.Background(), line, env)
		if !errors.Is(err, ErrNoBoard) {
			t.Errorf("%%%s without a board = %v, want ErrNoBoard", line, err)
		}
	}
}

func TestCellMagics(t *testing.T) {
	r := NewRegistry(Options{})
	for name, want := range map[string]CellBody{"host": GoBody, "bash": DataBody, "writefile": DataBody} {
		if got, ok := LookupCell(name); !ok || got != want {
			t.Errorf("LookupCell(%q) = %v, %v; want %v", name, got, ok, want)
		}
		if m := r.magics["%"+name]; !m.Cell || m.Body != want || (want == DataBody) != (m.RunCell != nil) {
			t.Errorf("registry's %%%%%s = %+v, want a cell magic with body %v", name, m, want)
		}
	}
	for _, name := range []string{"connect", "hots", ""} {
		if _, ok := LookupCell(name); ok {
			t.Errorf("LookupCell(%q) found a cell magic", name)
		}
	}

	env := newFakeEnv(t)
	if err := r.RunCell(context.Background(), "bash", "echo from bash", env); err != nil {
		t.Fatal(err)
	}
	if got := env.stdout.String(); got != "from bash\n" {
		t.Errorf("%%%%bash printed %q", got)
	}
	err := r.RunCell(context.Background(), "bsah -x", "echo no", env)
	var ue *UsageError
	if !errors.As(err, &ue) || err.Error() != "unknown cell magic %%bsah: did you mean %%bash?" {
		t.Errorf("RunCell(bsah) = %v, want an unknown cell magic error suggesting %%%%bash", err)
	}
	if err := r.UnknownCell("zzzzzz 1"); err == nil || err.Error() != "unknown cell magic %%zzzzzz: %lsmagic lists the magics" {
		t.Errorf("UnknownCell(zzzzzz) = %v", err)
	}
	if err := r.RunCell(context.Background(), "host", "x := 1", env); err == nil {
		t.Error("RunCell ran %%host, whose body is the session's")
	}
}
