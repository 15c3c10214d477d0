// Package realboard starts the real MicroPython builds for tests: the BBC
// micro:bit firmware on QEMU, MicroPython 1.27 compiled to WebAssembly
// behind scripts/wasm-board/bridge.mjs, the MicroPython 1.25 Unix port
// from Debian 13, and that port built with MicroPython's WebREPL
// (webrepl_board.py makes it a ws:// board). scripts/install-boards.sh
// installs them all. It is test support, imported only by _test files; each function
// takes the test and stops what it started at the test's cleanup.
//
// Where the boards are (defaults in parentheses):
//
//	IOTKERNEL_MICROBIT_FIRMWARE  (/usr/share/firmware-microbit-micropython/firmware.hex)
//	IOTKERNEL_QEMU_ARM           (qemu-system-arm on PATH)
//	IOTKERNEL_WASM_BRIDGE        ($REPO/scripts/wasm-board/bridge.mjs)
//	IOTKERNEL_WASM_MODULE        (the npm package next to the bridge)
//	IOTKERNEL_NODE               (node on PATH)
//	IOTKERNEL_MICROPYTHON        ($REPO/.cache/boards/trixie/micropython)
//	IOTKERNEL_WEBREPL_MICROPYTHON ($REPO/.cache/boards/webrepl/micropython)
//	IOTKERNEL_SER2NET            (ser2net on PATH; Linux only, as the ptys it serves)
//
// A board that cannot be started skips the test, saying why and that
// `make deps-boards` installs the boards, so that `go test ./...` on a fresh
// clone passes what it can run. Where the boards must be there, it fails
// instead: under CI=true, or IOTKERNEL_REQUIRE_REAL_BOARDS=1 (which
// `make test` sets). IOTKERNEL_SKIP_REAL_BOARDS=1 skips them even there.
package realboard

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/transport/boardprog"
)

// InstallHint says how to get the boards.
const InstallHint = "`make deps-boards` installs the real boards (as root; scripts/install-boards.sh)"

// Required reports whether a missing real board must fail a test rather
// than skip it: under CI=true or IOTKERNEL_REQUIRE_REAL_BOARDS=1, unless
// IOTKERNEL_SKIP_REAL_BOARDS=1.
func Required() bool {
	if os.Getenv("IOTKERNEL_SKIP_REAL_BOARDS") == "1" {
		return false
	}
	return os.Getenv("IOTKERNEL_REQUIRE_REAL_BOARDS") == "1" || os.Getenv("CI") == "true"
}

// Missing skips the test because a real board cannot be started, or
// fails it where boards are required (see Required).
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	reason := fmt.Sprintf(format, args...)
	if !Required() {
		t.Skipf("SKIP: real board missing: %s; %s", reason, InstallHint)
	}
	t.Fatalf("cannot start the real board: %s; %s (required here: CI=true or IOTKERNEL_REQUIRE_REAL_BOARDS=1)", reason, InstallHint)
}

// RepoRoot returns the directory holding go.mod above the test's working
// directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// File returns $env, or def, and fails (or skips) the test when that file
// does not exist.
func File(t testing.TB, env, def, what string) string {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		path = def
	}
	if _, err := os.Stat(path); err != nil {
		Missing(t, "%s not found (%v; set %s)", what, err, env)
	}
	return path
}

// Command returns $env, or name, looked up on PATH.
func Command(t testing.TB, env, name string) string {
	t.Helper()
	if v := os.Getenv(env); v != "" {
		name = v
	}
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s not found (%v; set %s)", name, err, env)
	}
	return path
}

// UnixPort returns the path of the MicroPython Unix port (the wrapper
// scripts/install-boards.sh writes, which runs it with Debian 13's loader).
// The transport's "local" board finds it through $IOTKERNEL_MICROPYTHON.
func UnixPort(t testing.TB) string {
	t.Helper()
	return File(t, "IOTKERNEL_MICROPYTHON",
		filepath.Join(RepoRoot(t), ".cache", "boards", "trixie", "micropython"), "MicroPython Unix port")
}

// Wasm returns the exec: URL of the WebAssembly board: Node.js running the
// bridge, which gives MicroPython's pyexec to stdin and stdout. Each Open
// of the URL starts a fresh board.
func Wasm(t testing.TB) string {
	t.Helper()
	bridge := File(t, "IOTKERNEL_WASM_BRIDGE",
		filepath.Join(RepoRoot(t), "scripts", "wasm-board", "bridge.mjs"), "WebAssembly board bridge")
	module := filepath.Join(filepath.Dir(bridge), "node_modules", "@micropython", "micropython-webassembly-pyscript", "package.json")
	File(t, "IOTKERNEL_WASM_MODULE", module, "npm package @micropython/micropython-webassembly-pyscript")
	node := Command(t, "IOTKERNEL_NODE", "node")
	return fmt.Sprintf("exec:%q %q", node, bridge)
}

