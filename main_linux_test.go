//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// executableRSS sums the resident KB of pid's read-only mappings of its
// own executable, from /proc/PID/smaps.
func executableRSS(t *testing.T, pid int) int {
	t.Helper()
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	total, in := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 6 && strings.Contains(fs[0], "-") && !strings.HasSuffix(fs[0], ":") {
			in = strings.Join(fs[5:], " ") == exe && !strings.Contains(fs[1], "w")
			continue
		}
		if in && len(fs) >= 2 && fs[0] == "Rss:" {
			n, _ := strconv.Atoi(fs[1])
			total += n
		}
	}
	return total
}

// Some time after start, the kernel releases the pages of its executable
// that start-up made resident (package trim), but for those another
// process maps too.
func TestKernelReleasesStartupPages(t *testing.T) {
	dir := t.TempDir()
	conn, _ := json.Marshal(map[string]any{
		"ip": "127.0.0.1", "transport": "tcp", "signature_scheme": "hmac-sha256", "key": "secret",
		"shell_port": 0, "iopub_port": 0, "stdin_port": 0, "control_port": 0, "hb_port": 0,
	})
	connFile := filepath.Join(dir, "conn.json")
	if err := os.WriteFile(connFile, conn, 0o600); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(dir, "kernel.log")
	// Linux leaves alone pages that another process maps too: this test
	// process, running the same executable, has most of the kernel's
	// start-up pages resident. The kernel runs from a copy of its own.
	exe, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	own := filepath.Join(dir, "iotkernel-test")
	if err := os.WriteFile(own, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	// And from the disk, as after a reboot: Linux 6.16 and later keep a
	// file just written on ext4 in large folios, and leave those resident.
	dropFromCache(t, own)
	cmd := command(t, "kernel", "-f", connFile, "--log-file", logFile, "--log-level", "debug")
	cmd.Path, cmd.Args[0] = own, own
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Signal(syscall.SIGTERM)
	waitLog := func(what string, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			data, _ := os.ReadFile(logFile)
			if bytes.Contains(data, []byte(what)) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the log after %v: %s", what, within, data)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitLog("kernel started", 10*time.Second)
	before := executableRSS(t, cmd.Process.Pid)
	waitLog("start-up pages released", trimDelay+5*time.Second)
	after := executableRSS(t, cmd.Process.Pid)
	t.Logf("the kernel's executable: %d KB resident after start, %d KB after the release", before, after)
	if before < 1024 || after > before/2 {
		t.Errorf("the kernel's executable: %d KB resident after start, %d KB after the release; want at least halved", before, after)
	}
}

// dropFromCache writes path to disk and drops it from the page cache
// (posix_fadvise POSIX_FADV_DONTNEED), so that it is read back from disk.
func dropFromCache(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	const fadvDontNeed = 4
	if _, _, e := syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, fadvDontNeed, 0, 0); e != 0 {
		t.Fatalf("posix_fadvise(%s, POSIX_FADV_DONTNEED): %v", path, e)
	}
}
