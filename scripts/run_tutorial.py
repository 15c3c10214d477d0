#!/usr/bin/python3
"""Runs the socket-tutorial notebooks headless, cell by cell, on the `iot`
kernel, against local servers that stand in for the internet hosts.

Shared by `make demo` (scripts/demo.sh) and the tests (tests/test_tutorial.py).
Run it with Debian's Python, which has nbclient and jupyter_client:

    /usr/bin/python3 scripts/run_tutorial.py [--out out] [NOTEBOOK...]

What it does for each notebook:

  - rewrites the assignments of the cell tagged "parameters" so that the
    notebook talks to servers on 127.0.0.1: an HTTP and an HTTPS server
    started here (Python's http.server, the HTTPS one with a self-signed
    certificate made by openssl), and free ports for the board's servers;
  - runs the cells one by one with nbclient;
  - a cell tagged "interrupt" serves until interrupted: the driver waits for
    its "Listening" line, sends it real HTTP requests from the host, checks
    the replies, then interrupts the kernel (as the notebook's stop button
    does) and expects a KeyboardInterrupt error from that cell, and only
    that; then it goes on with the next cells;
  - writes the executed notebook to the output directory (the kernel's log
    to its logs/ folder) and prints a short summary: cells run, errors,
    what the servers answered.

The board is whatever `%connect esp32` resolves to: the environment decides
(IOTKERNEL_BOARDS, IOTKERNEL_MICROPYTHON; scripts/demo.sh sets them). Exit
status 1 when a notebook did not run through.
"""
import argparse
import asyncio
import contextlib
import http.server
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = os.path.join(REPO, "notebooks")
KERNEL = "iot"


# ---- stand-in servers ------------------------------------------------------

def _page():
    # A page as wordy as a real home page, so that notebook 1's lesson about
    # verbose replies holds against the stand-in too.
    rows = "".join(
        '<div class="r%d"><a href="/item/%d">Item %d</a> <span>%s</span></div>\n'
        % (i % 7, i, i, "stand-in content " * 3) for i in range(300))
    html = ("<!doctype html><html><head><title>Stand-in home page</title>"
            "<style>" + "".join(".r%d{color:#%06x}" % (i, i * 0x1f3a5) for i in range(7)) + "</style>"
            "</head><body>\n" + rows + "</body></html>\n")
    return html.encode()


PAGE = _page()


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "StandIn/1.0"
    protocol_version = "HTTP/1.0"  # close after each reply, as the notebooks expect

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        self.send_header("Cache-Control", "private, max-age=0")
        self.send_header("X-Frame-Options", "SAMEORIGIN")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Set-Cookie", "session=%s; Path=/; HttpOnly" % ("0123456789abcdef" * 8))
        self.send_header("Set-Cookie", "prefs=stand-in; Path=/; Max-Age=31536000")
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        self.wfile.write(PAGE)
        self.server.requests.append(self.requestline)

    def log_message(self, fmt, *args):
        pass


