//go:build unix

package proc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// ErrParentGone is the cause, wrapped, of the context WatchParent cancels.
var ErrParentGone = errors.New("the front end that started the kernel is gone")

// WatchParent returns a context that is cancelled, with a cause wrapping
// ErrParentGone, when the process jpyParentPID names (JPY_PARENT_PID) has
// exited, or when this process's parent changes. It checks every interval.
// With jpyParentPID empty (a kernel meant to outlive its client) or "1",
// nothing is watched, as in ipykernel. stop ends the watch and waits for
// it; call it once the context is no longer needed.
func WatchParent(ctx context.Context, jpyParentPID string, every time.Duration) (watched context.Context, stop func(), err error) {
	watched, cancel := context.WithCancelCause(ctx)
	if jpyParentPID == "" || jpyParentPID == "1" {
		return watched, func() { cancel(nil) }, nil
	}
	pid, err := strconv.Atoi(jpyParentPID)
	if err != nil || pid <= 0 {
		cancel(nil)
		return ctx, func() {}, fmt.Errorf("JPY_PARENT_PID %q is not a process id", jpyParentPID)
	}
	ppid := os.Getppid()
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if why := orphaned(pid, ppid); why != "" {
				cancel(fmt.Errorf("%w: %s", ErrParentGone, why))
				return
			}
			select {
			case <-watched.Done():
				return
			case <-t.C:
			}
		}
	}()
	return watched, func() { cancel(nil); <-done }, nil
}

// orphaned says why this process has lost its front end, or "" if it has
// not. ppid is the parent it had when the watch began; a parent pid of 1
// at that point (started by init) cannot change and tells nothing.
func orphaned(jpyParent, ppid int) string {
	if now := os.Getppid(); ppid != 1 && now != ppid {
		return fmt.Sprintf("parent process %d exited (re-parented to %d)", ppid, now)
	}
	if err := syscall.Kill(jpyParent, 0); errors.Is(err, syscall.ESRCH) || (err == nil && isZombie(jpyParent)) {
		return fmt.Sprintf("JPY_PARENT_PID %d exited", jpyParent)
	}
	return "" // alive, or EPERM: alive and someone else's
}
