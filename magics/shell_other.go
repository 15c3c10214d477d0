//go:build !unix

package magics

import "os/exec"

// ownProcessGroup leaves cmd's default cancellation (killing bash only)
// where there are no Unix process groups.
func ownProcessGroup(cmd *exec.Cmd) {}