class StandIns:
    """An HTTP and an HTTPS server on 127.0.0.1, on free ports, each in its
    own thread; a context manager. `requests` lists the request lines they
    served."""

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="iot-standin-")
        cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
        openssl = shutil.which("openssl") or "/usr/bin/openssl"
        proc = subprocess.run(
            [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", key, "-out", cert],
            capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError("openssl could not make the stand-in HTTPS certificate: " + proc.stderr)
        self.requests = []
        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.https = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.https.socket = ctx.wrap_socket(self.https.socket, server_side=True)
        self.threads = []
        for srv in (self.http, self.https):
            srv.requests = self.requests
            t = threading.Thread(target=srv.serve_forever, daemon=True)
            t.start()
            self.threads.append(t)
        self.http_port = self.http.server_address[1]
        self.https_port = self.https.server_address[1]
        return self

    def __exit__(self, *exc):
        for srv in (self.http, self.https):
            srv.shutdown()
            srv.server_close()
        for t in self.threads:
            t.join(5)
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port):
    """Whether nothing listens on 127.0.0.1:port: a connection is refused,
    and a new listener can bind it (with SO_REUSEADDR, as the board's
    server does: connections it closed may linger in TIME_WAIT)."""
    with socket.socket() as c:
        c.settimeout(2)
        if c.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen(1)
        except OSError:
            return False
    return True


def http_get(url, timeout=10):
    """GET url; returns (status, body text)."""
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode("utf-8", "replace")


# ---- notebooks ---------------------------------------------------------------

def parameters_cell(nb):
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise ValueError("want exactly one cell tagged parameters, found %d" % len(cells))
    return cells[0]


def parameterize(nb, **values):
    """Rewrites `NAME = ...` lines of the parameters cell; every name given
    must be assigned there."""
    cell = parameters_cell(nb)
    lines = cell.source.split("\n")
    for name, value in values.items():
        pat = re.compile(r"^%s\s*=" % re.escape(name))
        hits = [i for i, line in enumerate(lines) if pat.match(line)]
        if not hits:
            raise KeyError("the parameters cell assigns no %s:\n%s" % (name, cell.source))
        for i in hits:
            lines[i] = "%s = %r" % (name, value)
    cell.source = "\n".join(lines)
    return nb


def tagged(nb, tag):
    return [i for i, c in enumerate(nb.cells) if tag in c.metadata.get("tags", [])]


def cell_text(cell):
    """Everything a code cell printed, with errors as `ename: evalue`."""
    parts = []
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            parts.append(o.text)
        elif o.output_type in ("execute_result", "display_data"):
            parts.append(o.data.get("text/plain", ""))
        elif o.output_type == "error":
            parts.append("%s: %s\n" % (o.ename, o.evalue))
    return "".join(parts)


def cell_errors(cell):
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


class CellFailed(Exception):
    def __init__(self, index, cell):
        errs = cell_errors(cell)
        self.index = index
        self.ename = errs[0].ename if errs else "?"
        self.evalue = errs[0].evalue if errs else ""
        super().__init__("cell %d failed: %s: %s\n--- cell source ---\n%s\n--- output ---\n%s"
                         % (index, self.ename, self.evalue, cell.source, cell_text(cell)))


class Session:
    """One kernel running one notebook, cell by cell (an async context
    manager). The kernel's working directory is `cwd`; its log (its
    stderr) goes to the file `kernel_log`, or to ours when that is None."""

    def __init__(self, nb, cwd, timeout=180, kernel_name=KERNEL, kernel_log=None):
        self.nb = nb
        self.client = NotebookClient(
            nb, kernel_name=kernel_name, timeout=timeout, startup_timeout=60,
            allow_errors=False, resources={"metadata": {"path": cwd}})
        self.kernel_log = kernel_log
        self._log = None
        self.ran = 0

    async def __aenter__(self):
        kwargs = {}
        if self.kernel_log:
            os.makedirs(os.path.dirname(self.kernel_log), exist_ok=True)
            self._log = open(self.kernel_log, "w")
            kwargs["stderr"] = self._log
        self._setup = self.client.async_setup_kernel(**kwargs)
        await self._setup.__aenter__()
        return self

    async def __aexit__(self, *exc):
        try:
            return await self._setup.__aexit__(*exc)
        finally:
            if self._log:
                self._log.close()

    async def run(self, index):
        """Runs cell `index` to its end; CellFailed if it raised."""
        cell = self.nb.cells[index]
        self.ran += 1
        try:
            await self.client.async_execute_cell(cell, index)
        except CellExecutionError:
            raise CellFailed(index, cell) from None
        return cell

    def start(self, index):
        """Starts cell `index` and returns the task that finishes with it."""
        # Forget what an earlier run printed, so that waiting for output
        # sees only this run's.
        self.nb.cells[index].outputs = []
        return asyncio.ensure_future(self.run(index))

    async def wait_for_text(self, index, text, task=None, timeout=60):
        """Waits until cell `index` has printed `text`. Fails early if the
        cell's task ends first."""
        deadline = time.monotonic() + timeout
        while text not in cell_text(self.nb.cells[index]):
            if task is not None and task.done():
                task.result()  # raises the cell's failure
                raise AssertionError("cell %d ended without printing %r:\n%s"
                                     % (index, text, cell_text(self.nb.cells[index])))
            if time.monotonic() > deadline:
                raise TimeoutError("cell %d did not print %r within %ds; it printed:\n%s"
                                   % (index, text, timeout, cell_text(self.nb.cells[index])))
            await asyncio.sleep(0.1)

    async def interrupt(self):
        """What the notebook's stop button does."""
        await self.client.km.interrupt_kernel()

    async def serve_and_interrupt(self, index, requests=3, timeout=30):
        """Runs the server cell `index`, sends `requests` GETs from the host
        to the URL it prints ("Listening on http://IP:PORT/"), interrupts
        it, and returns the replies' bodies. The cell must end with a
        KeyboardInterrupt error, and, on 127.0.0.1, the port must be free
        again."""
        task = self.start(index)
        try:
            await self.wait_for_text(index, "Listening", task)
            # The server prints its URL: the board's own address, which is
            # 127.0.0.1 only on the Unix port.
            m = re.search(r"Listening on (http://[^/\s]+:(\d+)/)", cell_text(self.nb.cells[index]))
            if not m:
                raise AssertionError("the server cell printed no URL:\n" + cell_text(self.nb.cells[index]))
            url, port = m.group(1), int(m.group(2))
            replies = []
            for _ in range(requests):
                status, body = await asyncio.to_thread(http_get, url)
                if status != 200:
                    raise AssertionError("the board's server answered %d: %r" % (status, body))
                replies.append(body.strip())
        except BaseException:
            await self.interrupt()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, timeout)
            raise
        await self.interrupt()
        try:
            await asyncio.wait_for(task, timeout)
        except CellFailed as e:
            if e.ename != "KeyboardInterrupt":
                raise
        else:
            raise AssertionError("the server cell ended without an error after the interrupt")
        if url.startswith("http://127.0.0.1:") and not await asyncio.to_thread(port_is_free, port):
            raise AssertionError("port %d is still taken after the interrupt" % port)
        return replies


