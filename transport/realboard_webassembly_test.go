package transport_test

import (
	"fmt"
	"path/filepath"
	"testing"
)

// MicroPython 1.27 compiled to WebAssembly, run by Node.js behind
// scripts/wasm-board/bridge.mjs under an exec: link: MicroPython's own
// pyexec, raw-paste with flow control (the bridge drops bytes sent beyond
// the granted windows, as an overflowing UART would).

func wasmURL(t *testing.T) string {
	t.Helper()
	bridge := boardFile(t, "IOTKERNEL_WASM_BRIDGE",
		filepath.Join(repoRoot(t), "scripts", "wasm-board", "bridge.mjs"), "WebAssembly board bridge")
	module := filepath.Join(filepath.Dir(bridge), "node_modules", "@micropython", "micropython-webassembly-pyscript", "package.json")
	boardFile(t, "IOTKERNEL_WASM_MODULE", module, "npm package @micropython/micropython-webassembly-pyscript")
	node := boardCommand(t, "IOTKERNEL_NODE", "node")
	return fmt.Sprintf("exec:%q %q", node, bridge)
}

func TestWasm(t *testing.T) {
	url := wasmURL(t)
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
