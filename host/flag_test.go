package host

import (
	"errors"
	"flag"
	"strings"
	"testing"
)

// Cells' flag package parses the cells' os.Args on a command line of the
// interpreter's, never the kernel's.
func TestFlagInCells(t *testing.T) {
	in := newInterp(t)
	// No arguments but the program's name, whatever the kernel's are.
	wantValue(t, in, "len(flag.Args())", "0")
	mustEval(t, in, `n := flag.Int("n", 1, "how many readings")`)
	wantValue(t, in, "os.Args = []string{\"prog\", \"-n\", \"3\", \"rest\"}\nflag.Parse()\nfmt.Sprint(*n, flag.Args(), flag.Parsed(), flag.CommandLine.Lookup(\"n\").Value)", "3 [rest] true 3")
	if flag.Lookup("n") != nil {
		t.Errorf("the cell's flag -n is defined on the process's command line")
	}
	// A bad flag ends the cell as os.Exit(2) would, after the error and
	// the usage; -h as os.Exit(0).
	for _, c := range []struct {
		args string
		code int
		want string
	}{
		{`"-bogus"`, 2, "flag provided but not defined: -bogus\nUsage of iotkernel:\n  -n int\n    \thow many readings (default 1)\n"},
		{`"-h"`, 0, "Usage of iotkernel:\n"},
	} {
		_, rec, err := eval(t, in, "os.Args = []string{\"prog\", "+c.args+"}\nflag.Parse()\nfmt.Println(\"not reached\")")
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != c.code || ee.Func != "flag.Parse" {
			t.Errorf("flag.Parse of %s: err %#v, want ExitError %d from flag.Parse", c.args, err, c.code)
		}
		if got := rec.stderr.String(); !strings.HasPrefix(got, c.want) || rec.stdout.String() != "" {
			t.Errorf("flag.Parse of %s: stderr %q, stdout %q; want stderr starting %q", c.args, got, rec.stdout.String(), c.want)
		}
	}
	// flag.Usage is the cells'.
	_, rec, _ := eval(t, in, "flag.Usage = func() { fmt.Fprintln(os.Stderr, \"usage: prog [-n N]\") }\nos.Args = []string{\"prog\", \"-x\"}\nflag.Parse()")
	if got := rec.stderr.String(); got != "flag provided but not defined: -x\nusage: prog [-n N]\n" {
		t.Errorf("with a cell's flag.Usage: stderr %q", got)
	}
	// A FlagSet made to exit on error ends the cell with a panic, not the
	// kernel.
	_, rec, err := eval(t, in, "fs := flag.NewFlagSet(\"tool\", flag.ExitOnError)\nfs.Parse([]string{\"-bad\"})")
	var pe *PanicError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "flag provided but not defined: -bad") {
		t.Errorf("a FlagSet with ExitOnError given a bad flag: err %v, want a panic naming the flag", err)
	}
	if !strings.Contains(rec.stderr.String(), "Usage of tool:") {
		t.Errorf("the FlagSet's usage went elsewhere than the cell: stderr %q", rec.stderr.String())
	}
	// A fresh interpreter has a fresh command line: the cell runs again.
	other := newInterp(t)
	mustEval(t, other, `n := flag.Int("n", 1, "how many readings")`)
	if _, _, err := eval(t, in, `m := flag.Int("n", 1, "again")`); err == nil || !strings.Contains(err.Error(), "flag redefined: n") {
		t.Errorf("defining -n twice in one interpreter: %v, want Go's panic", err)
	}
}
