"""Kernel benchmarks, side by side in one run: iotkernel against its peer
kernels, all driven by a real jupyter_client: Debian's ipykernel (the
kernel MicroPython notebook users come from) and the other Go kernels,
gophernotes and gonb (built by scripts/install-peers.sh).

Measures, for each kernel:
  start    launch to the first kernel_info_reply (median of --starts runs,
           after one untimed warm-up launch)
  trivial  round trip of a trivial cell, execute_request to idle and the
           reply (median of --rounds, after 20 untimed cells)
  cpu      the kernel's CPU time (user + system, its children included)
           per trivial cell, over those rounds
  print1mb a cell printing 1 MB, execute_request to idle (median)
  rss      resident memory of the kernel process (and its children) after
           100 more cells, as ps and psutil count it: with the pages of the
           kernel's executable mapped from the page cache
  private  the part of rss that is the kernel's own (anonymous) memory:
           heap, stacks, runtime; without the executable's mapped pages,
           which the page cache shares and can drop

and prints iot/peer ratios next to the goals set for each peer. Start-ups
are timed one kernel after the other. Then all the kernels run side by
side, and for the trivial cells take turns, one cell each (the first to
go changing every round), so that a change of load on a shared machine
falls on all of them alike instead of on whichever was being measured
then; a kernel that compiles every cell (gonb) runs its trivial cells on
its own, and the 1 MB cells run back to back, one kernel after the other.
Timings are reported, never asserted: the machine is noted with the
numbers.
"""
import argparse
import os
import platform
import statistics
import sys
import time

import psutil
import zmq
from jupyter_client.manager import KernelManager

CELLS = {
    "iot": {
        "trivial": "%%host\nx := 1",
        "print1mb": '%%host\nfmt.Print(strings.Repeat(strings.Repeat("x", 99)+"\\n", 10486))',
        "warm": "%%host\ny := 2",
    },
    "python3": {
        "trivial": "x = 1",
        "print1mb": 'import sys; sys.stdout.write(("x" * 99 + "\\n") * 10486)',
        "warm": "y = 2",
    },
    # gomacro keeps unused variables; imports are a cell of their own.
    "gophernotes": {
        "trivial": "x := 1",
        "print1mb": 'fmt.Print(strings.Repeat(strings.Repeat("x", 99)+"\\n", 10486))',
        "warm": 'import (\n"fmt"\n"strings"\n)',
    },
    # gonb compiles a program per cell: %% opens main's body, goimports
    # adds the imports, and an unused variable would not compile.
    "gonb": {
        "trivial": "%%\nx := 1\n_ = x",
        "print1mb": '%%\nfmt.Print(strings.Repeat(strings.Repeat("x", 99)+"\\n", 10486))',
        "warm": "%%\ny := 2\n_ = y",
    },
}

# Goals, as iot/peer ratios: start-up, output and memory against ipykernel;
# a trivial host cell against gophernotes (the other in-process
# interpreter); memory against gonb (whose kernel holds no interpreter).
GOALS = {
    "python3": {"start": 0.1, "trivial": 0.5, "print1mb": 1.0, "rss": 0.5},
    "gophernotes": {"start": 1.0, "trivial": 1.0},
    "gonb": {"start": 1.0, "rss": 1.0},
}


def start(name):
    """Launch a kernel and time it to its first kernel_info_reply.

    jupyter_client's wait_for_ready is not used for the timing: after the
    reply it drains IOPub until 0.2 s pass with no message, a floor that
    would hide the kernels' own start-up. The client's ZeroMQ reconnect
    interval is lowered from 100 ms to 1 ms for the same reason: the
    client connects before the kernel has bound its ports.
    """
    km = KernelManager(kernel_name=name)
    t0 = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.context.setsockopt(zmq.RECONNECT_IVL, 1)
    kc.start_channels()
    msg_id = kc.kernel_info()
    while True:
        reply = kc.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    elapsed = time.perf_counter() - t0
    kc.wait_for_ready(timeout=60)
    return km, kc, elapsed


def run(kc, code):
    """Time execute_request to idle, counting output bytes."""
    t0 = time.perf_counter()
    msg_id = kc.execute(code)
    nbytes = 0
    while True:
        m = kc.get_iopub_msg(timeout=60)
        if m["parent_header"].get("msg_id") != msg_id:
            continue
        if m["msg_type"] == "stream":
            nbytes += len(m["content"]["text"])
        if m["msg_type"] == "error":
            raise SystemExit(f"cell failed, the figures would mean nothing: {code!r}: "
                             f"{m['content']['ename']}: {m['content']['evalue']}")
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
    kc.get_shell_msg(timeout=60)
    return time.perf_counter() - t0, nbytes


def kernel_pid(km):
    prov = getattr(km, "provisioner", None)
    if prov is not None and getattr(prov, "process", None) is not None:
        return prov.process.pid
    return km.kernel.pid


