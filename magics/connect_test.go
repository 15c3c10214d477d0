package magics

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/transport"
)

// stubBoard is a Board that only answers the question for sys.platform.
type stubBoard struct{ url string }

func (b *stubBoard) Exec(ctx context.Context, code string, stdout, stderr io.Writer) error {
	if strings.Contains(code, "print(_ik_sys.platform)") {
		_, err := stdout.Write([]byte("esp32\r\n"))
		return err
	}
	return &transport.ExecError{Type: "NameError", Value: "stub board runs nothing"}
}
func (b *stubBoard) SoftReset(ctx context.Context, out io.Writer) error { return nil }
func (b *stubBoard) HardReset(ctx context.Context, out io.Writer) error { return nil }
func (b *stubBoard) URL() string                                        { return b.url }
func (b *stubBoard) Protocol() string                                   { return "raw" }

var testPorts = []transport.PortInfo{
	{Path: "/dev/ttyUSB0", VID: "10c4", PID: "ea60", Manufacturer: "Silicon Labs", Product: "CP2102 USB to UART Bridge Controller", Chip: "ESP32 (CP210x bridge)"},
	{Path: "/dev/ttyACM0", VID: "2e8a", PID: "0005", Manufacturer: "MicroPython", Product: "Board in FS mode", Chip: "RP2040", MicroPython: true},
}

func connectRegistry(ports []transport.PortInfo) *Registry {
	return NewRegistry(Options{
		Discover: func(ctx context.Context) ([]transport.PortInfo, error) { return ports, nil },
		Probe: func(ctx context.Context, url string) (boardpy.Info, error) {
			return boardpy.Info{Platform: "rp2", Implementation: "micropython", Version: "1.24.1"}, nil
		},
	})
}

func dialStub(url string) (Board, error) { return &stubBoard{url: url}, nil }

func TestConnectResolution(t *testing.T) {
	tests := []struct {
		name   string
		boards string // boards file content, "" for none
		ports  []transport.PortInfo
		line   string
		url    string // dialed; "" when no dial
		out    string
		err    string
	}{
		{"url", "", testPorts, "connect serial:///dev/ttyS9", "serial:///dev/ttyS9", "Connected to esp32 @ serial:///dev/ttyS9\n", ""},
		{"path", "", nil, "connect /dev/ttyUSB3", "/dev/ttyUSB3", "Connected to esp32 @ /dev/ttyUSB3\n", ""},
		{"socket", "", nil, "connect socket://10.0.0.2:23 -q", "socket://10.0.0.2:23", "", ""},
		{"file first", `{"esp32": "socket://1.2.3.4:23"}`, testPorts, "connect esp32", "socket://1.2.3.4:23", "Connected to esp32 @ socket://1.2.3.4:23\n", ""},
		{"file name", `{"lab": "exec:./board"}`, nil, "connect lab", "exec:./board", "Connected to lab @ exec:./board\n", ""},
		{"discovered", "", testPorts, "connect esp32", "serial:///dev/ttyUSB0", "Connected to esp32 @ serial:///dev/ttyUSB0\n", ""},
		{"discovered case", "", testPorts, "connect RP2040", "serial:///dev/ttyACM0", "Connected to RP2040 @ serial:///dev/ttyACM0\n", ""},
		{"by device", "", testPorts, "connect ttyACM0", "serial:///dev/ttyACM0", "Connected to ttyACM0 @ serial:///dev/ttyACM0\n", ""},
		{"several", "", append(testPorts, transport.PortInfo{Path: "/dev/ttyUSB1", Chip: "ESP32-S3"}), "connect esp32",
			"serial:///dev/ttyUSB0", "2 ports match \"esp32\": using /dev/ttyUSB0 (ESP32 (CP210x bridge), 10c4:ea60); the others: /dev/ttyUSB1. Connect to one by its path to choose.\nConnected to esp32 @ serial:///dev/ttyUSB0\n", ""},
		{"none", `{"lab": "exec:./board"}`, testPorts, "connect stm32", "", "",
			`no board named "stm32": the boards file BOARDS names lab; serial ports found: /dev/ttyUSB0 (ESP32 (CP210x bridge), 10c4:ea60), /dev/ttyACM0 (RP2040, 2e8a:0005); give a URL`},
		{"no ports", "", nil, "connect esp32", "", "", "no serial ports were found"},
		{"bad file", `{"lab": `, nil, "connect lab", "", "", "boards file BOARDS: unexpected end of JSON input"},
		{"bad file url", `{"lab": `, nil, "connect local", "local", "Connected to esp32 @ local\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newFakeEnv(t)
			env.dial = dialStub
			path, _ := BoardsPath(env)
			if tt.boards != "" {
				if err := os.WriteFile(path, []byte(tt.boards), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out, err := runMagic(t, connectRegistry(tt.ports), env, tt.line)
			if tt.err != "" {
				want := strings.ReplaceAll(tt.err, "BOARDS", path)
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%%%s = %v, want error containing %q", tt.line, err, want)
				}
			} else if err != nil {
				t.Fatalf("%%%s: %v", tt.line, err)
			}
			if out != tt.out {
				t.Errorf("%%%s printed %q, want %q", tt.line, out, tt.out)
			}
			dialed := ""
			if len(env.dialed) > 0 {
				dialed = env.dialed[0]
			}
			if dialed != tt.url {
				t.Errorf("%%%s dialed %q, want %q", tt.line, dialed, tt.url)
			}
		})
	}
}