// qemuMicrobit starts QEMU with the micro:bit firmware, its UART given to
// QEMU as serial (e.g. "pty" or "tcp:..."), and stops it at cleanup. It
// returns once ready reports true for a line of QEMU's console output, or
// once up is closed (QEMU prints nothing when it serves the UART on TCP).
func qemuMicrobit(t testing.TB, serial string, ready func(line string) bool, up <-chan struct{}) {
	t.Helper()
	firmware := File(t, "IOTKERNEL_MICROBIT_FIRMWARE",
		"/usr/share/firmware-microbit-micropython/firmware.hex", "micro:bit firmware")
	qemu := Command(t, "IOTKERNEL_QEMU_ARM", "qemu-system-arm")
	cmd := exec.Command(qemu, "-M", "microbit",
		"-device", "loader,file="+firmware,
		"-nographic", "-monitor", "none", "-serial", serial)
	console, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		Missing(t, "start %s: %v", qemu, err)
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
	// Once ready, the console is drained until QEMU exits (at cleanup),
	// so that QEMU never blocks writing to it.
	drain := func() {
		go func() {
			for range lines {
			}
		}()
	}
	var seen []string
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				Missing(t, "qemu exited before the board was ready: %q", seen)
			}
			seen = append(seen, line)
			if ready(line) {
				drain()
				return
			}
		case <-up:
			drain()
			return
		case <-timeout:
			Missing(t, "qemu did not get ready in 10 s; it printed %q", seen)
		}
	}
}

var ptyLine = regexp.MustCompile(`char device redirected to (/dev/pts/\d+)`)

// MicrobitPTY starts the emulated micro:bit with its UART on a pty and
// returns the pty's path, which opens like a USB serial port.
func MicrobitPTY(t testing.TB) string {
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

// MicrobitSocket starts the emulated micro:bit with its UART as a TCP
// server on 127.0.0.1 and returns its socket:// URL. The server takes one
// client at a time, and a new one once the last has gone, so a test may
// close the link and open it again; the board keeps running in between.
func MicrobitSocket(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	up := make(chan struct{})
	stop := make(chan struct{})
	polled := make(chan struct{})
	defer func() {
		close(stop)
		<-polled
	}()
	go func() {
		defer close(polled)
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

//go:embed webrepl_board.py
var webreplBoard []byte

// WebREPLPort returns the path of the MicroPython Unix port built with
// WebREPL and dupterm (scripts/install-boards.sh builds it from Debian
// 13's source package): $IOTKERNEL_WEBREPL_MICROPYTHON, by default
// $REPO/.cache/boards/webrepl/micropython.
func WebREPLPort(t testing.TB) string {
	t.Helper()
	def := os.Getenv("IOTKERNEL_WEBREPL_MICROPYTHON")
	if def == "" {
		def = filepath.Join(RepoRoot(t), ".cache", "boards", "webrepl", "micropython")
	}
	return File(t, "IOTKERNEL_WEBREPL_MICROPYTHON", def, "MicroPython Unix port with WebREPL")
}

// WebREPLBoard is a running WebREPL board (see WebREPL).
type WebREPLBoard struct {
	URL  string // ws://127.0.0.1:PORT
	Addr string // 127.0.0.1:PORT
	cmd  *exec.Cmd
}

// Kill ends the board's process, as a board that loses power; its TCP
// connections drop.
func (b *WebREPLBoard) Kill() { b.cmd.Process.Kill() }

// WebREPL starts MicroPython's own WebREPL on the Unix port (see
// webrepl_board.py) with password, serving the board program prog (a
// path written by boardprog.WriteFile), on a free loopback port, and
// stops it at cleanup. port 0 picks a free port; another reuses one (to
// restart a board where it was).
func WebREPL(t testing.TB, password, prog string, port int) *WebREPLBoard {
	t.Helper()
	mp := WebREPLPort(t)
	glue := filepath.Join(t.TempDir(), "webrepl_board.py")
	if err := os.WriteFile(glue, webreplBoard, 0o644); err != nil {
		t.Fatal(err)
	}
	if port == 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	cmd := exec.Command(mp, glue, fmt.Sprint(port), prog)
	cmd.Env = append(os.Environ(), "IOTKERNEL_TEST_WEBREPL_PASSWORD="+password)
	// A stdin that never ends: once a client goes, dupterm is off and
	// the port would read its own stdin.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		Missing(t, "start %s: %v", mp, err)
	}
	exited := waitFor(cmd)
	t.Cleanup(func() {
		cmd.Process.Kill()
		stdin.Close()
		<-exited
		if s := stderr.String(); s != "" {
			t.Logf("WebREPL board stderr: %s", s)
		}
	})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "webrepl board listening") {
				ready <- true
			}
		}
		close(ready)
	}()
	select {
	case ok := <-ready:
		if !ok {
			Missing(t, "the WebREPL board exited: %s", stderr.String())
		}
	case <-time.After(10 * time.Second):
		Missing(t, "the WebREPL board did not listen within 10 s: %s", stderr.String())
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	return &WebREPLBoard{URL: "ws://" + addr, Addr: addr, cmd: cmd}
}

// lockedBuffer is a bytes.Buffer safe for a process's writes and a test's
// reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// UnixPortProgram writes the board program the Unix port runs as a board
// (package boardprog) to a temporary directory and returns its path.
func UnixPortProgram(t testing.TB) string {
	t.Helper()
	prog, err := boardprog.WriteFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return prog
}

// waitFor waits for a started cmd in the background; the channel closes
// once it has exited.
func waitFor(cmd *exec.Cmd) <-chan struct{} {
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	return exited
}
