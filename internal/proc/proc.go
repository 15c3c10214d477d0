// Package proc owns the kernel process's ties to other processes: it ends
// the kernel when the front end that started it dies (WatchParent), and it
// ends every process the kernel or its cells started when the kernel
// stops (Lead, then EndChildren).
//
// # The parent
//
// Jupyter clients put their own pid in JPY_PARENT_PID when they start a
// kernel they own. Like ipykernel's ParentPollerUnix, WatchParent polls:
// the kernel is orphaned when that process is gone, or when the kernel's
// own parent changes (it was re-parented because its parent died). A poll
// is two system calls, five times a second; the kernel then shuts down
// the normal way, releasing its board.
//
// # The children
//
// The kernel's children are many and start in many ways: a Go cell's
// exec.Command, a %%bash script with its background jobs (magics runs it
// in a process group of its own so that an interrupt stops the whole
// script), the shell commands of "!" lines. Their processes can outlive
// the process that started them (a script's "sleep 3000 &" is re-parented
// to init when bash exits), so neither the kernel's child list nor one
// process group finds them all at shutdown.
//
// A session does. Every process inherits its parent's session and keeps
// it when re-parented; only setsid leaves it. So the kernel leads a
// session of its own (Lead; jupyter_client already starts kernels with
// start_new_session, a kernel started otherwise calls setsid itself), and
// at shutdown EndChildren walks /proc for every process of that session:
// SIGTERM, then SIGKILL for those still there after a grace period. What
// a user detached on purpose with setsid (a daemon) lives on. Boards that
// run as processes (exec: and local URLs) are on a pty in a session of
// their own as well, since a pty needs a session to be its controlling
// terminal; transport ends them when the kernel releases the board, which
// the normal shutdown does first.
//
// A kernel that cannot lead a session (a process group leader already,
// as a foreground job of an interactive shell is) falls back to the
// processes still descended from it, found through their parent pids.
// PR_SET_CHILD_SUBREAPER would keep orphans in that tree, but the kernel
// would then have to reap them with wait(-1), which steals the exit
// status from os/exec's Wait in the cells that started them; the session
// needs no reaping. The process walk is Linux only; elsewhere Lead and
// EndChildren do nothing.
package proc