def notebook_paths(names=None):
    if names:
        return [os.path.abspath(n) for n in names]
    return sorted(os.path.join(NOTEBOOKS, n) for n in os.listdir(NOTEBOOKS)
                  if n.endswith(".ipynb") and n[0].isdigit())


def parameters_for(path, stand_ins):
    """The values that point notebook `path` at local servers; with
    stand_ins None (a real board on Wi-Fi), the notebook's own internet
    hosts and ports stay."""
    name = os.path.basename(path)
    if stand_ins is None:
        return {}
    if name.startswith("1-"):
        return {"HOST": "127.0.0.1", "PORT": stand_ins.http_port}
    if name.startswith("2-"):
        return {"PORT": free_port()}
    if name.startswith("3-"):
        return {"HOST": "127.0.0.1", "PORT": stand_ins.https_port}
    if name.startswith("4-"):
        return {"PORT": free_port(), "REQUESTS": 3}
    if name.startswith("5-"):
        return {"PORT": free_port(), "READINGS": 3}
    return {}


async def run_notebook(path, params, out_dir=None, cwd=None, requests=3, log_dir=None):
    """Runs one notebook through and returns (executed nb, summary dict).
    The summary's "error" is None when every cell ran as expected. With
    log_dir, the kernel's log goes to log_dir/NAME.log."""
    nb = nbformat.read(path, as_version=4)
    parameterize(nb, **params)
    summary = {"notebook": os.path.basename(path), "cells": 0, "errors": [], "responses": [], "error": None}
    cwd = cwd or tempfile.mkdtemp(prefix="iot-tutorial-")
    interrupt_cells = set(tagged(nb, "interrupt"))
    try:
        log = os.path.join(log_dir, os.path.basename(path).replace(".ipynb", ".log")) if log_dir else None
        async with Session(nb, cwd, kernel_log=log) as s:
            for i, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                if i in interrupt_cells:
                    replies = await s.serve_and_interrupt(i, requests)
                    summary["errors"].append("cell %d: KeyboardInterrupt (expected: the driver interrupted the server)" % i)
                    summary["responses"] += replies
                else:
                    await s.run(i)
            summary["cells"] = s.ran
    except CellFailed as e:
        summary["error"] = str(e)
        summary["errors"].append("cell %d: %s: %s" % (e.index, e.ename, e.evalue))
    except Exception as e:  # a kernel that does not start, a timeout, a failed check
        summary["error"] = "%s: %s" % (type(e).__name__, e)
        summary["errors"].append(summary["error"])
    remove_left_keys(nb)
    summary["cells"] = summary["cells"] or sum(1 for c in nb.cells if c.get("execution_count"))
    if not summary["responses"]:
        summary["responses"] = responses_from_outputs(nb)
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
        nbformat.write(nb, os.path.join(out_dir, os.path.basename(path)))
    return nb, summary


