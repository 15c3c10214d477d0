//go:build linux

package proc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests run helpers in processes of their own: the test binary
// re-executes itself with PROC_TEST_HELPER naming the helper.
func TestMain(m *testing.M) {
	if h := os.Getenv("PROC_TEST_HELPER"); h != "" {
		helpers[h]()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var helpers = map[string]func(){
	"kernel":  helperKernel,
	"parent":  helperParent,
	"watcher": helperWatcher,
}

func helper(t *testing.T, name string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, "PROC_TEST_HELPER="+name)...)
	cmd.Stderr = os.Stderr
	return cmd
}

// helperKernel plays a kernel: it leads a session (unless
// PROC_TEST_NOLEAD), starts processes the ways cells do, prints their pids,
// and ends its children when its standard input says so.
func helperKernel() {
	pids := map[string]int{}
	if os.Getenv("PROC_TEST_NOLEAD") == "" {
		if err := Lead(); err != nil {
			fmt.Println("Lead:", err)
			return
		}
	} else if err := Lead(); err == nil {
		fmt.Println("Lead succeeded for a process group leader")
		return
	}
	// A Go cell: exec.Command(...).Start(), never waited for.
	direct := exec.Command("sleep", "3000")
	direct.Start()
	pids["direct"] = direct.Process.Pid
	// A %%bash cell in a process group of its own: its background job
	// outlives bash and is re-parented. A script still running keeps its
	// job as a grandchild.
	bash := exec.Command("bash", "-c", "sleep 3000 >/dev/null 2>&1 & echo $!")
	bash.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, _ := bash.Output()
	pids["orphan"], _ = strconv.Atoi(strings.TrimSpace(string(out)))
	running := exec.Command("bash", "-c", "sleep 3000 >/dev/null 2>&1 & echo $!; exec >&-; wait")
	running.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, _ := running.StdoutPipe()
	running.Start()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	pids["grandchild"], _ = strconv.Atoi(strings.TrimSpace(line))
	pids["script"] = running.Process.Pid
	// What a user detaches on purpose.
	detached := exec.Command("sleep", "3000")
	detached.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	detached.Start()
	pids["detached"] = detached.Process.Pid

	b, _ := json.Marshal(pids)
	fmt.Println(string(b))
	bufio.NewReader(os.Stdin).ReadString('\n')
	n, err := EndChildren(300 * time.Millisecond)
	fmt.Println("ended", n, err)
}

// gone reports whether pid has exited (a zombie has).
func gone(pid int) bool {
	st, err := readStat(pid)
	return err != nil || !st.alive()
}

