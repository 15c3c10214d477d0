//go:build unix

package host

import (
	"os/exec"
	"syscall"
)

// newProcessGroup makes cmd's process lead a process group of its own,
// so that killing the group also ends what it started (sh -c, pipelines).
func newProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killProcessGroup kills cmd's process group, or only its process when the
// cell gave it other process attributes.
func killProcessGroup(cmd *exec.Cmd) error {
	if a := cmd.SysProcAttr; a != nil && a.Setpgid && a.Pgid == 0 {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	return cmd.Process.Kill()
}
