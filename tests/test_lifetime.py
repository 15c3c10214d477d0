"""The kernel's processes end with it.

At shutdown, at restart, and when the front end that started it is killed
(kill -9, so it cleans nothing up), the kernel and every process it or its
cells started are gone: the board's process (MicroPython's Unix port as
the board `local`), a Go cell's `exec.Command("sleep", ...).Start()`, and a
`%%bash` cell's background job, which outlives the bash that started it.
What a user detached on purpose with `setsid` lives on.

Processes are read from /proc; a zombie counts as gone (it has exited and
only waits to be reaped).
"""
import os
import signal
import subprocess
import sys
import time

import pytest
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import KernelManager


def stat(pid):
    """(state, ppid, sid) of pid, or None if there is no such process."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = data[data.rindex(b")") + 2:].split()
    return fields[0].decode(), int(fields[1]), int(fields[3])


def alive(pid):
    s = stat(pid)
    return s is not None and s[0] not in "ZX"


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def family(kernel_pid):
    """The kernel and every live process that descends from it or shares
    its session (a %%bash job re-parented when bash exited)."""
    procs = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            s = stat(int(name))
            if s is not None and s[0] not in "ZX":
                procs[int(name)] = s
    sid = procs[kernel_pid][2]
    found = {p for p, s in procs.items() if sid == kernel_pid and s[2] == sid}
    queue = [kernel_pid]
    while queue:
        pid = queue.pop()
        found.add(pid)
        queue.extend(p for p, s in procs.items() if s[1] == pid and p not in found)
    return found


def run_cell(kc, code):
    """Runs code and returns its stdout; fails the test on an error."""
    out = []

    def hook(msg):
        if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
            out.append(msg["content"]["text"])

    reply = kc.execute_interactive(code, timeout=60, output_hook=hook)
    assert reply["content"]["status"] == "ok", (code, reply["content"])
    return "".join(out)


def start_children(kc, kernel_pid):
    """Starts processes the ways cells do. Returns the pids of the kernel's
    family, checked to hold each kind, and of a detached process."""
    run_cell(kc, "%connect esp32")
    go = int(run_cell(kc, '%%host\nimport "os/exec"\ncmd := exec.Command("sleep", "3000")\ncmd.Start()\nfmt.Println(cmd.Process.Pid)'))
    job = int(run_cell(kc, "%%bash\nsleep 3000 >/dev/null 2>&1 &\necho $!"))
    detached = int(run_cell(kc, "%%bash\nsetsid sleep 3000 >/dev/null 2>&1 &\necho $!"))
    deadline = time.monotonic() + 10
    while stat(detached)[2] != detached and time.monotonic() < deadline:
        time.sleep(0.01)  # setsid runs after bash printed the pid
    fam = family(kernel_pid)
    # The board runs on a pty, in a session of its own.
    boards = [p for p in fam if stat(p)[2] != stat(kernel_pid)[2]]
    assert go in fam and job in fam and boards, (go, job, boards, {p: comm(p) for p in fam})
    assert stat(job)[1] != kernel_pid, "the %%bash job was not re-parented: the test proves nothing"
    assert detached not in fam and alive(detached), (detached, stat(detached))
    return fam, detached


def wait_gone(pids, seconds):
    """Polls until none of pids is alive or seconds pass; returns the
    survivors with their names."""
    deadline = time.monotonic() + seconds
    while True:
        left = {p: comm(p) for p in pids if alive(p)}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)


@pytest.fixture
def detached_pids():
    pids = []
    yield pids
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def start(board_env):
    km = KernelManager(kernel_name="iot")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=30)
    return km, kc


@pytest.mark.parametrize("restart", [False, True], ids=["shutdown", "restart"])
def test_shutdown_and_restart_end_every_child(board_env, detached_pids, restart):
    km, kc = start(board_env)
    try:
        fam, detached = start_children(kc, km.provisioner.process.pid)
        detached_pids.append(detached)
        if restart:
            km.restart_kernel(now=False)
            kc.wait_for_ready(timeout=30)
        else:
            kc.stop_channels()
            km.shutdown_kernel(now=False)
        left = wait_gone(fam, 2)
        assert not left, "still running after %s: %s" % ("restart" if restart else "shutdown", left)
        assert alive(detached), "the process detached with setsid was ended"
        if restart:
            assert run_cell(kc, '%%host\nfmt.Println("new kernel")') == "new kernel\n"
    finally:
        if km.is_alive():
            kc.stop_channels()
            km.shutdown_kernel(now=True)


LAUNCHER = """
import sys, time
from jupyter_client.manager import KernelManager
km = KernelManager(kernel_name="iot")
km.start_kernel()
print(km.connection_file, km.provisioner.process.pid, flush=True)
time.sleep(3000)
"""


def test_parent_death_ends_kernel_and_children(board_env, detached_pids):
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER], stdout=subprocess.PIPE, text=True)
    kernel_pid = None
    try:
        connection_file, pid = launcher.stdout.readline().split()
        kernel_pid = int(pid)
        kc = BlockingKernelClient(connection_file=connection_file)
        kc.load_connection_file()
        kc.start_channels()
        kc.wait_for_ready(timeout=30)
        fam, detached = start_children(kc, kernel_pid)
        detached_pids.append(detached)
        # The board is busy, as the one that spun for an hour was.
        kc.execute("while True:\n    pass")
        time.sleep(0.2)  # let it start; the kernel must end whenever the front end dies
        kc.stop_channels()

        launcher.kill()
        launcher.wait()
        start = time.monotonic()
        left = wait_gone(fam, 2)
        print("the kernel's family was gone %.0f ms after the front end" % ((time.monotonic() - start) * 1000))
        assert not left, "still running 2 s after the front end was killed: %s" % left
        assert alive(detached), "the process detached with setsid was ended"
        os.unlink(connection_file)
    finally:
        launcher.kill()
        launcher.wait()
        if kernel_pid is not None and alive(kernel_pid):
            os.kill(kernel_pid, signal.SIGKILL)
