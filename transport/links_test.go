package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/google/go-cmp/cmp"
	"github.com/iotkernel/iotkernel/transport/boardtest"
	"go.bug.st/serial"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url     string
		baud    int
		wantErr string
	}{
		{"serial:///dev/ttyUSB0", 115200, ""},
		{"serial:///dev/ttyUSB0?baud=9600", 9600, ""},
		{"/dev/ttyACM0", 115200, ""},
		{"/dev/ttyACM0?baud=460800", 460800, ""},
		{"COM3", 115200, ""},
		{"socket://127.0.0.1:2217", 115200, ""},
		{"socket://127.0.0.1:2217?baud=57600", 57600, ""},
		{"socket://127.0.0.1:2217/?baud=9600", 9600, ""},
		{"socket://127.0.0.1:2217?baud=0", 0, "bad baud rate"},
		{"socket://127.0.0.1:2217?speed=1", 0, "unknown option"},
		{"exec:micropython board.py", 115200, ""},
		{"socket://nohost", 0, "want socket://host:port"},
		{"exec:", 0, "no command"},
		{"exec:'unterminated", 0, "unterminated"},
		{"/dev/ttyUSB0?baud=fast", 0, "bad baud rate"},
		{"/dev/ttyUSB0?parity=odd", 0, "unknown option"},
		{"http://example.com", 0, "unknown board URL"},
		{"ttyUSB0", 0, "unknown board URL"},
	}
	for _, tt := range tests {
		_, opts, err := parseURL(tt.url, Options{})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseURL(%q) err = %v, want %q", tt.url, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseURL(%q): %v", tt.url, err)
			continue
		}
		if opts.Baud != tt.baud {
			t.Errorf("parseURL(%q) baud = %d, want %d", tt.url, opts.Baud, tt.baud)
		}
	}
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"micropython board.py", []string{"micropython", "board.py"}},
		{` "/opt/my dir/mp"  'a b' c\ d ""`, []string{"/opt/my dir/mp", "a b", "c d", ""}},
		{`node -e "print('x')"`, []string{"node", "-e", "print('x')"}},
	}
	for _, tt := range tests {
		got, err := splitCommand(tt.in)
		if err != nil {
			t.Errorf("splitCommand(%q): %v", tt.in, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("splitCommand(%q): (-want +got)\n%s", tt.in, diff)
		}
	}
}

func TestModemLines(t *testing.T) {
	off := &serial.ModemOutputBits{}
	dtr := &serial.ModemOutputBits{DTR: true}
	tests := []struct {
		vid, pid string
		want     *serial.ModemOutputBits
	}{
		{"10c4", "ea60", off},
		{"1A86", "7523", off},
		{"1a86", "55d4", off},
		{"0403", "6001", off},
		{"0403", "6015", off},
		{"303a", "1001", dtr},
		{"303a", "4001", dtr},
		{"2e8a", "0005", dtr},
		{"", "", nil},
		{"1234", "5678", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, modemLines(tt.vid, tt.pid)); diff != "" {
			t.Errorf("modemLines(%s:%s): (-want +got)\n%s", tt.vid, tt.pid, diff)
		}
	}
}

func TestFormatPorts(t *testing.T) {
	if got := FormatPorts(nil); got != "no serial ports found\n" {
		t.Errorf("FormatPorts(nil) = %q", got)
	}
	got := FormatPorts([]PortInfo{
		{Path: "/dev/ttyUSB0", VID: "10c4", PID: "ea60", Manufacturer: "Silicon Labs", Product: "CP2102", SerialNumber: "0001", Chip: "ESP32 (CP210x bridge)"},
		{Path: "/dev/ttyACM0", VID: "2e8a", PID: "0005", Product: "Board in FS mode", Chip: "RP2040 (MicroPython)", MicroPython: true},
	})
	want := "PORT          VID:PID    BOARD                  MANUFACTURER  PRODUCT           SERIAL\n" +
		"/dev/ttyUSB0  10c4:ea60  ESP32 (CP210x bridge)  Silicon Labs  CP2102            0001\n" +
		"/dev/ttyACM0  2e8a:0005  RP2040 (MicroPython)   -             Board in FS mode  -\n"
	if got != want {
		t.Errorf("FormatPorts:\n%s\nwant:\n%s", got, want)
	}
}

func TestDiscoverTouchesNothing(t *testing.T) {
	// Only checks that enumeration works here; ptys are never listed.
	if _, err := Discover(context.Background()); err != nil {
		t.Skipf("no enumeration on this machine: %v", err)
	}
}

func TestSerialOpenErrors(t *testing.T) {
	_, err := Open(context.Background(), "/dev/does-not-exist-iotk", testOptions())
	if err == nil || !strings.Contains(err.Error(), "/dev/does-not-exist-iotk") || !strings.Contains(err.Error(), "no such port") {
		t.Errorf("Open of a missing port: %v", err)
	}
}

// serveFake runs fb on rw until it ends; the test waits for it.
func serveFake(t *testing.T, fb *boardtest.Board, rw io.ReadWriteCloser) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		fb.Serve(rw)
	}()
	t.Cleanup(wg.Wait)
}

