"""Kernel benchmarks, side by side in one run: iotkernel against a peer
kernel (Debian's ipykernel, the kernel MicroPython notebook users come
from), both driven by a real jupyter_client.

Measures, for each kernel:
  start    launch to the first kernel_info_reply (median of --starts runs)
  trivial  round trip of a trivial cell, execute_request to idle (median)
  print1mb a cell printing 1 MB, execute_request to idle (median)
  rss      resident memory of the kernel process after 100 cells

and prints iot/peer ratios next to the goals of issue 2. Timings are
reported, never asserted: the machine is noted with the numbers.
"""
import argparse
import os
import platform
import statistics
import sys
import time

import psutil
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
}


def start(name):
    km = KernelManager(kernel_name=name)
    t0 = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc, time.perf_counter() - t0


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
    for _ in range(starts):
        km, kc, t = start(name)
        start_times.append(t)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    km, kc, _ = start(name)
    try:
        run(kc, cells["warm"])
        trivial = [run(kc, cells["trivial"])[0] for _ in range(rounds)]
        prints = []
        for _ in range(max(3, rounds // 10)):
            t, n = run(kc, cells["print1mb"])
            if n < 1_000_000:
                raise SystemExit(f"{name}: 1 MB cell produced only {n} bytes")
            prints.append(t)
        for _ in range(100):
            run(kc, cells["trivial"])
        rss = psutil.Process(kernel_pid(km)).memory_info().rss
        for child in psutil.Process(kernel_pid(km)).children(recursive=True):
            rss += child.memory_info().rss
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return {
        "start": statistics.median(start_times),
        "trivial": statistics.median(trivial),
        "print1mb": statistics.median(prints),
        "rss": rss,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default="iot")
    ap.add_argument("--peer", default="python3")
    ap.add_argument("--starts", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=50)
    args = ap.parse_args()

    print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB, {platform.platform()}, python {platform.python_version()}")
    res = {}
    for name in (args.kernel, args.peer):
        res[name] = measure(name, args.starts, args.rounds)
    a, b = res[args.kernel], res[args.peer]
    goals = {"start": 0.1, "trivial": 0.5, "print1mb": 1.0, "rss": 0.5}
    units = {"start": "s", "trivial": "s", "print1mb": "s", "rss": "MiB"}
    print(f"{'metric':<10} {args.kernel:>12} {args.peer:>12} {'ratio':>8} {'goal':>8}  met")
    for m in ("start", "trivial", "print1mb", "rss"):
        va, vb = a[m], b[m]
        if units[m] == "MiB":
            va, vb = va / 2**20, vb / 2**20
        ratio = a[m] / b[m]
        print(f"{m:<10} {va:>11.4f}{units[m][0]} {vb:>11.4f}{units[m][0]} {ratio:>8.3f} {'<=' + str(goals[m]):>8}  "
              f"{'yes' if ratio <= goals[m] else 'NO'}")


if __name__ == "__main__":
    sys.exit(main())
