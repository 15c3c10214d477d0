//go:build linux

package proc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// Lead makes this process the leader of a new session, unless it leads
// one already, so that EndChildren finds every process started under it.
// It fails for a process group leader; EndChildren then falls back to the
// processes still descended from this one.
func Lead() error {
	self := os.Getpid()
	if st, err := readStat(self); err == nil && st.sid == self {
		return nil
	}
	if _, err := syscall.Setsid(); err != nil {
		return fmt.Errorf("lead a session of the kernel's processes: %w", err)
	}
	return nil
}

// EndChildren ends the processes this one started, directly or not, that
// are still in its session (see the package doc): SIGTERM (and SIGCONT, so
// that a stopped job acts on it), then SIGKILL for whatever is left after
// grace. It returns when they are gone, or with an error when some survive
// SIGKILL for a second, and reports how many processes it signalled.
func EndChildren(grace time.Duration) (int, error) {
	signalled := make(map[int]bool)
	termUntil := time.Now().Add(grace)
	killUntil := termUntil.Add(time.Second)
	for {
		pids, err := children()
		if err != nil || len(pids) == 0 {
			return len(signalled), err
		}
		now := time.Now()
		if now.After(killUntil) {
			return len(signalled), fmt.Errorf("%d processes survived SIGKILL: %v", len(pids), pids)
		}
		for _, pid := range pids {
			switch {
			case now.After(termUntil):
				syscall.Kill(pid, syscall.SIGKILL)
			case !signalled[pid]:
				syscall.Kill(pid, syscall.SIGTERM)
				syscall.Kill(pid, syscall.SIGCONT)
			}
			signalled[pid] = true
		}
		// Nothing announces the death of a process that is not our
		// child: look again shortly.
		time.Sleep(10 * time.Millisecond)
	}
}

// children lists the live processes EndChildren ends: every other process
// of this one's session when it leads it, else its descendants that are
// in its session.
func children() ([]int, error) {
	self := os.Getpid()
	all, err := processes()
	if err != nil {
		return nil, err
	}
	me, ok := all[self]
	if !ok {
		return nil, errors.New("this process is missing from /proc")
	}
	in := func(p stat) bool { return p.pid != self && p.sid == me.sid && p.alive() }
	var pids []int
	if me.sid == self {
		for _, p := range all {
			if in(p) {
				pids = append(pids, p.pid)
			}
		}
		return pids, nil
	}
	kids := make(map[int][]int)
	for _, p := range all {
		kids[p.ppid] = append(kids[p.ppid], p.pid)
	}
	for queue := kids[self]; len(queue) > 0; queue = queue[1:] {
		p := all[queue[0]]
		if in(p) {
			pids = append(pids, p.pid)
		}
		queue = append(queue, kids[p.pid]...)
	}
	return pids, nil
}

// stat is what /proc/PID/stat says of a process's family.
type stat struct {
	pid, ppid, pgid, sid int
	state                byte // R, S, D, T, Z (zombie), X (dead)...
}

func (s stat) alive() bool { return s.state != 'Z' && s.state != 'X' }

// isZombie reports whether pid has exited but was not yet reaped.
func isZombie(pid int) bool {
	st, err := readStat(pid)
	return err == nil && !st.alive()
}

// processes reads every process's stat; processes that exit meanwhile
// are left out.
func processes() (map[int]stat, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	all := make(map[int]stat, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readStat(pid); err == nil {
			all[pid] = st
		}
	}
	return all, nil
}

// readStat parses /proc/PID/stat: "pid (comm) state ppid pgrp session ...",
// where comm may hold spaces and parentheses of its own.
func readStat(pid int) (stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, err
	}
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return stat{}, fmt.Errorf("/proc/%d/stat: no command", pid)
	}
	f := bytes.Fields(b[end+1:])
	if len(f) < 4 || len(f[0]) != 1 {
		return stat{}, fmt.Errorf("/proc/%d/stat: too short", pid)
	}
	st := stat{pid: pid, state: f[0][0]}
	for i, dst := range []*int{&st.ppid, &st.pgid, &st.sid} {
		if *dst, err = strconv.Atoi(string(f[i+1])); err != nil {
			return stat{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
	}
	return st, nil
}
