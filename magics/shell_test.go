package magics

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// firstWrite records when something was first written.
type firstWrite struct {
	syncBuffer
	once sync.Once
	at   time.Time
}

func (w *firstWrite) Write(p []byte) (int, error) {
	w.once.Do(func() { w.at = time.Now() })
	return w.syncBuffer.Write(p)
}

// streamEnv is a fakeEnv whose stdout records when output came.
type streamEnv struct {
	*fakeEnv
	out *firstWrite
}

func (e streamEnv) Stdout() io.Writer { return e.out }

func TestRunShellStreams(t *testing.T) {
	env := streamEnv{newFakeEnv(t), &firstWrite{}}
	start := time.Now()
	if err := RunShell(context.Background(), "echo first; sleep 0.6; echo second", env); err != nil {
		t.Fatal(err)
	}
	end := time.Now()
	if got := env.out.String(); got != "first\nsecond\n" {
		t.Errorf("output = %q", got)
	}
	if env.out.at.IsZero() || end.Sub(env.out.at) < 400*time.Millisecond {
		t.Errorf("first output came %v after the start, %v before the end: not streamed", env.out.at.Sub(start), end.Sub(env.out.at))
	}
}

func TestRunShellExitStatus(t *testing.T) {
	env := newFakeEnv(t)
	err := RunShell(context.Background(), "echo out; echo err >&2; exit 3", env)
	if err == nil || err.Error() != "bash: exit status 3" {
		t.Errorf("RunShell(exit 3) = %v, want bash: exit status 3", err)
	}
	if env.stdout.String() != "out\n" || env.stderr.String() != "err\n" {
		t.Errorf("stdout %q, stderr %q", env.stdout.String(), env.stderr.String())
	}
	if err := RunShell(context.Background(), "true", env); err != nil {
		t.Errorf("RunShell(true) = %v", err)
	}
}

func TestRunShellEnvAndDir(t *testing.T) {
	env := newFakeEnv(t)
	env.environ = append(env.environ, "IOT_TEST_VAR=hello world")
	if err := RunShell(context.Background(), `echo "$IOT_TEST_VAR"; pwd`, env); err != nil {
		t.Fatal(err)
	}
	want := "hello world\n" + env.dir + "\n"
	if got := env.stdout.String(); got != want {
		t.Errorf("output = %q, want %q", got, want)
	}
}

func TestRunShellInterruptKillsGroup(t *testing.T) {
	env := newFakeEnv(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- RunShell(ctx, "sleep 100 & echo $! > "+pidFile+"; sleep 100", env)
	}()
	var bgPid int
	for deadline := time.Now().Add(5 * time.Second); bgPid == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the script did not start")
		}
		if b, err := os.ReadFile(pidFile); err == nil && strings.HasSuffix(string(b), "\n") {
			bgPid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "interrupted") {
			t.Errorf("RunShell after cancel = %v, want interrupted", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("RunShell took %v to return after cancel", d)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("RunShell did not return after cancel")
	}
	// The background sleep was in the group: it must be gone (a zombie
	// reaped by init at most).
	for deadline := time.Now().Add(time.Second); ; {
		err := syscall.Kill(bgPid, 0)
		if err != nil {
			break
		}
		if stat, _ := os.ReadFile("/proc/" + strconv.Itoa(bgPid) + "/stat"); strings.Contains(string(stat), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			syscall.Kill(bgPid, syscall.SIGKILL)
			t.Fatalf("background sleep %d survived the interrupt", bgPid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCd(t *testing.T) {
	r := NewRegistry(Options{})
	env := newFakeEnv(t)
	home := getenv(env, "HOME")
	sub := filepath.Join(home, "my dir")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	env.environ = append(env.environ, "SUB=my dir")
	tests := []struct{ line, want string }{
		{"cd ~", home},
		{`cd "~/my dir"`, sub},
		{"cd", home},
		{"cd ..", filepath.Dir(home)},
		{"cd home/$SUB", sub},
		{"cd $HOME", home},
		{"cd 'my dir'", sub},
	}
	for _, tt := range tests {
		out := mustRun(t, r, env, tt.line)
		if out != "cwd = "+tt.want+"\n" || env.dir != tt.want {
			t.Errorf("%%%s printed %q, dir %q; want %q", tt.line, out, env.dir, tt.want)
		}
	}
	if _, err := runMagic(t, r, env, "cd /no/such/dir"); err == nil || !strings.Contains(err.Error(), "cd /no/such/dir: no such file or directory") {
		t.Errorf("%%cd /no/such/dir = %v", err)
	}
	if _, err := runMagic(t, r, env, "cd a b"); err == nil {
		t.Errorf("%%cd a b succeeded")
	}
}
