package magics

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/transport"
)

func TestInfo(t *testing.T) {
	b := newPyBoard(t)
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	b.run("x = 1\n")
	out := mustRun(t, r, env, "info")
	for _, want := range []string{
		"platform", "linux",
		"implementation", "cpython 3.",
		"unique id", "deadbeef0001",
		"CPU frequency", "240 MHz",
		"free memory", "120.6 KiB of 184.6 KiB",
		"free flash", "1.2 MiB of 2.0 MiB",
		"link", "exec:fakeboard",
		"protocol", "raw-paste",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("%%info lacks %q:\n%s", want, out)
		}
	}
	// The snippet leaves the board's namespace as it was.
	if got := b.run("print(sorted(n for n in globals() if not n.startswith('__')))\n"); got != "['x']\n" {
		t.Errorf("after %%info the board's globals are %s", got)
	}
}

func TestInfoBoardError(t *testing.T) {
	env := newFakeEnv(t)
	env.board = &stubBoard{url: "x"}
	err := NewRegistry(Options{}).Run(context.Background(), "info", env)
	var ee *transport.ExecError
	if !errors.As(err, &ee) || ee.Type != "NameError" {
		t.Errorf("%%info on a failing board = %v, want the board's ExecError unchanged", err)
	}
}

func TestResets(t *testing.T) {
	b := newPyBoard(t)
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	b.run("x = 1\n")
	out := mustRun(t, r, env, "softreset")
	for _, want := range []string{"soft reset", "MPY: soft reboot", "variables and imports on the board are gone"} {
		if !strings.Contains(out, want) {
			t.Errorf("%%softreset lacks %q:\n%s", want, out)
		}
	}
	if got := b.run("print('x' in globals())\n"); got != "False\n" {
		t.Errorf("x survived the soft reset: %s", got)
	}
	if out := mustRun(t, r, env, "softreset -q"); out != "" {
		t.Errorf("%%softreset -q printed %q", out)
	}
	out = mustRun(t, r, env, "hardreset")
	for _, want := range []string{"hard reset", "MicroPython v1.24.1", "variables and imports on the board are gone"} {
		if !strings.Contains(out, want) {
			t.Errorf("%%hardreset lacks %q:\n%s", want, out)
		}
	}
	if strings.Join(b.resets, " ") != "soft soft hard" {
		t.Errorf("resets = %v", b.resets)
	}
}

func TestSyncTime(t *testing.T) {
	b := newPyBoard(t, "epoch2000")
	env := newFakeEnv(t)
	env.board = b
	// The host clock is a year ahead of the board's.
	host := time.Now().Add(365 * 24 * time.Hour)
	r := NewRegistry(Options{Now: func() time.Time { return host }})
	out := mustRun(t, r, env, "gettime")
	if !strings.Contains(out, "behind: %synctime sets it") {
		t.Errorf("%%gettime before sync:\n%s", out)
	}
	if !strings.Contains(out, "counts from 2000-01-01, not 1970 (add 946684800 s for Unix time)") {
		t.Errorf("%%gettime does not mention the 2000 epoch:\n%s", out)
	}
	out = mustRun(t, r, env, "synctime")
	if !strings.Contains(out, "board: "+host.Format("2006-01-02 15:04")) || !strings.Contains(out, "the board's clock is right") {
		t.Errorf("%%synctime:\n%s", out)
	}
	// The RTC got Monday-based weekdays.
	got := b.run("import machine\nprint(machine.RTC().datetime()[3])\n")
	if want := (int(host.Weekday()) + 6) % 7; strings.TrimSpace(got) != string(rune('0'+want)) {
		t.Errorf("board weekday %s, want %d", got, want)
	}
}

func TestSyncTimeNoRTC(t *testing.T) {
	b := newPyBoard(t, "nortc")
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	_, err := runMagic(t, r, env, "synctime")
	if err == nil || !strings.Contains(err.Error(), "no real-time clock") {
		t.Errorf("%%synctime without RTC = %v", err)
	}
	out := mustRun(t, r, env, "gettime")
	if !strings.Contains(out, "the board's clock is right") || !strings.Contains(out, "no real-time clock") {
		t.Errorf("%%gettime without RTC:\n%s", out)
	}
}
