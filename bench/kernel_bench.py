"""Kernel benchmarks, side by side in one run: iotkernel against its peer
kernels, all driven by a real jupyter_client: Debian's ipykernel (the
kernel MicroPython notebook users come from) and the other Go kernels,
gophernotes and gonb (built by scripts/install-peers.sh).

Measures, for each kernel:
  start    launch to the first kernel_info_reply (median of --starts runs,
           after one untimed warm-up launch)
  trivial  round trip of a trivial cell, execute_request to idle and the
           reply (median of --rounds, after 20 untimed cells)
  print1mb a cell printing 1 MB, execute_request to idle (median)
  rss      resident memory of the kernel process (and its children) after
           100 cells, as ps and psutil count it: with the pages of the
           kernel's executable mapped from the page cache
  private  the part of rss that is the kernel's own (anonymous) memory:
           heap, stacks, runtime; without the executable's mapped pages,
           which the page cache shares and can drop

and prints iot/peer ratios next to the goals set for each peer. Timings are
reported, never asserted: the machine is noted with the numbers.
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


def measure(name, starts, rounds):
    cells = CELLS[name]
    start_times = []
    km, kc, _ = start(name)  # warm-up: the first launch pays for cold caches
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    for _ in range(starts):
        km, kc, t = start(name)
        start_times.append(t)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    km, kc, _ = start(name)
    try:
        run(kc, cells["warm"])
        for _ in range(20):  # untimed: the client's and the kernel's first cells pay for cold paths
            run(kc, cells["trivial"])
        trivial = [run(kc, cells["trivial"])[0] for _ in range(rounds)]
        prints = []
        for _ in range(max(10, rounds // 2)):
            t, n = run(kc, cells["print1mb"])
            if n < 1_000_000:
                raise SystemExit(f"{name}: 1 MB cell produced only {n} bytes")
            prints.append(t)
        for _ in range(100):
            run(kc, cells["trivial"])
        rss = private = 0
        kernel = psutil.Process(kernel_pid(km))
        for p in [kernel] + kernel.children(recursive=True):
            rss += p.memory_info().rss
            private += anonymous(p.pid)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return {
        "start": statistics.median(start_times),
        "trivial": statistics.median(trivial),
        "print1mb": statistics.median(prints),
        "rss": rss,
        "private": private,
    }


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
    res = {}
    for name in [args.kernel] + peers:
        res[name] = measure(name, args.starts, args.rounds)
    units = {"start": "s", "trivial": "s", "print1mb": "s", "rss": "MiB", "private": "MiB"}
    for peer in peers:
        a, b = res[args.kernel], res[peer]
        goals = GOALS.get(peer, {})
        print()
        print(f"{'metric':<10} {args.kernel:>12} {peer:>12} {'ratio':>8} {'goal':>8}  met")
        for m in ("start", "trivial", "print1mb", "rss", "private"):
            va, vb = a[m], b[m]
            if units[m] == "MiB":
                va, vb = va / 2**20, vb / 2**20
            ratio = a[m] / b[m]
            goal = goals.get(m)
            met = "-" if goal is None else ("yes" if ratio <= goal else "NO")
            goal_s = "" if goal is None else "<=" + str(goal)
            print(f"{m:<10} {va:>11.4f}{units[m][0]} {vb:>11.4f}{units[m][0]} {ratio:>8.3f} {goal_s:>8}  {met}")

if __name__ == "__main__":
    sys.exit(main())
