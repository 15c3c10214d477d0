package transport_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/transport"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

// The BBC micro:bit firmware (MicroPython 1.9.2, 16 KB of RAM) on QEMU's
// emulated nRF51: a real UART and pyexec.c, raw REPL without raw-paste.

func TestMicrobitPTY(t *testing.T) {
	testMicrobit(t, func(t *testing.T) string { return realboard.MicrobitPTY(t) })
}

func TestMicrobitSerialURL(t *testing.T) {
	b := openBoard(t, "serial://"+realboard.MicrobitPTY(t))
	if out := mustRun(t, b, "import sys\nprint(sys.platform)"); out != "microbit\n" {
		t.Errorf("sys.platform on serial:// URL: %q, want %q", out, "microbit\n")
	}
}

func TestMicrobitSocket(t *testing.T) {
	testMicrobit(t, func(t *testing.T) string { return realboard.MicrobitSocket(t) })
}

func testMicrobit(t *testing.T, start func(t *testing.T) string) {
	open := func(t *testing.T) *transport.Board {
		return openBoard(t, start(t))
	}
	t.Run("Identity", func(t *testing.T) {
		b := open(t)
		if out := mustRun(t, b, "import sys\nprint(sys.platform, sys.implementation.version)"); out != "microbit (1, 9, 2)\n" {
			t.Errorf("board says %q, want %q", out, "microbit (1, 9, 2)\n")
		}
		// It has no raw-paste: the transport must have fallen back.
		if p := b.Protocol(); p != "raw" {
			t.Errorf("Protocol() = %q, want %q (the firmware has no raw-paste)", p, "raw")
		}
	})
	t.Run("Print", func(t *testing.T) { checkPrint(t, open(t)) })
	t.Run("Error", func(t *testing.T) { checkError(t, open(t)) })
	t.Run("PrintedEOT", func(t *testing.T) { checkPrintedEOT(t, open(t)) })
	t.Run("Interrupt", func(t *testing.T) {
		checkInterrupt(t, open(t), "n = 0", "while True:\n    n += 1\n", "print(n > 0)", "True\n")
	})
	t.Run("SoftReset", func(t *testing.T) { checkSoftReset(t, open(t)) })
	t.Run("Cell1700", func(t *testing.T) {
		b := open(t)
		code, sum := microbitCell(1700)
		if out := mustRun(t, b, code); out != fmt.Sprintf("%d\n", sum) {
			t.Errorf("1.7 KB cell printed %q, want %d", out, sum)
		}
	})
	t.Run("Cell3000MemoryError", func(t *testing.T) {
		b := open(t)
		code, _ := microbitCell(3000)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, _, err := runCtx(ctx, b, code)
		ee := wantExecError(t, "3 KB cell on a 16 KB board", err, "MemoryError")
		if ee.Hint == "" {
			t.Errorf("MemoryError of a big cell has no hint for the user")
		}
		if out := mustRun(t, b, "print('alive')"); out != "alive\n" {
			t.Errorf("cell after the MemoryError: %q", out)
		}
	})
}

// microbitCell is a cell of about size bytes shaped like user code: a
// function of many small statements, called once.
func microbitCell(size int) (string, int) {
	var b strings.Builder
	b.WriteString("def f():\n    t = 0\n")
	sum := 0
	tail := "    return t\nprint(f())\n"
	for i := 0; b.Len() < size-len(tail)-16; i++ {
		fmt.Fprintf(&b, "    t += %d\n", i%10)
		sum += i % 10
	}
	b.WriteString(tail)
	return b.String(), sum
}
