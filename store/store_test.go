package store

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "store.json")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s, path
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("IOTKERNEL_STORE", "/x/s.json")
	t.Setenv("XDG_DATA_HOME", "/data")
	t.Setenv("HOME", "/home/u")
	check := func(want string) {
		t.Helper()
		if got, err := DefaultPath(); err != nil || got != want {
			t.Errorf("DefaultPath() = %q, %v; want %q", got, err, want)
		}
	}
	check("/x/s.json")
	t.Setenv("IOTKERNEL_STORE", "")
	check("/data/iotkernel/store.json")
	t.Setenv("XDG_DATA_HOME", "relative") // the XDG spec says to ignore it
	check("/home/u/.local/share/iotkernel/store.json")
}

func TestPersistence(t *testing.T) {
	s, path := openTemp(t)
	vals := sampleValues()
	if err := s.SetMany(vals); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("extra", StrValue("x")); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range vals {
		got, ok, err := s2.Get(name)
		if err != nil || !ok || !got.Equal(want) {
			t.Errorf("Get(%s) = %v, %v, %v; want %v", name, got, ok, err, want)
		}
	}
	if _, ok, err := s2.Get("missing"); ok || err != nil {
		t.Errorf("Get(missing) = %v, %v", ok, err)
	}

	if err := s2.Delete("extra"); err != nil {
		t.Fatal(err)
	}
	if err := s2.Delete("extra"); !errors.Is(err, ErrNotStored) {
		t.Errorf("Delete of a missing name: %v, want ErrNotStored", err)
	}
	if _, ok, _ := s.Get("extra"); ok {
		t.Error("a delete through one Store is not seen by another")
	}

	entries, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(vals) {
		t.Errorf("List() has %d entries, want %d", len(entries), len(vals))
	}
	for i, e := range entries {
		if i > 0 && entries[i-1].Name >= e.Name {
			t.Errorf("List() not sorted: %s before %s", entries[i-1].Name, e.Name)
		}
		if e.Name == "list" {
			want := Entry{Name: "list", Type: "list", GoType: "[]int", Short: "[1, 2, 3]"}
			if diff := cmp.Diff(want, e); diff != "" {
				t.Errorf("entry (-want +got):\n%s", diff)
			}
		}
		if n := len([]rune(e.Short)); n > shortLen {
			t.Errorf("%s: Short is %d runes long", e.Name, n)
		}
	}

	if err := s.Clear(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := s2.List(); len(entries) != 0 {
		t.Errorf("after Clear, List() = %v", entries)
	}

	if err := s.Set("not a name", NoneValue()); err == nil {
		t.Error("Set with an invalid name: no error")
	}
	if stale, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.tmp-*")); len(stale) > 0 {
		t.Errorf("temporary files left behind: %v", stale)
	}
}

