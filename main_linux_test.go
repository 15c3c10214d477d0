//go:build linux

package main

import (
	"bufio"
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
	connFile := connectionFile(t, dir)
	logFile := filepath.Join(dir, "kernel.log")
	// Linux leaves alone pages that another process maps too: this test
	// process, running the same executable, has most of the kernel's
	// start-up pages resident. The kernel runs from a copy of its own.
	exe, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	// On disk: the test's temporary directory may be a tmpfs (Debian's
	// /tmp since trixie), whose pages Linux cannot reclaim without swap.
	// The working directory is the source tree.
	exeDir, err := os.MkdirTemp(".", ".trim-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(exeDir) })
	var fs syscall.Statfs_t
	if err := syscall.Statfs(exeDir, &fs); err == nil && fs.Type == tmpfsMagic {
		t.Skip("NOT TESTED: the source tree is on a tmpfs, where Linux keeps the kernel's executable resident")
	}
	own, err := filepath.Abs(filepath.Join(exeDir, "iotkernel-test"))
	if err != nil {
		t.Fatal(err)
	}
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
	waitForLog(t, logFile, "kernel started", 10*time.Second)
	before := executableRSS(t, cmd.Process.Pid)
	waitForLog(t, logFile, "start-up pages released", trimDelay+5*time.Second)
	after := executableRSS(t, cmd.Process.Pid)
	t.Logf("the kernel's executable: %d KB resident after start, %d KB after the release", before, after)
	if before < 1024 || after > before/2 {
		t.Errorf("the kernel's executable: %d KB resident after start, %d KB after the release; want at least halved", before, after)
	}
}

// tmpfsMagic is the f_type statfs reports for a tmpfs.
const tmpfsMagic = 0x01021994

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