// TestSerialPty drives the fake board through a real pty and
// go.bug.st/serial, as a USB serial port would be.
func TestSerialPty(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	fb := boardtest.New(boardtest.Config{RawPaste: true})
	serveFake(t, fb, ptmx)
	t.Cleanup(func() { tty.Close(); ptmx.Close() })
	b, err := Open(context.Background(), "serial://"+tty.Name(), testOptions())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer b.Close()
	if out := mustExec(t, b, "print('over a pty')\n"+strings.Repeat("# pad\n", 100)); out != "over a pty\n" {
		t.Errorf("stdout %q", out)
	}
	if err := b.SoftReset(context.Background(), nil); err != nil {
		t.Errorf("SoftReset: %v", err)
	}
}

func TestSocket(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fb := boardtest.New(boardtest.Config{RawPaste: true})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fb.Serve(c) // one connection at a time, like ser2net
		}
	}()
	defer wg.Wait()
	defer ln.Close()
	b, err := Open(context.Background(), "socket://"+ln.Addr().String(), testOptions())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer b.Close()
	if out := mustExec(t, b, "print('tcp')"); out != "tcp\n" {
		t.Errorf("stdout %q", out)
	}
	// The server drops the connection: the next cells reconnect.
	fb.Vanish()
	c, _ := b.current()
	<-c.done
	if _, _, err := runCell(t, b, "print(1)"); !errors.Is(err, ErrStateLost) {
		t.Errorf("after the connection dropped: err = %v, want ErrStateLost", err)
	}
	if out := mustExec(t, b, "print('again')"); out != "again\n" {
		t.Errorf("after reconnect: %q", out)
	}
}

// TestHelperBoard is not a test: run by TestExecLink as a process board,
// it serves the fake board on its stdin and stdout.
func TestHelperBoard(t *testing.T) {
	if os.Getenv("IOTKERNEL_HELPER_BOARD") != "1" {
		t.Skip("helper process for TestExecLink")
	}
	fb := boardtest.New(boardtest.Config{RawPaste: true, Handler: func(r *boardtest.Run) {
		if r.Code == "exit" {
			os.Exit(3)
		}
		boardtest.Interp(r)
	}})
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	go func() {
		for range sig {
			fb.Interrupt() // the pty turned 0x03 into SIGINT
		}
	}()
	fb.Serve(struct {
		io.Reader
		io.Writer
		io.Closer
	}{os.Stdin, os.Stdout, os.Stdin})
	os.Exit(0)
}

func TestExecLink(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("exec: links need Linux")
	}
	t.Setenv("IOTKERNEL_HELPER_BOARD", "1")
	url := "exec:" + os.Args[0] + " -test.run=^TestHelperBoard$"
	b, err := Open(context.Background(), url, testOptions())
	if err != nil {
		t.Fatalf("Open(%q): %v", url, err)
	}
	defer b.Close()
	mustExec(t, b, "v = 'kept'")
	if out := mustExec(t, b, "print(v)"); out != "kept\n" {
		t.Errorf("stdout %q", out)
	}
	// Ctrl-C reaches the process as SIGINT.
	_, err = runCancelled(t, b, "print('loop')\nwhile True: pass", "loop\n")
	var ee *ExecError
	if !errors.As(err, &ee) || ee.Type != "KeyboardInterrupt" {
		t.Fatalf("interrupt: err = %v, want KeyboardInterrupt", err)
	}
	if out := mustExec(t, b, "print(v)"); out != "kept\n" {
		t.Errorf("after interrupt: %q", out)
	}
	// A soft reset restarts the process.
	if err := b.SoftReset(context.Background(), nil); err != nil {
		t.Fatalf("SoftReset: %v", err)
	}
	if _, _, err := runCell(t, b, "print(v)"); !errors.As(err, &ee) || ee.Type != "NameError" {
		t.Errorf("after soft reset: err = %v, want NameError", err)
	}
	// The process exits during a cell: state lost, the next cell restarts it.
	start := time.Now()
	_, _, err = runCell(t, b, "exit")
	if !errors.Is(err, ErrStateLost) || !strings.Contains(err.Error(), "exited") {
		t.Errorf("process exit: err = %v, want ErrStateLost saying it exited", err)
	}
	if out := mustExec(t, b, "print('restarted')"); out != "restarted\n" {
		t.Errorf("after exit: %q", out)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("restart took %v", d)
	}
}

func TestIsURL(t *testing.T) {
	for s, want := range map[string]bool{
		"serial:///dev/ttyUSB0": true, "/dev/ttyACM0": true, "COM3": true, "com12": true,
		`\\.\COM10`: true, "socket://127.0.0.1:2217": true, "exec:micropython": true,
		"local": true, " local ": true, "rfc2217://host:1": true,
		"esp32": false, "COMx": false, "my-board": false, "localboard": false, "": false,
	} {
		if got := IsURL(s); got != want {
			t.Errorf("IsURL(%q) = %v, want %v", s, got, want)
		}
	}
}