func TestConnectSave(t *testing.T) {
	env := newFakeEnv(t)
	env.dial = dialStub
	r := connectRegistry(nil)
	path, _ := BoardsPath(env)
	os.Remove(path)
	out := mustRun(t, r, env, "connect --save lab socket://10.0.0.9:23")
	want := "saved lab = socket://10.0.0.9:23 in " + path + "\nConnected to lab @ socket://10.0.0.9:23\n"
	if out != want {
		t.Errorf("output %q, want %q", out, want)
	}
	mustRun(t, r, env, "connect -save -q other /dev/ttyUSB7")
	boards, err := ReadBoards(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(boards) != 2 || boards["lab"] != "socket://10.0.0.9:23" || boards["other"] != "/dev/ttyUSB7" {
		t.Errorf("boards file holds %v", boards)
	}
	// A name saved beats discovery, and the file is plain JSON a person edits.
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), `"lab": "socket://10.0.0.9:23"`) {
		t.Errorf("boards file is %q", data)
	}
	if _, err := runMagic(t, r, env, "connect --save /dev/ttyUSB0 x"); err == nil {
		t.Error("--save accepted a URL as a name")
	}
	if _, err := runMagic(t, r, env, "connect --save lab"); err == nil {
		t.Error("--save accepted a missing URL")
	}
}

func TestBoardsPath(t *testing.T) {
	env := newFakeEnv(t)
	env.environ = []string{"HOME=/home/u"}
	if p, _ := BoardsPath(env); p != "/home/u/.config/iotkernel/boards.json" {
		t.Errorf("BoardsPath = %q", p)
	}
	env.environ = []string{"HOME=/home/u", "XDG_CONFIG_HOME=/cfg"}
	if p, _ := BoardsPath(env); p != "/cfg/iotkernel/boards.json" {
		t.Errorf("BoardsPath = %q", p)
	}
	env.environ = []string{"HOME=/home/u", "IOTKERNEL_BOARDS=/b.json"}
	if p, _ := BoardsPath(env); p != "/b.json" {
		t.Errorf("BoardsPath = %q", p)
	}
}

func TestConnectFailsAndDisconnect(t *testing.T) {
	env := newFakeEnv(t)
	r := connectRegistry(nil)
	env.dial = func(url string) (Board, error) { return nil, errors.New("open /dev/ttyUSB0: port busy") }
	if _, err := runMagic(t, r, env, "connect /dev/ttyUSB0"); err == nil || err.Error() != "open /dev/ttyUSB0: port busy" {
		t.Errorf("connect = %v", err)
	}
	if out := mustRun(t, r, env, "disconnect"); out != "no board was connected\n" {
		t.Errorf("disconnect printed %q", out)
	}
	env.dial = dialStub
	mustRun(t, r, env, "connect -q /dev/ttyUSB0")
	mustRun(t, r, env, "connect -q /dev/ttyUSB1")
	if env.board.URL() != "/dev/ttyUSB1" {
		t.Errorf("current board %q, want the second", env.board.URL())
	}
	if out := mustRun(t, r, env, "disconnect"); out != "Disconnected from /dev/ttyUSB1\n" || env.board != nil {
		t.Errorf("disconnect printed %q, board %v", out, env.board)
	}
}

func TestDiscover(t *testing.T) {
	env := newFakeEnv(t)
	path, _ := BoardsPath(env)
	os.WriteFile(path, []byte(`{"lab": "socket://1.2.3.4:23"}`), 0o644)
	probed := 0
	r := NewRegistry(Options{
		Discover: func(ctx context.Context) ([]transport.PortInfo, error) { return testPorts, nil },
		Probe: func(ctx context.Context, url string) (boardpy.Info, error) {
			probed++
			// The serial port that is not connected, and the network
			// board of the boards file.
			if url != "serial:///dev/ttyACM0" && url != "socket://1.2.3.4:23" {
				t.Errorf("probed %s, the connected board", url)
			}
			return boardpy.Info{Platform: "rp2", Implementation: "micropython", Version: "1.24.1"}, nil
		},
	})
	out := mustRun(t, r, env, "discover")
	for _, want := range []string{"lab", "socket://1.2.3.4:23", "/dev/ttyUSB0", "10c4:ea60", "ESP32 (CP210x bridge)", "RP2040"} {
		if !strings.Contains(out, want) {
			t.Errorf("%%discover lacks %q:\n%s", want, out)
		}
	}
	if probed != 0 {
		t.Errorf("%%discover probed %d boards without -a", probed)
	}
	env.board = &stubBoard{url: "serial:///dev/ttyUSB0"}
	out = mustRun(t, r, env, "discover -a")
	if probed != 2 || !strings.Contains(out, "rp2") || !strings.Contains(out, "connected") {
		t.Errorf("%%discover -a probed %d:\n%s", probed, out)
	}
}