func runKernelHelper(t *testing.T, cmd *exec.Cmd) (pids map[string]int, ended string) {
	t.Helper()
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	r := bufio.NewReader(stdout)
	line, _ := r.ReadString('\n')
	if err := json.Unmarshal([]byte(line), &pids); err != nil {
		t.Fatalf("helper said %q", line)
	}
	t.Cleanup(func() {
		for _, pid := range pids {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	for name, pid := range pids {
		if pid == 0 || gone(pid) {
			t.Fatalf("%s process (%d) did not start: %v", name, pid, pids)
		}
	}
	io.WriteString(stdin, "end\n")
	ended, _ = r.ReadString('\n')
	return pids, strings.TrimSpace(ended)
}

// EndChildren ends every process of the kernel's session, the orphaned
// background job of a finished script included, and leaves alone the
// process that was detached with setsid.
func TestEndChildrenEndsTheSession(t *testing.T) {
	pids, ended := runKernelHelper(t, helper(t, "kernel"))
	if !strings.HasPrefix(ended, "ended ") || !strings.HasSuffix(ended, " <nil>") {
		t.Errorf("EndChildren: %s", ended)
	}
	for _, name := range []string{"direct", "orphan", "script", "grandchild"} {
		if !gone(pids[name]) {
			t.Errorf("the %s process (%d) is still running after EndChildren", name, pids[name])
		}
	}
	if gone(pids["detached"]) {
		t.Errorf("the detached process (%d) was ended", pids["detached"])
	}
}

// A kernel that cannot lead a session still ends what descends from it.
func TestEndChildrenWithoutSessionEndsDescendants(t *testing.T) {
	cmd := helper(t, "kernel", "PROC_TEST_NOLEAD=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a group leader cannot setsid
	pids, ended := runKernelHelper(t, cmd)
	if !strings.HasPrefix(ended, "ended ") || !strings.HasSuffix(ended, " <nil>") {
		t.Errorf("EndChildren: %s", ended)
	}
	for _, name := range []string{"direct", "script", "grandchild"} {
		if !gone(pids[name]) {
			t.Errorf("the %s process (%d) is still running after EndChildren", name, pids[name])
		}
	}
	if gone(pids["detached"]) {
		t.Errorf("the detached process (%d) was ended", pids["detached"])
	}
}

// helperParent starts a watcher whose JPY_PARENT_PID is this process,
// prints the watcher's pid, and waits to be killed.
func helperParent() {
	w := exec.Command(os.Args[0], "-test.run=^$")
	w.Env = append(os.Environ(), "PROC_TEST_HELPER=watcher", "JPY_PARENT_PID="+strconv.Itoa(os.Getpid()))
	w.Start()
	fmt.Println(w.Process.Pid)
	select {}
}

// helperWatcher waits until WatchParent says its front end is gone and
// writes the cause to PROC_TEST_OUT.
func helperWatcher() {
	ctx, stop, err := WatchParent(context.Background(), os.Getenv("JPY_PARENT_PID"), 20*time.Millisecond)
	if err != nil {
		os.WriteFile(os.Getenv("PROC_TEST_OUT"), []byte(err.Error()), 0o644)
		return
	}
	defer stop()
	fmt.Println("watching")
	<-ctx.Done()
	os.WriteFile(os.Getenv("PROC_TEST_OUT"), []byte(context.Cause(ctx).Error()), 0o644)
}

// waitGone polls until pid has exited and returns what it wrote.
func waitGone(t *testing.T, pid int, out string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, _ := os.ReadFile(out); len(b) > 0 && gone(pid) {
			return string(b)
		}
	}
	t.Fatalf("the watcher (%d) is still there 10 s after its parent died", pid)
	return ""
}

// Killing the front end (the parent) ends the watch.
func TestWatchParentSeesParentDie(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cause")
	parent := helper(t, "parent", "PROC_TEST_OUT="+out)
	stdout, _ := parent.StdoutPipe()
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	watcher, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("parent said %q", line)
	}
	t.Cleanup(func() { syscall.Kill(watcher, syscall.SIGKILL) })
	time.Sleep(100 * time.Millisecond) // the watch must also see a death that comes after it started
	parent.Process.Kill()
	parent.Wait()
	cause := waitGone(t, watcher, out)
	// Which check sees it first is a race: the parent is both gone and
	// no longer this process's parent.
	if !strings.Contains(cause, ErrParentGone.Error()) ||
		!strings.Contains(cause, "re-parented") && !strings.Contains(cause, "JPY_PARENT_PID "+strconv.Itoa(parent.Process.Pid)) {
		t.Errorf("watcher ended with %q, want ErrParentGone naming the parent", cause)
	}
}

// The process JPY_PARENT_PID names need not be the direct parent; its
// death ends the watch, even before anyone reaps it.
func TestWatchParentSeesJPYParentDie(t *testing.T) {
	front := exec.Command("sleep", "3000")
	if err := front.Start(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "cause")
	w := helper(t, "watcher", "PROC_TEST_OUT="+out, "JPY_PARENT_PID="+strconv.Itoa(front.Process.Pid))
	stdout, _ := w.StdoutPipe()
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { w.Wait(); close(exited) }()
	t.Cleanup(func() { w.Process.Kill(); <-exited })
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "watching\n" {
		t.Fatalf("watcher said %q", line)
	}
	front.Process.Kill() // a zombie until Wait below
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the watcher is still there 10 s after JPY_PARENT_PID died")
	}
	front.Wait()
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), "JPY_PARENT_PID "+strconv.Itoa(front.Process.Pid)+" exited") {
		t.Errorf("watcher ended with %q, want the JPY_PARENT_PID named", b)
	}
}

func TestWatchParentWithoutJPYParentWatchesNothing(t *testing.T) {
	for _, v := range []string{"", "1"} {
		ctx, stop, err := WatchParent(context.Background(), v, time.Millisecond)
		if err != nil {
			t.Errorf("WatchParent(%q): %v", v, err)
		}
		time.Sleep(20 * time.Millisecond)
		if ctx.Err() != nil {
			t.Errorf("WatchParent(%q) cancelled its context: %v", v, context.Cause(ctx))
		}
		stop()
	}
	if _, _, err := WatchParent(context.Background(), "nope", time.Millisecond); err == nil {
		t.Error("WatchParent accepted a JPY_PARENT_PID that is not a number")
	}
	ctx, stop, _ := WatchParent(context.Background(), strconv.Itoa(os.Getppid()), time.Millisecond)
	stop()
	if !errors.Is(ctx.Err(), context.Canceled) || errors.Is(context.Cause(ctx), ErrParentGone) {
		t.Errorf("after stop the context ended with %v, want plain cancellation", context.Cause(ctx))
	}
}

func TestReadStat(t *testing.T) {
	st, err := readStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.ppid != os.Getppid() || st.pgid != syscall.Getpgrp() || !st.alive() {
		t.Errorf("readStat(self) = %+v, want ppid %d pgid %d, alive", st, os.Getppid(), syscall.Getpgrp())
	}
}
