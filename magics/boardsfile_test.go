package magics

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iotkernel/iotkernel/boardpy"
	"github.com/iotkernel/iotkernel/transport"
)

func TestBoardsFileEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "boards.json")
	const file = `{
  "esp32": "serial:///dev/ttyUSB0",
  "garden": {"url": "ws://192.168.1.40:8266", "password": "micropy"}
}`
	if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	entries, err := readBoardEntries(path)
	if err != nil {
		t.Fatal(err)
	}
	if e := entries["garden"]; e.URL != "ws://192.168.1.40:8266" || e.Password != "micropy" {
		t.Errorf("garden = %+v", e)
	}
	if e := entries["esp32"]; e.URL != "serial:///dev/ttyUSB0" || e.Password != "" {
		t.Errorf("esp32 = %+v", e)
	}
	urls, err := ReadBoards(path)
	if err != nil || urls["garden"] != "ws://192.168.1.40:8266" || len(urls) != 2 {
		t.Errorf("ReadBoards = %v, %v", urls, err)
	}

	// Saving another name keeps the password; re-saving garden's URL too.
	if err := saveBoard(path, "lab", "socket://10.0.0.9:23"); err != nil {
		t.Fatal(err)
	}
	if err := saveBoard(path, "garden", "ws://192.168.1.41"); err != nil {
		t.Fatal(err)
	}
	entries, err = readBoardEntries(path)
	if err != nil {
		t.Fatal(err)
	}
	if e := entries["garden"]; e.URL != "ws://192.168.1.41" || e.Password != "micropy" {
		t.Errorf("garden after saves = %+v, want the new URL and the password kept", e)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), `"lab": "socket://10.0.0.9:23"`) {
		t.Errorf("a plain entry is not written as a plain URL: %s", data)
	}

	for _, bad := range []string{
		`{"x": {"password": "p"}}`,
		`{"x": {"url": "ws://h", "pasword": "p"}}`,
		`{"x": 3}`,
	} {
		os.WriteFile(path, []byte(bad), 0o644)
		if _, err := readBoardEntries(path); err == nil || !strings.Contains(err.Error(), `"url"`) {
			t.Errorf("boards file %s: err = %v, want the entry's shape explained", bad, err)
		}
	}
}

func TestDiscoverHidesPasswords(t *testing.T) {
	env := newFakeEnv(t)
	r := connectRegistry(nil)
	path, _ := BoardsPath(env)
	os.WriteFile(path, []byte(`{"garden": {"url": "ws://192.168.1.40:8266", "password": "s3cret-pw"}, "lab": "rfc2217://10.0.0.9:2217"}`), 0o644)
	out := mustRun(t, r, env, "discover")
	if !strings.Contains(out, "garden") || !strings.Contains(out, "ws://192.168.1.40:8266") || !strings.Contains(out, "rfc2217://10.0.0.9:2217") {
		t.Errorf("%%discover does not list every scheme:\n%s", out)
	}
	if strings.Contains(out, "s3cret-pw") {
		t.Errorf("%%discover shows a password:\n%s", out)
	}
}

func TestDiscoverProbesNetworkBoards(t *testing.T) {
	env := newFakeEnv(t)
	var mu sync.Mutex
	probed := map[string]time.Duration{}
	r := NewRegistry(Options{
		Discover: func(ctx context.Context) ([]transport.PortInfo, error) { return nil, nil },
		Probe: func(ctx context.Context, url string) (boardpy.Info, error) {
			d, ok := ctx.Deadline()
			mu.Lock()
			probed[url] = -1
			if ok {
				probed[url] = time.Until(d)
			}
			mu.Unlock()
			if strings.Contains(url, "10.0.0.9") {
				return boardpy.Info{}, errors.New("dial tcp 10.0.0.9:2217: i/o timeout")
			}
			return boardpy.Info{Platform: "esp32", Implementation: "micropython", Version: "1.24.1"}, nil
		},
	})
	path, _ := BoardsPath(env)
	os.WriteFile(path, []byte(`{"garden": {"url": "ws://192.168.1.40:8266", "password": "pw"}, "lab": "rfc2217://10.0.0.9:2217", "usb": "serial:///dev/ttyUSB0"}`), 0o644)
	out := mustRun(t, r, env, "discover -a")
	if len(probed) != 2 || probed["serial:///dev/ttyUSB0"] != 0 {
		t.Errorf("probed %v, want the two network boards only", probed)
	}
	for url, left := range probed {
		if left <= 0 || left > networkProbeTime {
			t.Errorf("probe of %s had %v left, want a deadline within %v", url, left, networkProbeTime)
		}
	}
	for _, want := range []string{"Network boards:", "garden", "esp32", "lab", "no answer: dial tcp 10.0.0.9:2217: i/o timeout"} {
		if !strings.Contains(out, want) {
			t.Errorf("%%discover -a output lacks %q:\n%s", want, out)
		}
	}
}
