package boardprog_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/iotkernel/iotkernel/transport/boardprog"
	"github.com/iotkernel/iotkernel/transport/realboard"
)

const rawPrompt = "raw REPL; CTRL-B to exit\r\n>"

// board is the program running under a pty, seen as raw bytes.
type board struct {
	t    *testing.T
	pty  *os.File
	mu   sync.Mutex
	cond *sync.Cond
	buf  []byte
	done bool
}

func startBoard(t *testing.T) *board {
	t.Helper()
	mp := realboard.UnixPort(t)
	path, err := boardprog.WriteFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	argv := boardprog.Args(mp, path)
	cmd := exec.Command(argv[0], argv[1:]...)
	f, err := pty.Start(cmd)
	if err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	b := &board{t: t, pty: f}
	b.cond = sync.NewCond(&b.mu)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		chunk := make([]byte, 4096)
		for {
			n, err := f.Read(chunk)
			b.mu.Lock()
			b.buf = append(b.buf, chunk[:n]...)
			if err != nil {
				b.done = true
			}
			b.cond.Broadcast()
			b.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		f.Close()
		<-readDone
	})
	b.expect(">>> ", 10*time.Second)
	return b
}

func (b *board) send(s string) {
	b.t.Helper()
	if _, err := b.pty.Write([]byte(s)); err != nil {
		b.t.Fatalf("write to board: %v", err)
	}
}

// expect waits for marker and returns (and consumes) everything up to and
// including it.
func (b *board) expect(marker string, d time.Duration) string {
	b.t.Helper()
	got, err := b.await(marker, d)
	if err != nil {
		b.t.Fatal(err)
	}
	return got
}

func (b *board) await(marker string, d time.Duration) (string, error) {
	deadline := time.Now().Add(d)
	timer := time.AfterFunc(d, func() {
		b.mu.Lock()
		b.cond.Broadcast()
		b.mu.Unlock()
	})
	defer timer.Stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		if i := bytes.Index(b.buf, []byte(marker)); i >= 0 {
			got := string(b.buf[:i+len(marker)])
			b.buf = b.buf[i+len(marker):]
			return got, nil
		}
		if b.done || time.Now().After(deadline) {
			return "", fmt.Errorf("board did not send %q within %v; it sent %q", marker, d, b.buf)
		}
		b.cond.Wait()
	}
}

func (b *board) enterRaw() {
	b.t.Helper()
	b.send("\r\x03")
	b.send("\r\x01")
	b.expect(rawPrompt, 5*time.Second)
}

// interrupt starts code in raw mode, lets it run for a moment, sends
// Ctrl-C and returns the cell's stderr part with the prompt after it.
func (b *board) interrupt(code string) string {
	b.t.Helper()
	b.send(code + "\x04")
	b.expect("OK", 5*time.Second)
	time.Sleep(200 * time.Millisecond) // let it run: what Ctrl-C stops is the test's subject
	b.send("\x03")
	b.expect("\x04", 5*time.Second)
	return b.expect("\x04>", 5*time.Second)
}

// result reads a cell's stdout and stderr parts, each ended by 0x04, and
// the prompt after them.
func (b *board) result() (stdout, stderr string) {
	b.t.Helper()
	stdout = strings.TrimSuffix(b.expect("\x04", 10*time.Second), "\x04")
	stderr = strings.TrimSuffix(b.expect("\x04", 10*time.Second), "\x04")
	b.expect(">", 5*time.Second)
	return stdout, stderr
}

// run runs code in plain raw mode and returns its stdout and stderr parts.
func (b *board) run(code string) (stdout, stderr string) {
	b.t.Helper()
	b.send(code + "\x04")
	b.expect("OK", 5*time.Second)
	return b.result()
}

func TestRawREPL(t *testing.T) {
	b := startBoard(t)
	b.enterRaw()

	out, errOut := b.run("x = 6\nprint(x * 7)\nprint('a', 'b')")
	if out != "42\r\na b\r\n" || errOut != "" {
		t.Errorf("print cell: stdout %q, stderr %q; want %q, %q", out, errOut, "42\r\na b\r\n", "")
	}
	out, _ = b.run("import sys\nsys.stdout.write('one\\ntwo\\n')")
	if out != "one\r\ntwo\r\n" {
		t.Errorf("sys.stdout.write cell: stdout %q, want CRLF line ends", out)
	}
	out, _ = b.run("print(x)")
	if out != "6\r\n" {
		t.Errorf("namespace not kept between cells: stdout %q, want %q", out, "6\r\n")
	}
	_, errOut = b.run("print(1)\nundefined_name")
	want := "Traceback (most recent call last):\r\n  File \"<stdin>\", line 2, in <module>\r\nNameError: name 'undefined_name' isn't defined\r\n"
	if errOut != want {
		t.Errorf("NameError cell: stderr %q, want %q", errOut, want)
	}
	_, errOut = b.run("def f(:\n  pass")
	if !strings.Contains(errOut, "SyntaxError") || strings.Contains(errOut, ".py\"") {
		t.Errorf("SyntaxError cell: stderr %q, want a SyntaxError without the board program's frames", errOut)
	}

	// Ctrl-C at the prompt clears the line; Ctrl-A re-enters.
	b.send("print('lost')\x03print('kept')\x04")
	if out := b.expect("\x04", 5*time.Second); out != "OKkept\r\n\x04" {
		t.Errorf("after Ctrl-C at the prompt: %q, want %q", out, "OKkept\r\n\x04")
	}
	b.expect("\x04>", 5*time.Second)
	b.send("\x01")
	b.expect(rawPrompt, 5*time.Second)
}

