//go:build linux

package trim

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"syscall"
)

// madvPageout is Linux's MADV_PAGEOUT (5.4 and later), which the syscall
// package does not name.
const madvPageout = 21

// Executable asks Linux to reclaim the resident pages of the executable's
// read-only mappings (code, read-only data), and returns how many bytes of
// mappings it advised. The writable data mappings are left alone. On a
// kernel older than 5.4 it returns an error and changes nothing.
func Executable() (int, error) {
	maps, err := executableMappings()
	if err != nil {
		return 0, err
	}
	advised := 0
	for _, m := range maps {
		if m.writable {
			continue
		}
		if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, m.start, m.end-m.start, madvPageout); e != 0 {
			return advised, fmt.Errorf("trim: madvise(MADV_PAGEOUT) on %#x-%#x: %w", m.start, m.end, e)
		}
		advised += int(m.end - m.start)
	}
	return advised, nil
}

// mapping is one line of /proc/self/maps.
type mapping struct {
	start, end uintptr
	writable   bool
	file       string // device and inode: "fd:01 1234"
}

// executableMappings returns the mappings of the file that holds this
// function's code. The file is found by device and inode, not by name: a
// kernel whose executable was rebuilt while it ran sees it as "(deleted)".
func executableMappings() ([]mapping, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var all []mapping
	var file string
	pc := reflect.ValueOf(executableMappings).Pointer()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m, ok := parseMapping(sc.Text())
		if !ok {
			continue
		}
		all = append(all, m)
		if m.start <= pc && pc < m.end {
			file = m.file
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if file == "" {
		return nil, errors.New("trim: no file mapping in /proc/self/maps holds this process's code")
	}
	var exe []mapping
	for _, m := range all {
		if m.file == file {
			exe = append(exe, m)
		}
	}
	return exe, nil
}

// parseMapping reads "start-end perms offset dev inode [path]"; it
// reports false for anonymous mappings (inode 0) and lines it cannot read.
func parseMapping(line string) (mapping, bool) {
	fs := strings.Fields(line)
	if len(fs) < 5 || fs[4] == "0" {
		return mapping{}, false
	}
	lo, hi, ok := strings.Cut(fs[0], "-")
	if !ok {
		return mapping{}, false
	}
	start, err1 := strconv.ParseUint(lo, 16, 64)
	end, err2 := strconv.ParseUint(hi, 16, 64)
	if err1 != nil || err2 != nil || end <= start {
		return mapping{}, false
	}
	return mapping{
		start:    uintptr(start),
		end:      uintptr(end),
		writable: strings.Contains(fs[1], "w"),
		file:     fs[3] + " " + fs[4],
	}, true
}