# A trivial cell slower than this is a compilation, not a round trip.
SLOW_CELL = 0.05


def time_starts(name, starts):
    """Median launch time of name over starts launches, after a warm-up."""
    km, kc, _ = start(name)  # warm-up: the first launch pays for cold caches
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    times = []
    for _ in range(starts):
        km, kc, t = start(name)
        times.append(t)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return statistics.median(times)


def cpu_seconds(pid):
    """CPU time, user and system, of a process and its children so far."""
    procs = [psutil.Process(pid)]
    procs += procs[0].children(recursive=True)
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def in_turns(names, rounds, cell, kcs):
    """Runs rounds of one cell per kernel, the order rotating each round,
    and returns each kernel's times and its kernel's CPU time per cell."""
    times = {n: [] for n in names}
    cpu0 = {n: cpu_seconds(kcs[n][2]) for n in names}
    for i in range(rounds):
        k = i % len(names)
        for n in names[k:] + names[:k]:
            t, nbytes = run(kcs[n][1], CELLS[n][cell])
            if cell == "print1mb" and nbytes < 1_000_000:
                raise SystemExit(f"{n}: 1 MB cell produced only {nbytes} bytes")
            times[n].append(t)
    cpu = {n: (cpu_seconds(kcs[n][2]) - cpu0[n]) / rounds for n in names}
    return times, cpu


def measure(names, starts, rounds):
    res = {n: {"start": time_starts(n, starts)} for n in names}
    kcs = {}
    try:
        warm = {}
        for n in names:
            km, kc, _ = start(n)
            kcs[n] = (km, kc, kernel_pid(km))
            run(kc, CELLS[n]["warm"])
            # untimed: the client's and the kernel's first cells pay for cold paths
            warm[n] = statistics.median(run(kc, CELLS[n]["trivial"])[0] for _ in range(20))
        # A kernel whose trivial cell takes a compilation (gonb) runs its
        # cells on its own: in turns, every other kernel's cell would
        # follow a quarter of a second of idling.
        fast = [n for n in names if warm[n] < SLOW_CELL]
        trivial, cpu = in_turns(fast, rounds, "trivial", kcs)
        for n in names:
            if n not in fast:
                t, c = in_turns([n], rounds, "trivial", kcs)
                trivial[n], cpu[n] = t[n], c[n]
        # The 1 MB cells run back to back, each kernel's in turn, as a
        # Run All would: taking turns, each kernel would hand its memory
        # back to the system between two of them (see kernel/memory.go).
        prints = {n: in_turns([n], max(10, rounds // 2), "print1mb", kcs)[0][n] for n in names}
        for n in names:
            for _ in range(100):
                run(kcs[n][1], CELLS[n]["trivial"])
            rss = private = 0
            kernel = psutil.Process(kcs[n][2])
            for p in [kernel] + kernel.children(recursive=True):
                rss += p.memory_info().rss
                private += anonymous(p.pid)
            res[n].update(trivial=statistics.median(trivial[n]), cpu=cpu[n],
                          print1mb=statistics.median(prints[n]), rss=rss, private=private)
    finally:
        for km, kc, _ in kcs.values():
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    return res


def anonymous(pid):
    """The process's anonymous resident memory in bytes (smaps_rollup)."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Anonymous:"):
                return int(line.split()[1]) * 1024
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default="iot")
    ap.add_argument("--peers", default="python3",
                    help="comma-separated kernelspec names to compare with")
    ap.add_argument("--starts", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=200)
    args = ap.parse_args()

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"machine: {platform.node()} {cpu}, {os.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB, {platform.platform()}, python {platform.python_version()}")
    peers = [p for p in args.peers.split(",") if p]
    res = measure([args.kernel] + peers, args.starts, args.rounds)
    # Times in milliseconds, memory in MiB.
    scale = {"start": 1e3, "trivial": 1e3, "cpu": 1e3, "print1mb": 1e3, "rss": 2**-20, "private": 2**-20}
    units = {"start": "ms", "trivial": "ms", "cpu": "ms", "print1mb": "ms", "rss": "MiB", "private": "MiB"}
    for peer in peers:
        a, b = res[args.kernel], res[peer]
        goals = GOALS.get(peer, {})
        print()
        print(f"{'metric':<10} {args.kernel:>13} {peer:>13} {'ratio':>8} {'goal':>8}  met")
        for m in ("start", "trivial", "cpu", "print1mb", "rss", "private"):
            va, vb = a[m] * scale[m], b[m] * scale[m]
            ratio = a[m] / b[m]
            goal = goals.get(m)
            met = "-" if goal is None else ("yes" if ratio <= goal else "NO")
            goal_s = "" if goal is None else "<=" + str(goal)
            print(f"{m:<10} {va:>10.3f}{units[m]:<3} {vb:>10.3f}{units[m]:<3} {ratio:>8.3f} {goal_s:>8}  {met}")

if __name__ == "__main__":
    sys.exit(main())
