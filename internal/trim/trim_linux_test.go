//go:build linux

package trim

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// residentKB sums the Rss of the mappings in maps, from /proc/self/smaps.
func residentKB(t *testing.T, maps []mapping) int {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	starts := map[uintptr]bool{}
	for _, m := range maps {
		starts[m.start] = true
	}
	total, in := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m, ok := parseMapping(line); ok && !strings.HasSuffix(strings.Fields(line)[0], ":") {
			in = starts[m.start]
			continue
		}
		if in && strings.HasPrefix(line, "Rss:") {
			n, err := strconv.Atoi(strings.Fields(line)[1])
			if err != nil {
				t.Fatalf("smaps line %q: %v", line, err)
			}
			total += n
		}
	}
	return total
}

func TestExecutable(t *testing.T) {
	maps, err := executableMappings()
	if err != nil {
		t.Fatal(err)
	}
	var ro []mapping
	for _, m := range maps {
		if !m.writable {
			ro = append(ro, m)
		}
	}
	if len(ro) < 2 {
		t.Fatalf("the test binary's read-only mappings: %+v, want code and read-only data", maps)
	}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(os.Args[0], &fs); err == nil && fs.Type == tmpfsMagic {
		t.Skipf("NOT TESTED: the test binary %s is on a tmpfs, whose pages Linux cannot reclaim without swap; "+
			"set GOTMPDIR to a directory on disk to test this", os.Args[0])
	}
	before := residentKB(t, ro)
	advised, err := Executable()
	if err != nil {
		t.Fatalf("Executable: %v (MADV_PAGEOUT needs Linux 5.4 or later)", err)
	}
	after := residentKB(t, ro)
	var size int
	for _, m := range ro {
		size += int(m.end - m.start)
	}
	if advised != size {
		t.Errorf("advised %d bytes, want the %d of the read-only mappings", advised, size)
	}
	// What runs between the two readings (this test, the runtime)
	// faults back in; most of what start-up touched does not.
	if before < 256 || after > before/2 {
		t.Errorf("resident pages of the executable: %d KB before, %d KB after; want it at least halved", before, after)
	}
	t.Logf("resident read-only pages of the test binary: %d KB before, %d KB after", before, after)
}

// tmpfsMagic is the f_type statfs reports for a tmpfs.
const tmpfsMagic = 0x01021994

func TestParseMapping(t *testing.T) {
	m, ok := parseMapping("00400000-00ea9000 r-xp 00000000 fd:01 2494431                            /work/iotkernel (deleted)")
	if !ok || m.start != 0x400000 || m.end != 0xea9000 || m.writable || m.file != "fd:01 2494431" {
		t.Errorf("code mapping parsed as %+v, %v", m, ok)
	}
	if m, ok := parseMapping("01927000-019c5000 rw-p 01526000 fd:01 2494431 /work/iotkernel"); !ok || !m.writable {
		t.Errorf("data mapping parsed as %+v, %v", m, ok)
	}
	for _, line := range []string{
		"019c5000-03a10000 rw-p 00000000 00:00 0 ",
		"7fff7e1c7000-7fff7e1e8000 rw-p 00000000 00:00 0                          [stack]",
		"Rss:                9024 kB",
		"zz-01 r--p 0 fd:01 5 /x",
	} {
		if m, ok := parseMapping(line); ok {
			t.Errorf("parseMapping(%q) = %+v, want no mapping", line, m)
		}
	}
}
