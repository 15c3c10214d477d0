package magics

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/iotkernel/iotkernel/store"
	"github.com/iotkernel/iotkernel/transport"
)

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// shown is one Display call.
type shown struct {
	data   map[string]any
	id     string
	update bool
}

// fakeEnv is an Env for tests: buffers for output, a board slot, a map
// for Go variables, a store in a temporary directory.
type fakeEnv struct {
	stdout, stderr syncBuffer
	displays       []shown
	host           bool
	board          Board
	dial           func(url string) (Board, error)
	dialed         []string
	disconnects    int
	goVars         map[string]any
	st             *store.Store
	dir            string
	environ        []string
	lost           []string // what ResetHost reports lost
	plot           *PlotOptions
	resets         int
	nextInput      string
	replace        bool
	capture        io.Writer
}

func newFakeEnv(t *testing.T) *fakeEnv {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "store.json"))
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	work := filepath.Join(dir, "work")
	for _, d := range []string{home, work} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &fakeEnv{
		goVars:  map[string]any{},
		st:      st,
		dir:     work,
		environ: []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "IOTKERNEL_BOARDS=" + filepath.Join(dir, "boards.json")},
	}
}

func (e *fakeEnv) Stdout() io.Writer { return &e.stdout }
func (e *fakeEnv) Stderr() io.Writer { return &e.stderr }
func (e *fakeEnv) Display(data map[string]any, id string, update bool) {
	e.displays = append(e.displays, shown{data, id, update})
}
func (e *fakeEnv) SetNextInput(text string, replace bool) {
	e.nextInput, e.replace = text, replace
}
func (e *fakeEnv) Capture(w io.Writer) io.Writer {
	old := e.capture
	e.capture = w
	return old
}
func (e *fakeEnv) Host() bool   { return e.host }
func (e *fakeEnv) Board() Board { return e.board }
func (e *fakeEnv) Connect(ctx context.Context, url string) (Board, error) {
	e.board = nil
	e.dialed = append(e.dialed, url)
	if e.dial == nil {
		return nil, fmt.Errorf("open %s: no such board in this test", url)
	}
	b, err := e.dial(url)
	if err != nil {
		return nil, err
	}
	e.board = b
	return b, nil
}
func (e *fakeEnv) Disconnect() error {
	e.disconnects++
	e.board = nil
	return nil
}
func (e *fakeEnv) LookupGo(name string) (any, bool) {
	v, ok := e.goVars[name]
	return v, ok
}
func (e *fakeEnv) DefineGo(name string, v any) error {
	e.goVars[name] = v
	return nil
}
func (e *fakeEnv) SetPlot(o *PlotOptions) { e.plot = o }

func (e *fakeEnv) ResetHost(ctx context.Context) ([]string, error) {
	e.resets++
	return e.lost, nil
}
func (e *fakeEnv) Store() (*store.Store, error) { return e.st, nil }
func (e *fakeEnv) Dir() string                  { return e.dir }
func (e *fakeEnv) Chdir(dir string) error       { e.dir = dir; return nil }
func (e *fakeEnv) Environ() []string            { return e.environ }

// pyBoard is a fake board that runs each Exec in a CPython process
// (testdata/fakeboard.py) with stand-ins for MicroPython's modules and a
// board filesystem rooted in a temporary directory, so the tests run the
// real snippets. It checks that no snippet sends a byte the raw REPL
// cannot carry.
type pyBoard struct {
	t    *testing.T
	root string // the board's filesystem
	opts []string
	url  string

	mu     sync.Mutex
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	execs  int
	codes  []string
	outs   []string // what each snippet printed
	resets []string
}

// newPyBoard starts a CPython board; opts are fakeboard.py's options
// (nobinascii, nohashlib, nortc, epoch2000, uprefix).
func newPyBoard(t *testing.T, opts ...string) *pyBoard {
	t.Helper()
	if _, err := exec.LookPath(python3); err != nil {
		t.Skipf("no %s: %v", python3, err)
	}
	b := &pyBoard{t: t, root: t.TempDir(), opts: opts, url: "exec:fakeboard"}
	b.start()
	t.Cleanup(b.stop)
	return b
}

// python3 is the CPython that runs the snippets in tests.
const python3 = "/usr/bin/python3"

func (b *pyBoard) start() {
	b.t.Helper()
	args := append([]string{"testdata/fakeboard.py", b.root}, b.opts...)
	cmd := exec.Command(python3, args...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	b.cmd, b.in, b.out = cmd, in, bufio.NewReader(out)
}

func (b *pyBoard) stop() {
	b.in.Close()
	b.cmd.Wait()
}

func (b *pyBoard) Exec(ctx context.Context, code string, stdout, stderr io.Writer) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return &transport.ExecError{Type: "KeyboardInterrupt", Traceback: []string{"KeyboardInterrupt: "}}
	}
	for i, c := range []byte(code) {
		if (c < 0x20 || c >= 0x7f) && c != '\n' && c != '\t' {
			b.t.Errorf("snippet holds byte %#02x at %d, which the raw REPL must not see:\n%s", c, i, short(code, 400))
			break
		}
	}
	b.execs++
	b.codes = append(b.codes, code)
	if _, err := fmt.Fprintf(b.in, "%d\n%s", len(code), code); err != nil {
		return fmt.Errorf("fake board: %w", err)
	}
	line, err := b.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("fake board: %w", err)
	}
	var res struct{ Out, Type, Value, TB string }
	if err := json.Unmarshal(line, &res); err != nil {
		return fmt.Errorf("fake board: %w: %q", err, line)
	}
	b.outs = append(b.outs, res.Out)
	io.WriteString(stdout, res.Out)
	if res.Type != "" {
		io.WriteString(stderr, res.TB)
		return &transport.ExecError{Type: res.Type, Value: res.Value, Traceback: strings.Split(strings.TrimSpace(res.TB), "\n")}
	}
	return nil
}

// run runs code on the board, failing the test if it raises.
func (b *pyBoard) run(code string) string {
	b.t.Helper()
	var out strings.Builder
	if err := b.Exec(context.Background(), code, &out, io.Discard); err != nil {
		b.t.Fatalf("board: %v", err)
	}
	return out.String()
}

func (b *pyBoard) SoftReset(ctx context.Context, out io.Writer) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.resets = append(b.resets, "soft")
	b.stop()
	b.start()
	_, err := io.WriteString(out, "MPY: soft reboot\n")
	return err
}

func (b *pyBoard) HardReset(ctx context.Context, out io.Writer) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.resets = append(b.resets, "hard")
	b.stop()
	b.start()
	_, err := io.WriteString(out, "ets Jun  8 2016 00:22:57\nMicroPython v1.24.1 on 2024-11-29; fake\n")
	return err
}

func (b *pyBoard) URL() string      { return b.url }
func (b *pyBoard) Protocol() string { return "raw-paste" }

// execCount returns how many Execs the board ran.
func (b *pyBoard) execCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.execs
}

// runMagic runs line through a fresh registry and returns stdout.
func runMagic(t *testing.T, r *Registry, env *fakeEnv, line string) (string, error) {
	t.Helper()
	before := len(env.stdout.String())
	err := r.Run(context.Background(), line, env)
	return env.stdout.String()[before:], err
}

// mustRun runs line and fails the test on error.
func mustRun(t *testing.T, r *Registry, env *fakeEnv, line string) string {
	t.Helper()
	out, err := runMagic(t, r, env, line)
	if err != nil {
		t.Fatalf("%%%s: %v", line, err)
	}
	return out
}

var _ = strconv.Itoa

// short cuts s to n bytes for a test message.
func short(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
