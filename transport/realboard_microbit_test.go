package transport_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/transport"
)

// The BBC micro:bit firmware (MicroPython 1.9.2, 16 KB of RAM) on QEMU's
// emulated nRF51: a real UART and pyexec.c, raw REPL without raw-paste.

// qemuMicrobit starts QEMU with the micro:bit firmware, its UART given to
// QEMU as serial (e.g. "pty" or "tcp:..."), and stops it at cleanup. It
// returns once ready reports true for a line of QEMU's console output, or
// once up is closed (QEMU prints nothing when it serves the UART on TCP).
func qemuMicrobit(t *testing.T, serial string, ready func(line string) bool, up <-chan struct{}) {
	t.Helper()
	firmware := boardFile(t, "IOTKERNEL_MICROBIT_FIRMWARE",
		"/usr/share/firmware-microbit-micropython/firmware.hex", "micro:bit firmware")
	qemu := boardCommand(t, "IOTKERNEL_QEMU_ARM", "qemu-system-arm")
	cmd := exec.Command(qemu, "-M", "microbit",
		"-device", "loader,file="+firmware,
		"-nographic", "-monitor", "none", "-serial", serial)
	console, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		boardMissing(t, "start %s: %v", qemu, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(console)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var seen []string
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				boardMissing(t, "qemu exited before the board was ready: %q", seen)
			}
			seen = append(seen, line)
			if ready(line) {
				go func() {
					for range lines {
					}
				}()
				return
			}
		case <-up:
			go func() {
				for range lines {
				}
			}()
			return
		case <-timeout:
			boardMissing(t, "qemu did not get ready in 10 s; it printed %q", seen)
		}
	}
}

var ptyLine = regexp.MustCompile(`char device redirected to (/dev/pts/\d+)`)

// microbitPTY starts the emulated micro:bit with its UART on a pty and
// returns the pty's path, which opens like a USB serial port.
func microbitPTY(t *testing.T) string {
	t.Helper()
	var path string
	qemuMicrobit(t, "pty", func(line string) bool {
		if m := ptyLine.FindStringSubmatch(line); m != nil {
			path = m[1]
			return true
		}
		return false
	}, nil)
	return path
}

// microbitSocket starts the emulated micro:bit with its UART as a TCP
// server on 127.0.0.1 and returns its socket:// URL.
func microbitSocket(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	up := make(chan struct{})
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		// QEMU prints nothing when its TCP server is up: poll the port.
		for {
			select {
			case <-stop:
				return
			default:
			}
			if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
				c.Close()
				close(up)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	_, port, _ := net.SplitHostPort(addr)
	qemuMicrobit(t, fmt.Sprintf("tcp:127.0.0.1:%s,server=on,wait=off", port), func(string) bool { return false }, up)
	return "socket://" + addr
}

func TestMicrobitPTY(t *testing.T) {
	testMicrobit(t, func(t *testing.T) string { return microbitPTY(t) })
}

func TestMicrobitSerialURL(t *testing.T) {
	b := openBoard(t, "serial://"+microbitPTY(t))
	if out := mustRun(t, b, "import sys\nprint(sys.platform)"); out != "microbit\n" {
		t.Errorf("sys.platform on serial:// URL: %q, want %q", out, "microbit\n")
	}
}

func TestMicrobitSocket(t *testing.T) {
	testMicrobit(t, microbitSocket)
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