func TestSoftReset(t *testing.T) {
	b := startBoard(t)
	b.enterRaw()
	b.run("y = 1")
	b.send("\x04")
	if got := b.expect(rawPrompt, 5*time.Second); got != "OK\r\nsoft reboot\r\n"+rawPrompt {
		t.Errorf("soft reset sent %q", got)
	}
	_, errOut := b.run("print(y)")
	if !strings.Contains(errOut, "NameError") {
		t.Errorf("after soft reset, y is still defined: stderr %q", errOut)
	}
	// sys.exit() in a cell reboots, as on a board.
	b.send("import sys\nsys.exit()\x04")
	if got := b.expect(rawPrompt, 5*time.Second); got != "OK\x04\x04soft reboot\r\n"+rawPrompt {
		t.Errorf("sys.exit() cell sent %q", got)
	}
}

func TestInterrupt(t *testing.T) {
	b := startBoard(t)
	b.enterRaw()
	b.run("n = 0")
	b.send("while True:\n  n += 1\n\x04")
	b.expect("OK", 5*time.Second)
	time.Sleep(200 * time.Millisecond) // let the loop run: this is the test's subject
	start := time.Now()
	b.send("\x03")
	out := b.expect("\x04", 5*time.Second)
	errOut := b.expect("\x04>", 5*time.Second)
	if out != "\x04" || !strings.HasSuffix(errOut, "KeyboardInterrupt: \r\n\x04>") || !strings.Contains(errOut, `File "<stdin>", line 2, in <module>`) {
		t.Errorf("interrupted loop sent %q %q", out, errOut)
	}
	t.Logf("interrupt answered in %v", time.Since(start))
	out, _ = b.run("print(n > 0)")
	if out != "True\r\n" {
		t.Errorf("variables lost after interrupt: %q", out)
	}
	// A blocking read of a socket is interrupted too.
	if errOut := b.interrupt("import socket\ns = socket.socket()\ns.bind(socket.getaddrinfo('127.0.0.1', 0)[0][-1])\ns.listen(1)\ns.accept()"); !strings.Contains(errOut, "KeyboardInterrupt") {
		t.Errorf("interrupted accept() sent %q", errOut)
	}
}

// paste runs code in raw-paste mode, honouring the board's flow control,
// and checks that the board never grants more than it announced.
func (b *board) paste(code []byte) (stdout, stderr string) {
	b.t.Helper()
	b.send("\x05A\x01")
	head := b.expect("R\x01", 5*time.Second)
	if head != "R\x01" {
		b.t.Fatalf("raw-paste answer %q", head)
	}
	b.mu.Lock()
	for len(b.buf) < 3 {
		b.mu.Unlock()
		time.Sleep(time.Millisecond)
		b.mu.Lock()
	}
	window := int(binary.LittleEndian.Uint16(b.buf[:2]))
	if b.buf[2] != 1 {
		b.t.Fatalf("raw-paste window not followed by \\x01: %q", b.buf[:3])
	}
	b.buf = b.buf[3:]
	b.mu.Unlock()
	if window != boardprog.Window {
		b.t.Errorf("window %d, want %d", window, boardprog.Window)
	}
	credit := 2 * window
	for len(code) > 0 {
		for credit == 0 {
			b.expect("\x01", 5*time.Second)
			credit += window
		}
		n := min(credit, len(code))
		b.send(string(code[:n]))
		code = code[n:]
		credit -= n
	}
	b.send("\x04")
	// Skip the grants still coming, up to the board's end-of-upload \x04.
	if got := strings.ReplaceAll(b.expect("\x04", 10*time.Second), "\x01", ""); got != "\x04" {
		b.t.Fatalf("raw-paste upload ended with %q", got)
	}
	return b.result()
}