func TestFileIsReadable(t *testing.T) {
	s, path := openTemp(t)
	if err := s.SetMany(map[string]Value{
		"ip":   StrValue("192.168.1.5"),
		"pins": ListValue(IntValue(4), IntValue(5)),
		"cfg":  DictValue(Field{"ssid", StrValue("home")}, Field{"key", BytesValue([]byte{0xde, 0xad})}),
	}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "version": 2,
  "index": {
    "cfg": {"type":"dict","go":"map[string]any","short":"{'ssid': 'home', 'key': b'\\xde\\xad'}"},
    "ip": {"type":"str","go":"string","short":"'192.168.1.5'"},
    "pins": {"type":"list","go":"[]int","short":"[4, 5]"}
  },
  "values": {
    "cfg": {"dict": {
      "ssid": {"str": "home"},
      "key": {"bytes": "dead"}
    }},
    "ip": {"str": "192.168.1.5"},
    "pins": {"list": [
      {"int": 4},
      {"int": 5}
    ]}
  }
}
`
	if diff := cmp.Diff(want, string(data)); diff != "" {
		t.Errorf("store file (-want +got):\n%s", diff)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("store file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestCorruptFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "store.json")
	garbage := []byte(`{"version": 1, "values": {"x": {"int": "oops"}}}`)
	if err := os.WriteFile(path, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path)
	var ce *CorruptError
	if !errors.As(err, &ce) || s == nil {
		t.Fatalf("Open(corrupt) = %v, %v; want a Store and a *CorruptError", s, err)
	}
	if ce.Path != path || !strings.HasPrefix(ce.Moved, path+".corrupt-") {
		t.Errorf("CorruptError = %+v", ce)
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, ce.Moved) {
		t.Errorf("error %q does not name both files", msg)
	}
	if kept, err := os.ReadFile(ce.Moved); err != nil || string(kept) != string(garbage) {
		t.Errorf("corrupt file not kept as it was: %q, %v", kept, err)
	}
	if entries, err := s.List(); err != nil || len(entries) != 0 {
		t.Errorf("List() after corruption = %v, %v", entries, err)
	}
	if err := s.Set("a", IntValue(1)); err != nil {
		t.Fatal(err)
	}

	// Damage found later (a hand edit) is a warning, and a second corrupt
	// file does not overwrite the first one kept aside.
	if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Get("a"); ok || err != nil {
		t.Errorf("Get from a corrupt store = %v, %v", ok, err)
	}
	w := s.Warnings()
	if len(w) != 1 || !errors.As(w[0], &ce) || ce.Moved == "" {
		t.Fatalf("Warnings() = %v, want one *CorruptError", w)
	}
	if kept, _ := os.ReadFile(ce.Moved); string(kept) != "{" {
		t.Errorf("second corrupt file kept as %q", kept)
	}
	if s.Warnings() != nil {
		t.Error("Warnings() does not forget")
	}
	aside, _ := filepath.Glob(path + ".corrupt-*")
	if len(aside) != 2 {
		t.Errorf("files kept aside: %v, want 2", aside)
	}

	for _, bad := range []string{"null", "[]", `{"values": {}}`, `{"version": 1, "values": {"1x": {"none": null}}}`, "\x00\x01", `{"version":1,"values":{}} {}`, " "} {
		if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(path); !errors.As(err, &ce) {
			t.Errorf("Open(%q) = %v, want a *CorruptError", bad, err)
		}
	}
}

func TestEmptyAndNewerFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.json")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path); err != nil {
		t.Errorf("Open(empty file) = %v", err)
	}

	newer := `{"version": 3, "values": {"x": {"quaternion": [1, 0, 0, 0]}}}`
	if err := os.WriteFile(path, []byte(newer), 0o600); err != nil {
		t.Fatal(err)
	}
	var ve *VersionError
	if _, err := Open(path); !errors.As(err, &ve) || ve.Version != 3 {
		t.Errorf("Open(version 3) = %v, want a *VersionError", err)
	}
	if data, _ := os.ReadFile(path); string(data) != newer {
		t.Error("a newer store file was touched")
	}
}

// TestConcurrentWriters has goroutines, each with its own Store on the same
// file, add distinct keys at once: with a working lock none is lost.
func TestConcurrentWriters(t *testing.T) {
	_, path := openTemp(t)
	const writers, keys = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers*keys)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(path)
			if err != nil {
				errs <- err
				return
			}
			for k := range keys {
				if err := s.Set(fmt.Sprintf("w%d_k%d", w, k), IntValue(int64(k))); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkKeys(t, path, "w", writers, keys)
}

// TestConcurrentProcesses is TestConcurrentWriters with processes, as two
// kernels would share the store.
func TestConcurrentProcesses(t *testing.T) {
	_, path := openTemp(t)
	const procs, keys = 4, 20
	var cmds []*exec.Cmd
	for p := range procs {
		cmd := helper(t, "add", path, fmt.Sprintf("p%d_", p), strconv.Itoa(keys))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("writer process: %v", err)
		}
	}
	checkKeys(t, path, "p", procs, keys)
}

func checkKeys(t *testing.T, path, prefix string, writers, keys int) {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.All()
	if err != nil {
		t.Fatal(err)
	}
	for w := range writers {
		for k := range keys {
			name := fmt.Sprintf("%s%d_k%d", prefix, w, k)
			if v, ok := all[name]; !ok || v.Int() != int64(k) {
				t.Errorf("%s = %v, %v; lost update", name, v, ok)
			}
		}
	}
	if len(all) != writers*keys {
		t.Errorf("%d values, want %d", len(all), writers*keys)
	}
}

// helper returns a command that re-runs this test binary as
// TestHelperWriter with the given mode and arguments.
func helper(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), "IOTKERNEL_STORE_HELPER="+strings.Join(args, "\x1f"))
	cmd.Stderr = os.Stderr
	return cmd
}

// TestHelperWriter is not a test: it is the child process of the tests
// above, doing what IOTKERNEL_STORE_HELPER says.
func TestHelperWriter(t *testing.T) {
	spec := os.Getenv("IOTKERNEL_STORE_HELPER")
	if spec == "" {
		t.Skip("helper process for other tests")
	}
	args := strings.Split(spec, "\x1f")
	s, err := Open(args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	switch args[0] {
	case "add": // add PATH PREFIX N: store PREFIXk0..k(N-1)
		n, _ := strconv.Atoi(args[3])
		for k := range n {
			if err := s.Set(fmt.Sprintf("%sk%d", args[2], k), IntValue(int64(k))); err != nil {
				fmt.Fprintln(os.Stderr, "helper:", err)
				os.Exit(2)
			}
		}
	case "loop": // loop PATH: write until killed, saying "ready" after the first write
		big := BytesValue(make([]byte, 64<<10))
		for i := 0; ; i++ {
			var err error
			switch i % 4 {
			case 0, 1:
				err = s.SetMany(map[string]Value{
					"counter":               IntValue(int64(i)),
					"big":                   big,
					"k" + strconv.Itoa(i%7): ListValue(StrValue("é\x04\n"), FloatValue(float64(i))),
				})
			case 2:
				err = s.Delete("k" + strconv.Itoa(i%7))
				if errors.Is(err, ErrNotStored) {
					err = nil
				}
			case 3:
				err = s.Set("counter", IntValue(int64(i)))
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "helper:", err)
				os.Exit(2)
			}
			if i == 0 {
				fmt.Println("ready")
			}
		}
	}
	os.Exit(0)
}

// TestKillDuringWrites kills a writer with SIGKILL at random moments: the
// file must load every time, and never be taken for corrupt.
func TestKillDuringWrites(t *testing.T) {
	_, path := openTemp(t)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	kills := 30
	if testing.Short() {
		kills = 5
	}
	for i := range kills {
		cmd := helper(t, "loop", path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "ready") {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("writer %d did not start: %q, %v", i, line, err)
		}
		// A random moment, not a synchronisation: the writer is busy
		// throughout, so any delay lands somewhere in a write cycle.
		time.Sleep(time.Duration(rng.Intn(20000)) * time.Microsecond)
		cmd.Process.Kill()
		cmd.Wait()

		s, err := Open(path)
		if err != nil {
			t.Fatalf("after kill %d: Open: %v", i, err)
		}
		if v, ok, err := s.Get("counter"); err != nil || !ok || v.Kind() != Int {
			t.Fatalf("after kill %d: counter = %v, %v, %v", i, v, ok, err)
		}
		if w := s.Warnings(); w != nil {
			t.Fatalf("after kill %d: %v", i, w)
		}
	}
	if aside, _ := filepath.Glob(path + ".corrupt-*"); len(aside) > 0 {
		t.Errorf("files moved aside: %v", aside)
	}
	// The next write clears what the killed writers left.
	s, _ := Open(path)
	if err := s.Set("final", NoneValue()); err != nil {
		t.Fatal(err)
	}
	if stale, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.tmp-*")); len(stale) > 0 {
		t.Errorf("temporary files left after a write: %v", stale)
	}
}
