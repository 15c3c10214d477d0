package transport_test

import (
	"fmt"
	"testing"

	"github.com/iotkernel/iotkernel/transport/realboard"
)

// MicroPython 1.27 compiled to WebAssembly, run by Node.js behind
// scripts/wasm-board/bridge.mjs under an exec: link: MicroPython's own
// pyexec, raw-paste with flow control (the bridge drops bytes sent beyond
// the granted windows, as an overflowing UART would).

func TestWasm(t *testing.T) {
	url := realboard.Wasm(t)
	t.Run("Identity", func(t *testing.T) {
		b := openBoard(t, url)
		if out := mustRun(t, b, "import sys\nprint(sys.platform, sys.implementation.version[:2])"); out != "webassembly (1, 27)\n" {
			t.Errorf("board says %q, want %q", out, "webassembly (1, 27)\n")
		}
		if p := b.Protocol(); p != "raw-paste" {
			t.Errorf("Protocol() = %q, want %q", p, "raw-paste")
		}
	})
	t.Run("Print", func(t *testing.T) { checkPrint(t, openBoard(t, url)) })
	t.Run("Error", func(t *testing.T) { checkError(t, openBoard(t, url)) })
	t.Run("SoftReset", func(t *testing.T) { checkSoftReset(t, openBoard(t, url)) })
	t.Run("Cell20K", func(t *testing.T) {
		b := openBoard(t, url)
		code, sum := bigCell(20 * 1024)
		if out := mustRun(t, b, code); out != fmt.Sprintf("%d\n", sum) {
			t.Errorf("20 KB cell printed %q, want %d", out, sum)
		}
		// Twice: the flow-control state must not leak between cells.
		if out := mustRun(t, b, code); out != fmt.Sprintf("%d\n", sum) {
			t.Errorf("20 KB cell, second run, printed %q, want %d", out, sum)
		}
	})
	t.Run("Output64K", func(t *testing.T) {
		b := openBoard(t, url)
		out := mustRun(t, b, "for i in range(1024):\n    print('%04d' % i + 'x' * 59)\n")
		if len(out) != 1024*64 {
			t.Errorf("64 KB of output: got %d bytes, want %d", len(out), 1024*64)
		}
	})
}