func TestRawPaste(t *testing.T) {
	b := startBoard(t)
	b.enterRaw()
	var code bytes.Buffer
	code.WriteString("total = 0\n")
	for i := 0; code.Len() < 20*1024; i++ {
		fmt.Fprintf(&code, "total += %d  # padding to make a large cell\n", i)
	}
	code.WriteString("print('total', total)\n")
	out, errOut := b.paste(code.Bytes())
	if !strings.HasPrefix(out, "total ") || errOut != "" {
		t.Errorf("20 KB raw-paste cell: stdout %q, stderr %q", out, errOut)
	}
	out, _ = b.paste([]byte("print(total > 0)"))
	if out != "True\r\n" {
		t.Errorf("namespace across raw-paste cells: %q", out)
	}
	b.send("\x05B\x01")
	if got := b.expect(">", 5*time.Second); got != "R\x00>" {
		t.Errorf("unknown raw-paste command answered %q, want %q", got, "R\x00>")
	}
}

func TestInputAndFriendly(t *testing.T) {
	b := startBoard(t)
	b.enterRaw()
	b.send("name = input('who? ')\nprint('hi', name)\x04")
	b.expect("OKwho? ", 5*time.Second)
	b.send("ada\r")
	if out := b.expect("\x04", 5*time.Second); out != "ada\r\nhi ada\r\n\x04" {
		t.Errorf("input() cell sent %q", out)
	}
	b.expect("\x04>", 5*time.Second)

	b.send("\x02")
	b.expect("Type \"help()\" for more information.\r\n>>> ", 5*time.Second)
	b.send("1 + 2\r")
	if got := b.expect(">>> ", 5*time.Second); got != "1 + 2\r\n3\r\n>>> " {
		t.Errorf("friendly REPL answered %q", got)
	}
	b.send("\x01")
	b.expect("\r\n"+rawPrompt, 5*time.Second)
}

// TestBinaryWithInterruptsOff runs a cell the way mpremote's mount serves
// a file: with micropython.kbd_intr(-1) it writes binary to
// sys.stdout.buffer and reads binary from sys.stdin.buffer. As on a
// board, a 0x0a it writes must arrive alone (not as "\r\n"), a 0x03 it
// reads is data (not an interrupt), print still ends its lines with
// "\r\n", and Ctrl-C interrupts again once kbd_intr(3) is back, and in
// the next cell even if a cell left interrupts off.
func TestBinaryWithInterruptsOff(t *testing.T) {
	b := startBoard(t)
	b.enterRaw()
	b.send("import micropython, sys\nmicropython.kbd_intr(-1)\nsys.stdout.buffer.write(b'<\\n>')\n" +
		"d = sys.stdin.buffer.read(4)\nprint(d.hex())\nmicropython.kbd_intr(3)\nprint('on')\n\x04")
	b.expect("OK", 5*time.Second)
	if got, err := b.await(">", 5*time.Second); err != nil || got != "<\n>" {
		t.Fatalf("binary written with interrupts off arrived as %q (%v), want %q", got, err, "<\n>")
	}
	b.send("\x03\x04\x18\n")
	out, err := b.await("\x04", 5*time.Second)
	if err != nil {
		t.Fatalf("after the binary reply: %v", err)
	}
	if out != "0304180a\r\non\r\n\x04" {
		t.Errorf("the cell read and printed %q, want %q", out, "0304180a\r\non\r\n\x04")
	}
	if errOut := b.expect("\x04>", 5*time.Second); errOut != "\x04>" {
		t.Errorf("the cell's stderr %q, want none", errOut)
	}

	// Ctrl-C interrupts after kbd_intr(3) in the same cell...
	if errOut := b.interrupt("import micropython\nmicropython.kbd_intr(-1)\nmicropython.kbd_intr(3)\nwhile True:\n  pass\n"); !strings.Contains(errOut, "KeyboardInterrupt") {
		t.Errorf("Ctrl-C after kbd_intr(3) sent %q, want a KeyboardInterrupt", errOut)
	}
	// ...and in the cell after one that left interrupts off.
	if out, errOut := b.run("micropython.kbd_intr(-1)\nprint('off')"); out != "off\r\n" || errOut != "" {
		t.Errorf("cell leaving interrupts off: stdout %q, stderr %q", out, errOut)
	}
	if errOut := b.interrupt("while True:\n  pass\n"); !strings.Contains(errOut, "KeyboardInterrupt") {
		t.Errorf("Ctrl-C in the next cell sent %q, want a KeyboardInterrupt", errOut)
	}
	// The micropython module cells see still has the port's functions.
	if out, errOut := b.run("print(micropython.const(5), callable(micropython.mem_info))"); out != "5 True\r\n" || errOut != "" {
		t.Errorf("micropython module: stdout %q, stderr %q", out, errOut)
	}
}