def remove_left_keys(nb):
    """The secure-server notebook makes its private key in a temporary
    directory and removes it in its last cell. When a cell failed before
    that one, remove the directory here: a failed run leaves no key behind."""
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        for m in re.finditer(r"key and certificate in (\S+)", cell_text(c)):
            d = m.group(1)
            if os.path.basename(d).startswith("iot-tls-") and os.path.isdir(d):
                shutil.rmtree(d, ignore_errors=True)


def responses_from_outputs(nb):
    """The lines of the outputs that show what a server answered: status
    lines of the clients, replies collected by the Go client."""
    found = []
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        for line in cell_text(c).splitlines():
            if line.startswith("Status:") or re.match(r"^[1-5]\d\d [A-Z]", line) or line.startswith("error"):
                found.append(line.strip())
    return found


def print_summary(summary, out=sys.stdout):
    ok = summary["error"] is None
    print("%s %s: %d cells run, %s" % (
        "ok  " if ok else "FAIL", summary["notebook"], summary["cells"],
        "; ".join(summary["errors"]) if summary["errors"] else "no errors"), file=out)
    for r in summary["responses"]:
        print("       server said: %s" % r, file=out)
    if not ok:
        print(_indent(summary["error"]), file=out)


def _shown(path):
    """path relative to the working directory when it is inside it."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _indent(text):
    return "\n".join("       " + line for line in text.splitlines())


async def run_all(paths, out_dir, internet=False, log_dir=None):
    summaries = []
    with contextlib.ExitStack() as stack:
        stand_ins = None
        if internet:
            print("a real board: the notebooks talk to their own internet hosts")
        else:
            stand_ins = stack.enter_context(StandIns())
            print("stand-in servers: http://127.0.0.1:%d/ and https://127.0.0.1:%d/"
                  % (stand_ins.http_port, stand_ins.https_port))
        for path in paths:
            _, summary = await run_notebook(path, parameters_for(path, stand_ins), out_dir, log_dir=log_dir)
            print_summary(summary)
            sys.stdout.flush()
            summaries.append(summary)
    return summaries


def main():
    ap = argparse.ArgumentParser(description="Run the tutorial notebooks headless against local servers.")
    ap.add_argument("notebooks", nargs="*", help="notebooks to run (default: notebooks/[0-9]*.ipynb)")
    ap.add_argument("--out", default=os.path.join(REPO, "out"), help="where executed notebooks go (default: out/)")
    ap.add_argument("--internet", action="store_true",
                    help="keep the notebooks' internet hosts (for a real board on Wi-Fi, which cannot reach this machine's 127.0.0.1)")
    ap.add_argument("--logs", help="where the kernels' logs go (default: OUT/logs)")
    args = ap.parse_args()
    log_dir = args.logs or os.path.join(args.out, "logs")
    if not os.environ.get("IOTKERNEL_STORE"):
        # A private store: the tutorial's values (a private key among them)
        # never reach the user's own store.
        store_dir = tempfile.mkdtemp(prefix="iot-store-")
        os.environ["IOTKERNEL_STORE"] = os.path.join(store_dir, "store.json")
    summaries = asyncio.run(run_all(notebook_paths(args.notebooks), args.out, args.internet, log_dir))
    failed = [s["notebook"] for s in summaries if s["error"] is not None]
    print("executed notebooks are in %s, the kernels' logs in %s" % (_shown(args.out), _shown(log_dir)))
    if failed:
        print("FAILED: %s" % ", ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
