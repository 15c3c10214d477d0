package magics

import (
	"strings"
	"testing"

	"github.com/iotkernel/iotkernel/transport"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

// TestProjectMicrobit runs the project magics on the BBC micro:bit's
// firmware (on QEMU): about 9 KB of heap and a flat filesystem without
// directories. %rsync puts a folder's files at its top level, %tree and
// %sha256 read it, and %mount, which its firmware cannot do, says so.
func TestProjectMicrobit(t *testing.T) {
	// Plain raw uploads paced at half the UART's rate, as the router's
	// transcript does: the emulated UART has a 64-byte buffer.
	b, err := transport.Open(t.Context(), realboard.MicrobitSocket(t)+"?baud=57600", transport.Options{})
	if err != nil {
		t.Fatalf("open the micro:bit: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	env := newFakeEnv(t)
	env.board = b
	r := NewRegistry(Options{})
	writeTree(t, env.dir, map[string]string{"p/a.py": "A = 1\n", "p/b.py": "B = 2\n"})
	out := mustRun(t, r, env, "rsync p :")
	if !strings.Contains(out, "copied 2 file(s), 12 bytes; deleted 0; 0 unchanged") {
		t.Errorf("%%rsync to the micro:bit printed:\n%s", out)
	}
	out = mustRun(t, r, env, "rsync p :")
	if !strings.Contains(out, "copied 0 file(s), 0 bytes; deleted 0; 2 unchanged") {
		t.Errorf("a second %%rsync printed:\n%s", out)
	}
	if out := mustRun(t, r, env, "sha256 :a.py"); out != "06edbcf4336165a271e6524025a6439c3caa3246fd0796f116772279707a5325  :a.py\n" {
		t.Errorf("%%sha256 :a.py printed %q", out)
	}
	if _, err := runMagic(t, r, env, "mount p"); err == nil || !strings.Contains(err.Error(), "cannot mount filesystems") {
		t.Errorf("%%mount on the micro:bit = %v, want that its firmware cannot mount", err)
	}
	if b.Serving() {
		t.Error("a failed mount left the link serving")
	}
}
