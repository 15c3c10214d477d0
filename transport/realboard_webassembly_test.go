package transport_test

import (
	"testing"

	"github.com/iotkernel/iotkernel/transport/realboard"
)

// MicroPython 1.27 compiled to WebAssembly, run by Node.js behind
// scripts/wasm-board/bridge.mjs under an exec: link: MicroPython's own
// pyexec, raw-paste with flow control (the bridge drops bytes sent beyond
// the granted windows, as an overflowing UART would).

func TestWasm(t *testing.T) {
	url := realboard.Wasm(t)
	// The 20 KB cell runs twice: the flow-control state must not leak
	// between cells.
	checkRawPasteBoard(t, url, "webassembly (1, 27)\n", 2)
	t.Run("Output64K", func(t *testing.T) {
		b := openBoard(t, url)
		out := mustRun(t, b, "for i in range(1024):\n    print('%04d' % i + 'x' * 59)\n")
		if len(out) != 1024*64 {
			t.Errorf("64 KB of output: got %d bytes, want %d", len(out), 1024*64)
		}
	})
}
